import { MultiBar, Presets, SingleBar } from 'cli-progress';
import type { TorrentStatus } from '@enjambre/engine';
import { formatBytes, formatDuration, formatRate } from './format';
import { Output } from './output';

export interface Bar {
  update(fraction: number): void;
  stop(): void;
}

const quiet: Bar = { update: () => undefined, stop: () => undefined };

/** A hashing bar on stderr (stdout stays for results), none with --json or off a terminal. */
export function hashingBar(out: Output, label = 'hashing'): Bar {
  if (out.json || !process.stderr.isTTY) return quiet;
  const bar = new SingleBar(
    { format: `${label} [{bar}] {percentage}% | {eta_formatted}`, stream: process.stderr },
    Presets.shades_classic,
  );
  bar.start(1000, 0);
  return {
    update: (f) => bar.update(Math.round(f * 1000)),
    stop: () => bar.stop(),
  };
}

export interface TransferView {
  update(s: TorrentStatus): void;
  stop(): void;
}

/**
 * Transfer progress: a bar with speeds, peers and ETA on a terminal; one JSON line per second
 * with --json; a plain line every few seconds when stderr is not a terminal.
 */
export function transferView(out: Output): TransferView {
  if (out.json) {
    return {
      update: (s) =>
        out.record({
          event: 'progress',
          infoHash: s.infoHash,
          state: s.state,
          progress: s.progress,
          downloaded: s.downloaded,
          size: s.wantedSize,
          downloadRate: s.downloadRate,
          uploadRate: s.uploadRate,
          peers: s.seeders + s.leechers,
          eta: s.eta ?? null,
        }),
      stop: () => undefined,
    };
  }
  if (!process.stderr.isTTY) {
    let last = 0;
    return {
      update: (s) => {
        const now = Date.now();
        if (now - last < 5000) return;
        last = now;
        process.stderr.write(describe(s) + '\n');
      },
      stop: () => undefined,
    };
  }
  const multi = new MultiBar(
    {
      format: '{name} [{bar}] {percentage}% | {info}',
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
    },
    Presets.shades_classic,
  );
  const bar = multi.create(1000, 0, { name: '', info: '' });
  return {
    update: (s) =>
      bar.update(Math.round(s.progress * 1000), {
        name: s.name.length > 30 ? s.name.slice(0, 29) + '…' : s.name,
        info: describe(s),
      }),
    stop: () => multi.stop(),
  };
}

function describe(s: TorrentStatus): string {
  return [
    s.state,
    `${formatBytes(s.downloaded)}/${formatBytes(s.wantedSize)}`,
    `↓ ${formatRate(s.downloadRate)}`,
    `↑ ${formatRate(s.uploadRate)}`,
    `${s.seeders + s.leechers} peers`,
    `ETA ${s.eta !== undefined ? formatDuration(s.eta) : '∞'}`,
  ].join(' | ');
}
