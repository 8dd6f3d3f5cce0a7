import { randomBytes } from 'node:crypto';
import { CatalogBook } from './catalog-book';
import {
  PEER_ID_LENGTH,
  PeerTables,
  ipLengthOf,
  isSeedTable,
  kindOf,
  peerKeyLength,
} from './peer-table';
import { Slab } from './slab';
import { keyLength, readRecord, recordLength, writeRecord } from './snapshot-record';
import { SwarmIndex } from './swarm-index';
import {
  StoreFullError,
  type PeerState,
  type StoreChange,
  type SwarmSnapshot,
  type SwarmStoreLimits,
} from './types';

export const NONE = -1;
const EMPTY = Buffer.alloc(0);

/** Identity bytes (ip, port, peer id) of the peer being processed; calls are synchronous. */
const scratch = Buffer.allocUnsafe(peerKeyLength(16));

export function writeKey(ip: Buffer, port: number, peerId: Buffer): Buffer {
  ip.copy(scratch, 0);
  scratch.writeUInt16BE(port, ip.length);
  peerId.copy(scratch, ip.length + 2, 0, PEER_ID_LENGTH);
  return scratch;
}

/**
 * The swarms' state and the operations both local announces and replication use: a swarm is
 * an id (swarm-index.ts) owning peer tables id × 4 + kind (peer-table.ts); the few swarms with
 * a catalog entry or other replicas' completed counters keep those in maps by id. Counts of
 * seeders and leechers are kept in step with every insert and removal.
 */
export class Swarms {
  readonly slab = new Slab();
  readonly tables = new PeerTables(this.slab, randomBytes(4).readInt32LE(0));
  readonly index = new SwarmIndex((capacity) => this.tables.grow(capacity * 4));
  readonly catalog = new CatalogBook();
  /** Other replicas' completed counters, merged by maximum. */
  readonly remoteCompleted = new Map<number, Map<string, number>>();
  readonly listeners: Array<(change: StoreChange) => void> = [];
  seederCount = 0;
  leecherCount = 0;

  constructor(
    readonly limits: SwarmStoreLimits,
    readonly now: () => number,
    readonly origin: string,
  ) {}

  get ttlMs(): number {
    return (this.limits.interval + this.limits.grace) * 1000;
  }

  emit(change: StoreChange): void {
    for (const listener of this.listeners) listener(change);
  }

  seeders(id: number): number {
    return id === NONE ? 0 : this.tables.size[id * 4 + 1] + this.tables.size[id * 4 + 3];
  }

  leechers(id: number): number {
    return id === NONE ? 0 : this.tables.size[id * 4] + this.tables.size[id * 4 + 2];
  }

  peersOf(id: number): number {
    return this.seeders(id) + this.leechers(id);
  }

  completedOf(id: number): number {
    if (id === NONE) return 0;
    let total = this.index.completed[id];
    for (const n of this.remoteCompleted.get(id)?.values() ?? []) total += n;
    return total;
  }

  createSwarm(infoHash: Buffer): number {
    if (this.index.count >= this.limits.maxTorrents) throw new StoreFullError();
    const id = this.index.add(infoHash);
    this.index.nextExpiry[id] = Math.ceil((this.now() + this.limits.grace * 1000) / 1000);
    return id;
  }

  /** Forgets a swarm with no peers and no catalog entry; returns whether it is still there. */
  dropIfEmpty(id: number): boolean {
    if (this.peersOf(id) > 0 || this.catalog.get(id) !== null) return true;
    for (let k = 0; k < 4; k++) this.tables.release(id * 4 + k);
    this.remoteCompleted.delete(id);
    this.index.delete(id);
    return false;
  }

  count(seed: boolean, delta: number): void {
    if (seed) this.seederCount += delta;
    else this.leecherCount += delta;
  }

  bumpCompleted(infoHash: Buffer, id: number): void {
    const count = ++this.index.completed[id];
    this.emit({ kind: 'completed', infoHash, origin: this.origin, count });
  }

  mergeCompleted(id: number, origin: string, count: number): void {
    if (!Number.isFinite(count) || count < 0) return;
    if (origin === this.origin) {
      this.index.completed[id] = Math.max(this.index.completed[id], count);
      return;
    }
    let remote = this.remoteCompleted.get(id);
    if (remote === undefined) this.remoteCompleted.set(id, (remote = new Map()));
    remote.set(origin, Math.max(remote.get(origin) ?? 0, count));
  }

  /** Last-writer-wins upsert of a remote or restored peer. */
  mergePeer(id: number, peer: PeerState): void {
    if (peer.ip.length !== 4 && peer.ip.length !== 16) return;
    if (peer.peerId.length !== PEER_ID_LENGTH || !(peer.port >= 1 && peer.port <= 65535)) return;
    if (!Number.isFinite(peer.lastSeen) || !(peer.left >= 0)) return;
    const v6 = peer.ip.length === 16;
    const seed = peer.left === 0;
    const key = writeKey(peer.ip, peer.port, peer.peerId);
    for (const s of [false, true]) {
      const t = id * 4 + kindOf(v6, s);
      const slot = this.tables.find(t, key);
      if (slot < 0) continue;
      if (this.tables.lastSeen(t, slot) >= Math.floor(peer.lastSeen)) return;
      if (s === seed) {
        this.tables.touch(t, slot, peer.lastSeen);
        return;
      }
      this.tables.remove(t, slot);
      this.count(s, -1);
    }
    if (this.peersOf(id) >= this.limits.maxPeersPerTorrent) return;
    this.tables.insert(id * 4 + kindOf(v6, seed), key, peer.lastSeen);
    this.count(seed, 1);
  }

  /** Expires silent peers and a stale catalog entry; returns whether the swarm is still there. */
  expireSwarm(id: number, now: number): boolean {
    const cutoff = now - this.ttlMs;
    const emitting = this.listeners.length > 0;
    for (let kind = 0; kind < 4; kind++) {
      const t = id * 4 + kind;
      if (this.tables.size[t] === 0) continue;
      const onRemoved = emitting
        ? (buf: Buffer, off: number) => this.emitExpired(id, t, buf, off)
        : null;
      this.count(isSeedTable(t), -this.tables.expire(t, cutoff, onRemoved));
    }
    this.index.nextExpiry[id] = Math.ceil((now + this.limits.grace * 1000) / 1000);
    const hash = this.index.hashOf(id);
    this.catalog.expire(id, hash, this.seeders(id) > 0, now, this.limits.catalogTtl * 1000);
    return this.dropIfEmpty(id);
  }

  emitExpired(id: number, t: number, buf: Buffer, off: number): void {
    const ipLength = ipLengthOf(t);
    const kl = peerKeyLength(ipLength);
    this.emit({
      kind: 'removed',
      infoHash: Buffer.from(this.index.hashOf(id)),
      ip: Buffer.from(buf.subarray(off, off + ipLength)),
      port: buf.readUInt16BE(off + ipLength),
      peerId: Buffer.from(buf.subarray(off + ipLength + 2, off + kl)),
      at: buf.readUInt16LE(off + kl + 4) * 2 ** 32 + buf.readUInt32LE(off + kl),
      reason: 'expired',
    });
  }

  /** A swarm as plain data (its peers as snapshot records). */
  snapshotOf(id: number): SwarmSnapshot {
    const completed: Record<string, number> = {};
    if (this.index.completed[id] > 0) completed[this.origin] = this.index.completed[id];
    for (const [origin, n] of this.remoteCompleted.get(id) ?? []) completed[origin] = n;
    const entry = this.catalog.get(id);
    return {
      infoHash: Buffer.from(this.index.hashOf(id)),
      completed,
      catalog: entry === null ? null : { ...entry },
      peers4: this.records(id, false),
      peers6: this.records(id, true),
    };
  }

  /** Merges a snapshot as `apply` would each of its facts. */
  restore(snapshot: SwarmSnapshot): void {
    if (snapshot.infoHash.length !== 20) throw new RangeError('snapshot info-hash is not 20 bytes');
    for (const [buf, ipLength] of [
      [snapshot.peers4, 4],
      [snapshot.peers6, 16],
    ] as const) {
      if (buf.length % recordLength(ipLength) !== 0)
        throw new RangeError('snapshot peer records are truncated');
    }
    let id = this.index.get(snapshot.infoHash);
    if (id === NONE) id = this.createSwarm(snapshot.infoHash);
    if (snapshot.catalog !== null) {
      this.catalog.merge(id, snapshot.infoHash, snapshot.catalog, this.now());
    }
    for (const [origin, n] of Object.entries(snapshot.completed))
      this.mergeCompleted(id, origin, n);
    const cutoff = this.now() - this.ttlMs;
    for (const [buf, ipLength] of [
      [snapshot.peers4, 4],
      [snapshot.peers6, 16],
    ] as const) {
      const stride = recordLength(ipLength);
      for (let off = 0; off < buf.length; off += stride) {
        if (buf.readDoubleLE(off + keyLength(ipLength)) < cutoff) continue;
        this.mergePeer(id, readRecord(buf, off, ipLength));
      }
    }
    this.dropIfEmpty(id);
  }

  /** A swarm's peers of one family as snapshot records (snapshot-record.ts). */
  records(id: number, v6: boolean): Buffer {
    const ipLength = v6 ? 16 : 4;
    const leech = id * 4 + kindOf(v6, false);
    const seed = id * 4 + kindOf(v6, true);
    const n = this.tables.size[leech] + this.tables.size[seed];
    if (n === 0) return EMPTY;
    const stride = recordLength(ipLength);
    const out = Buffer.allocUnsafe(n * stride);
    let off = 0;
    for (const t of [leech, seed]) {
      const buf = this.tables.buf(t);
      for (let slot = 0; slot < this.tables.size[t]; slot++, off += stride) {
        const lastSeen = this.tables.lastSeen(t, slot);
        writeRecord(out, off, buf, this.tables.offset(t, slot), ipLength, lastSeen, t === seed);
      }
    }
    return out;
  }
}
