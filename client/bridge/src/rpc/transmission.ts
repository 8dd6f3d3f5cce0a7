import { statfs } from 'node:fs/promises';
import { connect } from 'node:net';
import type { FilePriority } from '@enjambre/engine';
import type { Torrent } from '../engine';
import { AlreadyAdded, HttpError } from '../daemon/http-error';
import { sourceFromName } from './add-source';
import { RpcError } from './errors';
import { checkTag } from './labels';
import type { RpcContext } from './context';
import { TORRENT_FIELDS, TR_STATUS, trStatus } from './transmission-fields';
import { TorrentView } from './torrent-view';
import type { RateLimitFields } from '../daemon/state';

export const RPC_VERSION = 17;
const RECENT_MS = 60_000;
const MAX_IDS = 100_000;

type Args = Record<string, unknown>;
type Method = (args: Args, ctx: RpcContext) => Promise<Args>;

/** A Transmission request as parsed: method, arguments and the tag echoed back. */
export interface TrRequest {
  method: string;
  arguments: Args;
  tag?: number;
}

export interface TrAnswer {
  result: string;
  arguments: Args;
  tag?: number;
}

/** Parses the JSON body (whatever the content type says) into a request, or says what is wrong. */
export function parseTrRequest(body: Buffer): TrRequest | string {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (err) {
    return `malformed JSON: ${(err as Error).message}`;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return 'the request must be a JSON object';
  }
  const r = json as Record<string, unknown>;
  if (typeof r.method !== 'string') return 'no method name';
  const args = r.arguments ?? {};
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    return 'arguments must be an object';
  }
  const tag = typeof r.tag === 'number' && Number.isInteger(r.tag) ? r.tag : undefined;
  return { method: r.method, arguments: args as Args, ...(tag !== undefined ? { tag } : {}) };
}

/** Runs one request; every failure a client can cause becomes a `result` string, as in Transmission. */
export async function handleTrRequest(req: TrRequest, ctx: RpcContext): Promise<TrAnswer> {
  const tag = req.tag !== undefined ? { tag: req.tag } : {};
  const method = Object.prototype.hasOwnProperty.call(METHODS, req.method)
    ? METHODS[req.method]
    : undefined;
  if (!method) return { result: 'method name not recognized', arguments: {}, ...tag };
  try {
    return { result: 'success', arguments: await method(req.arguments, ctx), ...tag };
  } catch (err) {
    if (err instanceof RpcError || err instanceof HttpError) {
      return { result: err.message, arguments: {}, ...tag };
    }
    throw err;
  }
}

// ---------- ids ----------

/** The torrents an `ids` argument names: absent = all; numbers, hashes, or "recently-active". */
function selectTorrents(ctx: RpcContext, ids: unknown): Torrent[] {
  const session = ctx.bridge.session;
  if (ids === undefined) return session.list();
  if (ids === 'recently-active') {
    const since = Date.now() - RECENT_MS;
    return session.list().filter((t) => {
      const s = t.status();
      return (
        ctx.ids.touchedSince(since, t.infoHash) ||
        s.downloadRate > 0 ||
        s.uploadRate > 0 ||
        s.state === 'checking' ||
        s.state === 'metadata'
      );
    });
  }
  const list = Array.isArray(ids) ? ids : [ids];
  if (list.length > MAX_IDS) throw new RpcError(400, `at most ${MAX_IDS} ids`);
  const out: Torrent[] = [];
  const seen = new Set<string>();
  for (const id of list) {
    let hash: string | undefined;
    if (typeof id === 'number' && Number.isInteger(id)) hash = ctx.ids.hashOf(id);
    else if (typeof id === 'string' && /^[0-9a-fA-F]{40}$/.test(id)) hash = id.toLowerCase();
    else if (typeof id === 'string' && /^\d+$/.test(id)) hash = ctx.ids.hashOf(Number(id));
    else throw new RpcError(400, `invalid id: ${JSON.stringify(id).slice(0, 60)}`);
    const t = hash ? session.get(hash) : undefined;
    if (t && !seen.has(t.infoHash)) {
      seen.add(t.infoHash);
      out.push(t);
    }
  }
  return out;
}

// ---------- argument readers ----------

function optString(args: Args, key: string): string | undefined {
  const v = args[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new RpcError(400, `${key} must be a string`);
  return v;
}

function optBool(args: Args, key: string): boolean | undefined {
  const v = args[key];
  if (v === undefined) return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 0 || v === 1) return v === 1;
  throw new RpcError(400, `${key} must be a boolean`);
}

function optNumber(args: Args, key: string): number | undefined {
  const v = args[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new RpcError(400, `${key} must be a number`);
  return v;
}

function optIndexes(args: Args, key: string): number[] | undefined {
  const v = args[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length > MAX_IDS || !v.every((i) => Number.isInteger(i) && i >= 0)) {
    throw new RpcError(400, `${key} must be a list of file indexes`);
  }
  return v as number[];
}

function optLabels(args: Args): string[] | undefined {
  const v = args.labels;
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length > 1000 || !v.every((l) => typeof l === 'string')) {
    throw new RpcError(400, 'labels must be a list of strings');
  }
  const labels = [...new Set((v as string[]).map((l) => l.trim()).filter((l) => l !== ''))];
  labels.forEach(checkTag);
  return labels;
}

// ---------- session ----------

function sessionValues(ctx: RpcContext): Args {
  const s = ctx.bridge.settings;
  const kB = (bytes: number) => Math.round(bytes / 1000);
  return {
    'alt-speed-down': 50,
    'alt-speed-enabled': false,
    'alt-speed-time-begin': 540,
    'alt-speed-time-day': 127,
    'alt-speed-time-enabled': false,
    'alt-speed-time-end': 1020,
    'alt-speed-up': 50,
    'blocklist-enabled': false,
    'blocklist-size': 0,
    'blocklist-url': '',
    'cache-size-mb': 4,
    'config-dir': ctx.dataDir,
    'dht-enabled': s.dhtEnabled,
    'download-dir': s.downloadDir,
    'download-dir-free-space': -1,
    'download-queue-enabled': false,
    'download-queue-size': 5,
    encryption: 'preferred',
    'idle-seeding-limit': 30,
    'idle-seeding-limit-enabled': false,
    'incomplete-dir': s.downloadDir,
    'incomplete-dir-enabled': false,
    'lpd-enabled': s.lsdEnabled,
    'peer-limit-global': s.maxPeers,
    'peer-limit-per-torrent': 50,
    'peer-port': ctx.bridge.session.port,
    'peer-port-random-on-start': false,
    'pex-enabled': true,
    'port-forwarding-enabled': false,
    'queue-stalled-enabled': false,
    'queue-stalled-minutes': 30,
    'rename-partial-files': false,
    'rpc-version': RPC_VERSION,
    'rpc-version-minimum': 14,
    'script-torrent-done-enabled': false,
    'script-torrent-done-filename': '',
    'seed-queue-enabled': false,
    'seed-queue-size': 10,
    seedRatioLimit: 2,
    seedRatioLimited: false,
    'session-id': ctx.trSessionId,
    'speed-limit-down': kB(s.downloadRateLimit),
    'speed-limit-down-enabled': s.downloadRateLimit > 0,
    'speed-limit-up': kB(s.uploadRateLimit),
    'speed-limit-up-enabled': s.uploadRateLimit > 0,
    'start-added-torrents': true,
    'trash-original-torrent-files': false,
    units: {
      'memory-bytes': 1024,
      'memory-units': ['KiB', 'MiB', 'GiB', 'TiB'],
      'size-bytes': 1000,
      'size-units': ['kB', 'MB', 'GB', 'TB'],
      'speed-bytes': 1000,
      'speed-units': ['kB/s', 'MB/s', 'GB/s', 'TB/s'],
    },
    'utp-enabled': false,
    version: `3.00 (enjambre ${ctx.version})`,
  };
}

async function sessionGet(args: Args, ctx: RpcContext): Promise<Args> {
  const all = sessionValues(ctx);
  const fields = args.fields;
  if (!Array.isArray(fields)) return all;
  const out: Args = {};
  for (const f of fields) if (typeof f === 'string' && Object.hasOwn(all, f)) out[f] = all[f];
  return out;
}

async function sessionSet(args: Args, ctx: RpcContext): Promise<Args> {
  const next = { ...ctx.bridge.settings };
  const dir = optString(args, 'download-dir');
  if (dir !== undefined) next.downloadDir = await ctx.folders.downloadFolder(dir);
  for (const [dirn, key] of [
    ['down', 'downloadRateLimit'],
    ['up', 'uploadRateLimit'],
  ] as const) {
    const enabled = optBool(args, `speed-limit-${dirn}-enabled`);
    const kB = optNumber(args, `speed-limit-${dirn}`);
    if (kB !== undefined && kB < 0) throw new RpcError(400, `speed-limit-${dirn} must be >= 0`);
    if (enabled === false) next[key] = 0;
    else if (kB !== undefined && (enabled === true || next[key] > 0))
      next[key] = Math.round(kB * 1000);
  }
  const peers = optNumber(args, 'peer-limit-global');
  if (peers !== undefined) {
    if (!Number.isInteger(peers) || peers < 1)
      throw new RpcError(400, 'peer-limit-global must be >= 1');
    next.maxPeers = peers;
  }
  await ctx.bridge.setSettings(next);
  return {};
}

async function sessionStats(_args: Args, ctx: RpcContext): Promise<Args> {
  const list = ctx.bridge.session.list().map((t) => t.status());
  let down = 0;
  let up = 0;
  let downloaded = 0;
  let uploaded = 0;
  let paused = 0;
  for (const s of list) {
    down += s.downloadRate;
    up += s.uploadRate;
    downloaded += s.downloadedTotal;
    uploaded += s.uploadedTotal;
    if (s.paused) paused++;
  }
  const seconds = Math.floor((Date.now() - ctx.startedAt) / 1000);
  const stats = {
    uploadedBytes: Math.round(uploaded),
    downloadedBytes: Math.round(downloaded),
    filesAdded: list.length,
    sessionCount: 1,
    secondsActive: seconds,
  };
  return {
    activeTorrentCount: list.length - paused,
    downloadSpeed: Math.round(down),
    pausedTorrentCount: paused,
    torrentCount: list.length,
    uploadSpeed: Math.round(up),
    'cumulative-stats': stats,
    'current-stats': stats,
  };
}

// ---------- torrents ----------

async function torrentGet(args: Args, ctx: RpcContext): Promise<Args> {
  const fields = args.fields;
  if (!Array.isArray(fields) || fields.length === 0) {
    throw new RpcError(400, 'no fields specified');
  }
  const known = [
    ...new Set(
      fields.filter((f): f is string => typeof f === 'string' && Object.hasOwn(TORRENT_FIELDS, f)),
    ),
  ];
  const now = Math.floor(Date.now() / 1000);
  const torrents = selectTorrents(ctx, args.ids);
  const rows: unknown[] = [];
  if (args.format === 'table') {
    const getters = known.map((f) => TORRENT_FIELDS[f]);
    rows.push(known);
    for (const t of torrents) {
      const v = new TorrentView(t, ctx);
      rows.push(getters.map((g) => g(v, now)));
    }
  } else {
    const build = rowBuilder(known);
    for (const t of torrents) rows.push(build(new TorrentView(t, ctx), now));
  }
  const out: Args = { torrents: rows };
  if (args.ids === 'recently-active') out.removed = ctx.ids.removedSince(Date.now() - RECENT_MS);
  return out;
}

type RowBuilder = (v: TorrentView, now: number) => Args;
const rowBuilders = new Map<string, RowBuilder>();
const MAX_ROW_BUILDERS = 64;

/**
 * A function that builds one torrent-get row as an object literal. Rows built key by key fall
 * into V8's dictionary mode past a dozen properties, which made building and serialising every
 * field twice as slow. The names are TORRENT_FIELDS' own keys (checked by the caller), quoted by
 * JSON.stringify, so no text from a request reaches the generated code.
 */
function rowBuilder(fields: string[]): RowBuilder {
  const key = fields.join(',');
  let build = rowBuilders.get(key);
  if (!build) {
    const getters = fields.map((f) => TORRENT_FIELDS[f]);
    const body = fields.map((f, i) => `${JSON.stringify(f)}: g[${i}](v, n)`).join(',');
    build = new Function('g', `return (v, n) => ({${body}});`)(getters) as RowBuilder;
    if (rowBuilders.size >= MAX_ROW_BUILDERS) rowBuilders.clear();
    rowBuilders.set(key, build);
  }
  return build;
}

function addedAnswer(ctx: RpcContext, t: Torrent): Args {
  return {
    hashString: t.infoHash,
    id: ctx.ids.idOf(t.infoHash),
    name: t.status().name || t.infoHash,
  };
}

async function torrentAdd(args: Args, ctx: RpcContext): Promise<Args> {
  const metainfo = optString(args, 'metainfo');
  const filename = optString(args, 'filename');
  if ((metainfo === undefined) === (filename === undefined)) {
    throw new RpcError(400, 'give exactly one of metainfo or filename');
  }
  let source;
  if (metainfo !== undefined) {
    const b64 = metainfo.replace(/\s+/g, '');
    if (b64 === '' || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) {
      throw new RpcError(400, 'invalid or corrupt torrent file');
    }
    source = { torrent: Buffer.from(b64, 'base64') };
  } else {
    source = await sourceFromName(filename!, ctx.folders);
  }
  const dir = optString(args, 'download-dir');
  const downloadDir = dir === undefined ? undefined : await ctx.folders.downloadFolder(dir);
  const paused = optBool(args, 'paused');
  const labels = optLabels(args);
  try {
    const t = await ctx.bridge.add({
      source,
      downloadDir,
      paused: paused ?? false,
      ...(labels ? { tags: labels } : {}),
    });
    if (labels) await ctx.labels.addTags(labels);
    ctx.ids.touch(t.infoHash);
    return { 'torrent-added': addedAnswer(ctx, t) };
  } catch (err) {
    if (err instanceof AlreadyAdded) {
      const t = ctx.bridge.session.get(err.infoHash);
      if (t) return { 'torrent-duplicate': addedAnswer(ctx, t) };
    }
    if (err instanceof HttpError && err.statusCode === 400) {
      throw new RpcError(400, `invalid or corrupt torrent file: ${err.message}`);
    }
    throw err;
  }
}

function eachTorrent(fn: (t: Torrent, args: Args, ctx: RpcContext) => Promise<unknown>): Method {
  return async (args, ctx) => {
    for (const t of selectTorrents(ctx, args.ids)) {
      await fn(t, args, ctx);
      ctx.ids.touch(t.infoHash);
    }
    return {};
  };
}

const start = eachTorrent((t, _a, ctx) => ctx.bridge.resume(t.infoHash));
const stop = eachTorrent((t, _a, ctx) => ctx.bridge.pause(t.infoHash));

const verify = eachTorrent(async (t, _a, ctx) => {
  // A recheck takes as long as reading the data: answer now, progress shows in torrent-get.
  t.recheck().catch((err: unknown) =>
    ctx.log.warn({ infoHash: t.infoHash, err: String(err) }, 'recheck failed'),
  );
});

async function torrentRemove(args: Args, ctx: RpcContext): Promise<Args> {
  const deleteData = optBool(args, 'delete-local-data') ?? false;
  for (const t of selectTorrents(ctx, args.ids)) await ctx.bridge.remove(t.infoHash, deleteData);
  return {};
}

async function torrentSet(args: Args, ctx: RpcContext): Promise<Args> {
  const wanted = optIndexes(args, 'files-wanted');
  const unwanted = optIndexes(args, 'files-unwanted');
  const high = optIndexes(args, 'priority-high');
  const normal = optIndexes(args, 'priority-normal');
  const low = optIndexes(args, 'priority-low');
  const labels = optLabels(args);
  const ratioLimit = optNumber(args, 'seedRatioLimit');
  const ratioMode = optNumber(args, 'seedRatioMode');
  const location = optString(args, 'location');
  const queuePosition = optNumber(args, 'queuePosition');
  const limits: RateLimitFields = {};
  for (const dirn of ['upload', 'download'] as const) {
    const kB = optNumber(args, `${dirn}Limit`);
    if (kB !== undefined && kB < 0) throw new RpcError(400, `${dirn}Limit must be >= 0`);
    // Transmission's speeds are in kB of 1000 bytes
    if (kB !== undefined) limits[`${dirn}Limit`] = Math.round(kB * 1000);
    const on = optBool(args, `${dirn}Limited`);
    if (on !== undefined) limits[`${dirn}Limited`] = on;
  }
  const torrents = selectTorrents(ctx, args.ids);
  if (labels) await ctx.labels.addTags(labels);
  for (const t of torrents) {
    const hash = t.infoHash;
    const files = t.files();
    const setPriority = async (indexes: number[] | undefined, p: FilePriority | 'keep') => {
      for (const i of indexes ?? []) {
        if (i >= files.length)
          throw new RpcError(400, `no file ${i} in ${t.status().name || hash}`);
        const current = t.files()[i].priority;
        // "wanted" restores a normal priority; a priority on a skipped file keeps it skipped.
        const next = p === 'keep' ? (current === 0 ? 1 : current) : current === 0 ? 0 : p;
        if (next !== current) await ctx.bridge.setFilePriority(hash, i, next);
      }
    };
    await setPriority(high, 2);
    await setPriority(normal, 1);
    await setPriority(low, 1);
    await setPriority(wanted, 'keep');
    for (const i of unwanted ?? []) {
      if (i >= files.length) throw new RpcError(400, `no file ${i} in ${t.status().name || hash}`);
      await ctx.bridge.setFilePriority(hash, i, 0);
    }
    if (labels) await ctx.bridge.setLabels(hash, { tags: labels.length > 0 ? labels : undefined });
    if (Object.keys(limits).length > 0) await ctx.bridge.setRateLimits(hash, limits);
    if (ratioMode === 2 || ratioMode === 0)
      await ctx.bridge.setLabels(hash, { seedRatioLimit: undefined });
    if (ratioLimit !== undefined && ratioMode !== 0 && ratioMode !== 2) {
      if (ratioLimit < 0) throw new RpcError(400, 'seedRatioLimit must be >= 0');
      await ctx.bridge.setLabels(hash, { seedRatioLimit: ratioLimit });
    }
    if (location !== undefined) {
      await ctx.bridge.relocate(hash, await ctx.folders.downloadFolder(location), false);
    }
    ctx.ids.touch(hash);
  }
  if (queuePosition !== undefined) {
    const hashes = torrents.map((t) => t.infoHash);
    ctx.ids.move(hashes, queuePosition <= 0 ? 'top' : 'bottom');
  }
  ctx.enforceRatios();
  return {};
}

async function setLocation(args: Args, ctx: RpcContext): Promise<Args> {
  const location = optString(args, 'location');
  if (location === undefined) throw new RpcError(400, 'no location');
  const move = optBool(args, 'move') ?? false;
  const dir = await ctx.folders.downloadFolder(location);
  for (const t of selectTorrents(ctx, args.ids)) {
    await ctx.bridge.relocate(t.infoHash, dir, move);
    ctx.ids.touch(t.infoHash);
  }
  return {};
}

function queueMove(where: 'top' | 'up' | 'down' | 'bottom'): Method {
  return async (args, ctx) => {
    ctx.ids.move(
      selectTorrents(ctx, args.ids).map((t) => t.infoHash),
      where,
    );
    return {};
  };
}

async function freeSpace(args: Args, ctx: RpcContext): Promise<Args> {
  const path = optString(args, 'path');
  if (path === undefined) throw new RpcError(400, 'no path');
  const dir = await ctx.folders.downloadFolder(path);
  let size = -1;
  let total = -1;
  try {
    const st = await statfs(dir);
    size = st.bavail * st.bsize;
    total = st.blocks * st.bsize;
  } catch {
    // A folder that does not exist yet has no free space to report; Transmission says -1.
  }
  return { path, 'size-bytes': size, total_size: total };
}

/**
 * Transmission asks a web service whether peers can reach its port; enjambre contacts no
 * service, so this says whether the peer port accepts connections on this machine.
 */
async function portTest(_args: Args, ctx: RpcContext): Promise<Args> {
  const open = await new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: ctx.bridge.session.port });
    socket.setTimeout(3000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
  return { 'port-is-open': open };
}

// a stopped torrent announces when it is started, as in Transmission
const reannounce = eachTorrent(async (t) => t.reannounce());

const METHODS: Record<string, Method> = {
  'session-get': sessionGet,
  'session-set': sessionSet,
  'session-stats': sessionStats,
  'torrent-get': torrentGet,
  'torrent-add': torrentAdd,
  'torrent-start': start,
  'torrent-start-now': start,
  'torrent-stop': stop,
  'torrent-verify': verify,
  'torrent-reannounce': reannounce,
  'torrent-remove': torrentRemove,
  'torrent-set': torrentSet,
  'torrent-set-location': setLocation,
  'queue-move-top': queueMove('top'),
  'queue-move-up': queueMove('up'),
  'queue-move-down': queueMove('down'),
  'queue-move-bottom': queueMove('bottom'),
  'free-space': freeSpace,
  'port-test': portTest,
};

export { TR_STATUS, trStatus };
