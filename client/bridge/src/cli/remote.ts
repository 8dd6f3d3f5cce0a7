import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { FileStatus, TorrentStatus } from '@enjambre/engine';
import type { TrackerCatalog } from '../daemon/catalog';
import type { ShareJob } from '../daemon/shares';
import { DaemonClient } from './daemon-client';
import { describeError, UserError } from './errors';
import { formatBytes, formatDuration, formatRate } from './format';
import { Output } from './output';
import { isMagnet } from './source';
import { hashingBar } from './progress';

/** Accepts a full info-hash or an unambiguous prefix of one, as `git` does with commits. */
async function resolveId(client: DaemonClient, id: string): Promise<string> {
  if (!/^[0-9a-fA-F]{1,40}$/.test(id)) throw new UserError(`not a torrent id: ${id}`);
  const prefix = id.toLowerCase();
  const all = await client.request<TorrentStatus[]>('GET', '/api/torrents?fields=infoHash');
  const hits = all.filter((t) => t.infoHash.startsWith(prefix));
  if (hits.length === 1) return hits[0].infoHash;
  if (hits.length === 0) throw new UserError(`no torrent with id ${id}`);
  throw new UserError(`${id} matches ${hits.length} torrents: give more digits`);
}

function statusLine(t: TorrentStatus): string {
  const pct = `${(t.progress * 100).toFixed(1)}%`.padStart(6);
  const peers = `${t.seeders + t.leechers}`.padStart(3);
  return [
    t.infoHash.slice(0, 8),
    t.state.padEnd(11),
    pct,
    formatBytes(t.size).padStart(10),
    `↓${formatRate(t.downloadRate)}`.padStart(13),
    `↑${formatRate(t.uploadRate)}`.padStart(13),
    peers,
    t.eta !== undefined && t.state === 'downloading'
      ? formatDuration(t.eta).padStart(7)
      : '       ',
    t.name,
  ].join('  ');
}

export async function lsCommand(dataDir: string, out: Output): Promise<void> {
  const client = await DaemonClient.connect(dataDir);
  const all = await client.request<TorrentStatus[]>('GET', '/api/torrents');
  for (const t of all) out.record(t);
  if (all.length === 0) {
    out.line('no torrents');
    return;
  }
  out.line(
    'ID        STATE        DONE        SIZE           DOWN             UP  PEERS   ETA  NAME',
  );
  for (const t of all) out.line(statusLine(t));
}

export interface AddCliOptions {
  dir?: string;
  paused?: boolean;
  sequential?: boolean;
}

/** Requests in flight at once when adding many: the daemon adds them in parallel too. */
const ADD_IN_FLIGHT = 8;

/**
 * `enjambre add A [B ...]`: each a .torrent file, magnet link or info-hash. With many, each is
 * reported as it lands and a failure does not stop the rest; the command fails if any failed.
 */
export async function addCommand(
  dataDir: string,
  args: string[],
  opts: AddCliOptions,
  out: Output,
): Promise<void> {
  const client = await DaemonClient.connect(dataDir);
  if (args.length === 1) {
    await addOne(client, args[0], opts, out);
    return;
  }
  let failed = 0;
  let next = 0;
  const worker = async () => {
    while (next < args.length) {
      const arg = args[next++];
      try {
        await addOne(client, arg, opts, out);
      } catch (err) {
        failed++;
        out.record({ source: arg, error: describeError(err) });
        process.stderr.write(`enjambre: ${arg}: ${describeError(err)}\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(ADD_IN_FLIGHT, args.length) }, worker));
  if (failed > 0) throw new UserError(`${failed} of ${args.length} could not be added`);
}

async function addOne(
  client: DaemonClient,
  arg: string,
  opts: AddCliOptions,
  out: Output,
): Promise<void> {
  let body: Record<string, unknown>;
  if (isMagnet(arg)) body = { magnet: arg };
  else if (/^[0-9a-fA-F]{40}$/.test(arg)) body = { infoHash: arg };
  else {
    try {
      body = { torrent: (await readFile(arg)).toString('base64') };
    } catch (err) {
      throw new UserError(`${arg}: ${describeError(err)}`);
    }
  }
  if (opts.dir) body.downloadDir = resolve(opts.dir);
  if (opts.paused) body.paused = true;
  if (opts.sequential) body.sequential = true;
  const t = await client.request<TorrentStatus>('POST', '/api/torrents', body);
  out.record(t);
  out.line(`added ${t.infoHash} ${t.name}`);
}

export async function actionCommand(
  dataDir: string,
  action: 'pause' | 'resume' | 'rm',
  id: string,
  opts: { deleteData?: boolean; deleteOriginals?: boolean },
  out: Output,
): Promise<void> {
  const client = await DaemonClient.connect(dataDir);
  const infoHash = await resolveId(client, id);
  if (action === 'rm') {
    const deleteData = !!opts.deleteData;
    const deleteOriginals = !!opts.deleteOriginals;
    await client.request(
      'DELETE',
      `/api/torrents/${infoHash}?deleteData=${deleteData}&deleteOriginals=${deleteOriginals}`,
    );
    out.record({ removed: infoHash, deleteData, deleteOriginals });
    out.line(
      `removed ${infoHash}` +
        (deleteOriginals
          ? ' and its files'
          : deleteData
            ? ' and the data it downloaded (a share’s own files are kept)'
            : ''),
    );
    return;
  }
  const t = await client.request<TorrentStatus>('POST', `/api/torrents/${infoHash}/${action}`);
  out.record(t);
  out.line(`${action === 'pause' ? 'paused' : 'resumed'} ${infoHash} ${t.name}`);
}

export async function catalogCommand(
  dataDir: string,
  opts: { tracker?: string; search?: string },
  out: Output,
): Promise<void> {
  const client = await DaemonClient.connect(dataDir);
  const q = new URLSearchParams();
  if (opts.tracker) q.set('tracker', opts.tracker);
  if (opts.search) q.set('search', opts.search);
  const res = await client.request<{ trackers: TrackerCatalog[] }>(
    'GET',
    `/api/catalog${q.size ? `?${q}` : ''}`,
  );
  if (res.trackers.length === 0) {
    out.line('no enjambre (grpc://) trackers are configured');
  }
  for (const tr of res.trackers) {
    for (const t of tr.torrents) out.record({ tracker: tr.url, ...t });
    if (!tr.ok) out.record({ tracker: tr.url, error: tr.error });
    out.line(`${tr.url}${tr.ok ? '' : `: ${tr.error}`}`);
    for (const t of tr.torrents) {
      out.line(
        `  ${t.infoHash}  ${formatBytes(t.size).padStart(10)}  S:${t.seeders} L:${t.leechers} C:${t.completed}  ${t.name}`,
      );
    }
  }
}

/** Shares through the running daemon; resolves with the finished job. */
export async function shareThroughDaemon(
  client: DaemonClient,
  path: string,
  trackers: string[],
  out: Output,
): Promise<ShareJob> {
  const { id } = await client.request<{ id: string }>('POST', '/api/shares', {
    path,
    ...(trackers.length ? { trackers } : {}),
  });
  const bar = hashingBar(out);
  for (;;) {
    const job = await client.request<ShareJob>('GET', `/api/shares/${id}`);
    bar.update(job.progress);
    if (job.state !== 'hashing') {
      bar.stop();
      if (job.state === 'error') throw new UserError(`cannot share ${path}: ${job.error}`);
      return job;
    }
    out.record({ event: 'hashing', progress: job.progress });
    await new Promise((r) => setTimeout(r, 300));
  }
}

export type { FileStatus };
