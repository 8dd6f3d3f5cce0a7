import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseTorrent, TORRENT_FORMATS, type TorrentFormat } from '@enjambre/bittorrent';
import { createTorrent } from '../engine';
import { describeError, UserError } from './errors';
import { formatBytes } from './format';
import { Output } from './output';
import { hashingBar } from './progress';

export interface CreateCliOptions {
  output: string;
  announce: string[];
  private?: boolean;
  pieceLength?: number;
  comment?: string;
  webSeed?: string[];
  /** v1, v2 or hybrid; default hybrid. */
  format?: string;
}

/** `enjambre create`: hash a file or folder into a .torrent, with a progress bar. */
export async function createCommand(path: string, o: CreateCliOptions, out: Output): Promise<void> {
  if (
    o.pieceLength !== undefined &&
    (o.pieceLength < 16384 || (o.pieceLength & (o.pieceLength - 1)) !== 0)
  ) {
    throw new UserError('--piece-length must be a power of two of at least 16 KiB');
  }
  for (const url of o.webSeed ?? []) {
    let scheme = '';
    try {
      scheme = new URL(url).protocol;
    } catch {
      // not a URL
    }
    if (scheme !== 'http:' && scheme !== 'https:')
      throw new UserError(`--web-seed must be an http or https URL: ${url}`);
  }
  const format = o.format ?? 'hybrid';
  if (!isFormat(format)) throw new UserError('--format must be v1, v2 or hybrid');
  const bar = hashingBar(out);
  let last = 0;
  let created;
  try {
    created = await createTorrent(resolve(path), {
      trackers: o.announce,
      private: o.private,
      comment: o.comment,
      pieceLength: o.pieceLength,
      webSeeds: o.webSeed,
      format,
      onProgress: (done, total) => {
        bar.update(total ? done / total : 1);
        const now = Date.now();
        if (out.json && now - last >= 1000) {
          last = now;
          out.record({ event: 'hashing', hashed: done, total });
        }
      },
    });
  } catch (err) {
    throw new UserError(`cannot create a torrent from ${path}: ${describeError(err)}`);
  } finally {
    bar.stop();
  }
  try {
    await writeFile(o.output, created.torrent);
  } catch (err) {
    throw new UserError(`cannot write ${o.output}: ${describeError(err)}`);
  }
  const m = parseTorrent(created.torrent);
  // the data shared, without a hybrid's pad files
  const size = m.files.reduce((n, f) => (f.pad ? n : n + f.length), 0);
  out.record({
    event: 'created',
    output: o.output,
    infoHash: m.infoHash,
    ...(m.infoHashV2 ? { infoHashV2: m.infoHashV2 } : {}),
    format,
    name: m.name,
    size,
    pieceLength: m.pieceLength,
    pieceCount: m.pieceCount,
  });
  out.line(
    `${o.output}: ${m.name}, ${formatBytes(size)} in ${m.pieceCount} pieces of ${formatBytes(m.pieceLength)}, ${format}, info-hash ${m.infoHash}${m.infoHashV2 ? ` (v2 ${m.infoHashV2})` : ''}`,
  );
}

function isFormat(f: string): f is TorrentFormat {
  return (TORRENT_FORMATS as readonly string[]).includes(f);
}
