/**
 * Translation between the swarm store's changes and snapshots and the replication wire records,
 * with validation of everything that comes off the wire (another replica is authenticated, but
 * may run other code or have a bug: nothing it sends may crash us or grow memory unbounded).
 */
import { replication } from '@enjambre/proto';
import { keyLength, recordLength } from '../store/snapshot-record';
import type { CatalogEntry, StoreChange, SwarmSnapshot } from '../store/types';

export type PeerRecord = replication.PeerRecord;
export type TorrentRecord = replication.TorrentRecord;
export type CompletedRecord = replication.CompletedRecord;
export type ChangeBatch = replication.ChangeBatch;

const MAX_NAME_BYTES = 1024;
/** Records in one batch we send, and at most accept. */
export const BATCH_RECORDS = 512;
export const MAX_BATCH_RECORDS = 4096;
/** Records more than this far in the future (clock skew or garbage) are refused. */
export const MAX_FUTURE_MS = 60_000;

/** Maps the store's completed-counter origin to replica ids and back. */
export interface Origins {
  /** This replica's id on the wire. */
  self: Buffer;
  /** The name the local store gives its own counter. */
  storeOrigin: string;
}

function wireOrigin(origin: string, o: Origins): Buffer {
  return origin === o.storeOrigin ? o.self : Buffer.from(origin, 'hex');
}

function storeOriginOf(origin: Buffer, o: Origins): string {
  return origin.equals(o.self) ? o.storeOrigin : origin.toString('hex');
}

export function emptyBatch(fullState: boolean): ChangeBatch {
  return { peers: [], torrents: [], completed: [], fullState };
}

export function batchSize(b: ChangeBatch): number {
  return b.peers.length + b.torrents.length + b.completed.length;
}

/** The record of a peer that left (a tombstone), with copies of the change's buffers. */
export function removalRecord(
  change: Extract<StoreChange, { kind: 'removed' }>,
  origin: Buffer,
): PeerRecord {
  return {
    infoHash: Buffer.from(change.infoHash),
    peerId: Buffer.from(change.peerId),
    ip: Buffer.from(change.ip),
    port: change.port,
    left: 0,
    uploaded: 0,
    downloaded: 0,
    updatedAtMs: change.at,
    origin,
    removed: true,
  };
}

/**
 * Local store changes as wire records. Expiries are not sent: every replica expires a peer at
 * the same time from its replicated lastSeen.
 */
export function recordsOfChange(change: StoreChange, o: Origins, now: number): ChangeBatch | null {
  const b = emptyBatch(false);
  // The record is sent later: copy what may be the caller's reused buffer (a front end's scratch).
  const infoHash = Buffer.from(change.infoHash);
  switch (change.kind) {
    case 'peer':
      b.peers.push(peerRecord(infoHash, change.peer, o.self, false));
      return b;
    case 'published':
      b.torrents.push(torrentRecord(infoHash, change.entry, o.self));
      b.peers.push(peerRecord(infoHash, change.peer, o.self, false));
      return b;
    case 'catalog':
      b.torrents.push(torrentRecord(infoHash, change.entry, o.self));
      return b;
    case 'removed':
      if (change.reason === 'expired') return null;
      b.peers.push(removalRecord(change, o.self));
      return b;
    case 'completed':
      b.completed.push({
        infoHash,
        origin: wireOrigin(change.origin, o),
        count: change.count,
        updatedAtMs: now,
      });
      return b;
  }
}

/** A catalog entry on the wire, with what decides merges (owner, times, withdrawal). */
function torrentRecord(infoHash: Buffer, e: CatalogEntry, origin: Buffer): TorrentRecord {
  return {
    infoHash,
    name: e.name,
    totalSize: e.totalSize,
    fileCount: e.fileCount,
    publishedAtMs: e.publishedAt,
    updatedAtMs: e.updatedAt ?? e.publishedAt,
    origin,
    owner: e.owner ?? '',
    withdrawn: e.withdrawn === true,
    signedAtMs: e.signedAt ?? 0,
    seededAtMs: e.seededAt ?? 0,
  };
}

function peerRecord(
  infoHash: Buffer,
  p: {
    ip: Buffer;
    port: number;
    peerId: Buffer;
    left: number;
    uploaded: number;
    downloaded: number;
    lastSeen: number;
  },
  origin: Buffer,
  removed: boolean,
): PeerRecord {
  return {
    infoHash,
    peerId: p.peerId,
    ip: p.ip,
    port: p.port,
    left: p.left,
    uploaded: p.uploaded,
    downloaded: p.downloaded,
    updatedAtMs: p.lastSeen,
    origin,
    removed,
  };
}

/** The whole store (and tombstones) as full-state batches of at most BATCH_RECORDS records. */
export function* snapshotBatches(
  swarms: Iterable<SwarmSnapshot>,
  tombstones: Iterable<PeerRecord>,
  o: Origins,
): Generator<ChangeBatch> {
  let b = emptyBatch(true);
  const flush = function* (): Generator<ChangeBatch> {
    if (batchSize(b) >= BATCH_RECORDS) {
      yield b;
      b = emptyBatch(true);
    }
  };
  for (const s of swarms) {
    if (s.catalog !== null) b.torrents.push(torrentRecord(s.infoHash, s.catalog, o.self));
    for (const [origin, count] of Object.entries(s.completed)) {
      b.completed.push({
        infoHash: s.infoHash,
        origin: wireOrigin(origin, o),
        count,
        updatedAtMs: 0,
      });
    }
    yield* flush();
    for (const [packed, ipLength] of [
      [s.peers4, 4],
      [s.peers6, 16],
    ] as const) {
      const stride = recordLength(ipLength);
      const kl = keyLength(ipLength);
      for (let off = 0; off + stride <= packed.length; off += stride) {
        b.peers.push({
          infoHash: s.infoHash,
          ip: Buffer.from(packed.subarray(off, off + ipLength)),
          port: packed.readUInt16BE(off + ipLength),
          peerId: Buffer.from(packed.subarray(off + ipLength + 2, off + kl)),
          updatedAtMs: packed.readDoubleLE(off + kl),
          left: packed.readDoubleLE(off + kl + 8),
          uploaded: packed.readDoubleLE(off + kl + 16),
          downloaded: packed.readDoubleLE(off + kl + 24),
          origin: o.self,
          removed: false,
        });
        yield* flush();
      }
    }
  }
  for (const t of tombstones) {
    b.peers.push({ ...t, origin: o.self });
    yield* flush();
  }
  if (batchSize(b) > 0) yield b;
}

const isCount = (n: number) => Number.isSafeInteger(n) && n >= 0;
const isTime = (n: number, now: number) =>
  Number.isSafeInteger(n) && n >= 0 && n <= now + MAX_FUTURE_MS;

/** Why a record is refused, or null if it is well-formed. */
export function invalidPeer(p: PeerRecord, now: number): string | null {
  if (p.infoHash.length !== 20) return 'info_hash is not 20 bytes';
  if (p.peerId.length !== 20) return 'peer_id is not 20 bytes';
  if (p.ip.length !== 4 && p.ip.length !== 16) return 'ip is not 4 or 16 bytes';
  if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) return 'port out of range';
  if (!isCount(p.left) || !isCount(p.uploaded) || !isCount(p.downloaded)) return 'bad counters';
  if (!isTime(p.updatedAtMs, now)) return 'updated_at_ms out of range';
  if (p.origin.length !== 16) return 'origin is not a replica id';
  return null;
}

export function invalidTorrent(t: TorrentRecord, now: number): string | null {
  if (t.infoHash.length !== 20) return 'info_hash is not 20 bytes';
  if (Buffer.byteLength(t.name, 'utf8') > MAX_NAME_BYTES) return 'name too long';
  if (!isCount(t.totalSize) || !isCount(t.fileCount)) return 'bad size or file count';
  if (!isTime(t.publishedAtMs, now) || !isTime(t.updatedAtMs, now)) return 'time out of range';
  if (!isTime(t.seededAtMs, now) || !Number.isSafeInteger(t.signedAtMs) || t.signedAtMs < 0)
    return 'time out of range';
  if (t.owner.length > 80 || !/^((key|ip):[0-9a-f]+)?$/.test(t.owner)) return 'bad owner';
  return null;
}

export function invalidCompleted(c: CompletedRecord, now: number): string | null {
  if (c.infoHash.length !== 20) return 'info_hash is not 20 bytes';
  if (c.origin.length !== 16) return 'origin is not a replica id';
  if (!isCount(c.count)) return 'bad count';
  if (!isTime(c.updatedAtMs, now)) return 'updated_at_ms out of range';
  return null;
}

/** A change from another replica: a store change, or a catalog entry on its own. */
export type IncomingChange =
  StoreChange | { kind: 'catalog'; infoHash: Buffer; entry: CatalogEntry };

/** The changes a received batch stands for; malformed records are counted, not applied. */
export function storeChangesOf(
  b: ChangeBatch,
  o: Origins,
  now: number,
): { changes: IncomingChange[]; invalid: number } {
  const changes: IncomingChange[] = [];
  let invalid = 0;
  for (const t of b.torrents) {
    if (invalidTorrent(t, now) !== null) {
      invalid++;
      continue;
    }
    changes.push({
      kind: 'catalog',
      infoHash: t.infoHash,
      entry: {
        name: t.name,
        totalSize: t.totalSize,
        fileCount: t.fileCount,
        publishedAt: t.publishedAtMs,
        updatedAt: t.updatedAtMs,
        ...(t.owner !== '' ? { owner: t.owner } : {}),
        ...(t.signedAtMs > 0 ? { signedAt: t.signedAtMs } : {}),
        ...(t.seededAtMs > 0 ? { seededAt: t.seededAtMs } : {}),
        ...(t.withdrawn ? { withdrawn: true } : {}),
      },
    });
  }
  for (const p of b.peers) {
    if (invalidPeer(p, now) !== null) {
      invalid++;
      continue;
    }
    if (p.removed) {
      changes.push({
        kind: 'removed',
        infoHash: p.infoHash,
        ip: p.ip,
        port: p.port,
        peerId: p.peerId,
        at: p.updatedAtMs,
        reason: 'stopped',
      });
    } else {
      changes.push({
        kind: 'peer',
        infoHash: p.infoHash,
        event: 'none',
        peer: {
          ip: p.ip,
          port: p.port,
          peerId: p.peerId,
          left: p.left,
          uploaded: p.uploaded,
          downloaded: p.downloaded,
          lastSeen: p.updatedAtMs,
        },
      });
    }
  }
  for (const c of b.completed) {
    if (invalidCompleted(c, now) !== null) {
      invalid++;
      continue;
    }
    changes.push({
      kind: 'completed',
      infoHash: c.infoHash,
      origin: storeOriginOf(c.origin, o),
      count: c.count,
    });
  }
  return { changes, invalid };
}
