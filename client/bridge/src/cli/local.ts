import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { SessionApi, TorrentSource } from '@enjambre/engine';
import { defaultDataDir } from '../daemon/daemon';
import { createTorrent, newSession, Torrent } from '../engine';
import { describeError, UserError } from './errors';
import { formatBytes } from './format';
import { Output } from './output';
import { hashingBar, transferView } from './progress';
import { loadSource } from './source';

export interface SessionCliOptions {
  port?: number;
  maxPeers?: number;
  uploadLimit?: number;
  downloadLimit?: number;
  tracker?: string[];
  /** Where the in-process session keeps its resume data; default under ~/.enjambre/cli. */
  stateDir?: string;
  /** Address to listen on for peers (tests: 127.0.0.1). */
  listenHost?: string;
  /** commander's `--no-dht` / `--no-lsd`: true unless given. */
  dht?: boolean;
  lsd?: boolean;
  dhtPort?: number;
  dhtBootstrap?: string[];
}

/** Resolves on Ctrl-C or SIGTERM. */
function interrupted(): Promise<string> {
  return new Promise((res) => {
    process.once('SIGINT', () => res('SIGINT'));
    process.once('SIGTERM', () => res('SIGTERM'));
  });
}

/**
 * An engine session in this process, for `get`, `seed` and a standalone `share`. Its resume data
 * lives per torrent, so two commands on different torrents never share a LevelDB.
 */
async function openSession(
  infoHash: string,
  downloadDir: string,
  opts: SessionCliOptions,
): Promise<SessionApi> {
  const session = newSession({
    dataDir: join(opts.stateDir ?? join(defaultDataDir(), 'cli'), infoHash),
    downloadDir,
    listenPort: opts.port ?? 0,
    ...(opts.listenHost ? { listenHost: opts.listenHost } : {}),
    ...(opts.maxPeers !== undefined ? { maxPeersPerTorrent: opts.maxPeers } : {}),
    uploadRateLimit: opts.uploadLimit ?? 0,
    downloadRateLimit: opts.downloadLimit ?? 0,
    defaultTrackers: opts.tracker ?? [],
    // on unless switched off, as in `enjambre start`: a torrent with no working tracker still
    // finds peers (the DHT port defaults to the peer port, the table lives in dataDir)
    ...(opts.dht !== false && {
      dht: {
        ...(opts.dhtPort !== undefined && { port: opts.dhtPort }),
        bootstrap: opts.dhtBootstrap ?? [],
      },
    }),
    ...(opts.lsd !== false && { lsd: true }),
  });
  try {
    await session.start();
  } catch (err) {
    throw new UserError(`cannot start: ${describeError(err)}`);
  }
  return session;
}

/** Shows progress once a second until `until` settles. */
async function watch<T>(t: Torrent, out: Output, until: Promise<T>): Promise<T> {
  const view = transferView(out);
  view.update(t.status());
  const timer = setInterval(() => view.update(t.status()), 1000);
  try {
    return await until;
  } finally {
    clearInterval(timer);
    view.update(t.status());
    view.stop();
  }
}

/** `stop`: made before the caller printed anything a script may answer with a signal at once. */
async function seedUntilInterrupted(
  session: SessionApi,
  t: Torrent,
  out: Output,
  stop = interrupted(),
): Promise<void> {
  out.record({ event: 'seeding', infoHash: t.infoHash, port: session.port });
  out.line(`seeding ${t.status().name} on port ${session.port} (Ctrl-C to stop)`);
  await watch(t, out, stop);
}

export async function getCommand(
  arg: string,
  opts: SessionCliOptions & { dir: string; seed?: boolean },
  out: Output,
): Promise<void> {
  const src = await loadSource(arg);
  const dir = resolve(opts.dir);
  await mkdir(dir, { recursive: true });
  const infoHash = src.kind === 'torrent' ? src.metainfo.infoHash : src.magnet.infoHash;
  const source: TorrentSource =
    src.kind === 'torrent' ? { torrent: src.bytes } : { magnet: src.uri };
  const session = await openSession(infoHash, dir, opts);
  try {
    const t = await session.add(source, {
      downloadDir: dir,
      ...(opts.tracker?.length ? { trackers: opts.tracker } : {}),
    });
    const outcome = await watch(
      t,
      out,
      Promise.race([
        t.whenDone().then(
          () => 'done' as const,
          (err: unknown) => err,
        ),
        interrupted(),
      ]),
    );
    if (outcome !== 'done') {
      if (typeof outcome === 'string') throw new UserError('interrupted', 130);
      throw new UserError(`download failed: ${describeError(outcome)}`);
    }
    const s = t.status();
    out.record({ event: 'done', infoHash: s.infoHash, name: s.name, size: s.size, dir });
    out.line(`done: ${s.name} (${formatBytes(s.size)}) in ${dir}`);
    if (opts.seed) await seedUntilInterrupted(session, t, out);
  } finally {
    await session.close();
  }
}

export async function seedCommand(
  arg: string,
  opts: SessionCliOptions & { dir: string },
  out: Output,
): Promise<void> {
  const src = await loadSource(arg);
  if (src.kind !== 'torrent') {
    throw new UserError('seed needs a .torrent file: a magnet link has no piece hashes to verify');
  }
  const dir = resolve(opts.dir);
  const session = await openSession(src.metainfo.infoHash, dir, opts);
  try {
    const t = await session.add(
      { torrent: src.bytes },
      {
        downloadDir: dir,
        seedMode: true,
        ...(opts.tracker?.length ? { trackers: opts.tracker } : {}),
      },
    );
    await seedUntilInterrupted(session, t, out);
  } finally {
    await session.close();
  }
}

/** `enjambre share` with no daemon running: hash, seed in this process, print the magnet. */
export async function shareStandalone(
  path: string,
  opts: SessionCliOptions & { private?: boolean; comment?: string },
  out: Output,
): Promise<void> {
  const full = resolve(path);
  const trackers = opts.tracker ?? [];
  const bar = hashingBar(out);
  let created;
  try {
    created = await createTorrent(full, {
      trackers,
      private: opts.private,
      comment: opts.comment,
      onProgress: (done, total) => bar.update(total ? done / total : 1),
    });
  } catch (err) {
    throw new UserError(`cannot share ${path}: ${describeError(err)}`);
  } finally {
    bar.stop();
  }
  const session = await openSession(created.infoHash, dirname(full), opts);
  try {
    const t = await session.add(
      { torrent: created.torrent },
      { downloadDir: dirname(full), seedMode: true, verified: created.verified },
    );
    const magnet = t.status().magnet;
    const stop = interrupted();
    out.record({ event: 'shared', infoHash: t.infoHash, magnet });
    out.line(magnet);
    await seedUntilInterrupted(session, t, out, stop);
  } finally {
    await session.close();
  }
}
