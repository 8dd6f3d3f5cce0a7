import { randomBytes } from 'node:crypto';
import { CatalogBook } from './catalog-book';
import { pageToken, tokenSeq } from './catalog-rules';
import {
  PEER_ID_LENGTH,
  PeerTables,
  ipLengthOf,
  isSeedTable,
  kindOf,
  peerKeyLength,
} from './peer-table';
import { Sampler } from './sampler';
import { Slab } from './slab';
import { keyLength, readRecord, recordLength, writeRecord } from './snapshot-record';
import { SwarmIndex } from './swarm-index';
import {
  DEFAULT_LIMITS,
  StoreFullError,
  addressOwner,
  type AnnounceInput,
  type AnnounceResult,
  type CatalogEntry,
  type CatalogItem,
  type CatalogPage,
  type CatalogQuery,
  type PeerState,
  type PublishInput,
  type PublishResult,
  type StoreChange,
  type StoreStats,
  type SwarmCounts,
  type SwarmSnapshot,
  type SwarmStore,
  type SwarmStoreLimits,
  type WithdrawResult,
} from './types';

/** Index slots one ListTorrents call may visit (dead, filtered or listed). */
const MAX_LIST_WORK = 2000;
const EMPTY = Buffer.alloc(0);
const NONE = -1;

export interface MemoryStoreOptions {
  limits?: Partial<SwarmStoreLimits>;
  /** Wall clock in Unix milliseconds (tests move it). */
  now?: () => number;
  /** This replica's name in completed counters (replication); default "local". */
  origin?: string;
  /** Random source in [0, 1) for peer sampling. */
  random?: () => number;
}

/** Identity bytes (ip, port, peer id) of the peer being processed; calls are synchronous. */
const scratch = Buffer.allocUnsafe(peerKeyLength(16));

function writeKey(ip: Buffer, port: number, peerId: Buffer): Buffer {
  ip.copy(scratch, 0);
  scratch.writeUInt16BE(port, ip.length);
  peerId.copy(scratch, ip.length + 2, 0, PEER_ID_LENGTH);
  return scratch;
}

/**
 * The swarm store in this process's memory. A swarm is an id (swarm-index.ts) owning peer
 * tables id × 4 + kind (peer-table.ts); the few swarms with a catalog entry or other replicas'
 * completed counters keep those in maps by id. See STATE.md for the invariants.
 */
export class MemorySwarmStore implements SwarmStore {
  readonly limits: SwarmStoreLimits;
  private readonly slab = new Slab();
  private readonly tables = new PeerTables(this.slab, randomBytes(4).readInt32LE(0));
  private readonly swarms = new SwarmIndex((capacity) => this.tables.grow(capacity * 4));
  private readonly catalog = new CatalogBook();
  /** Other replicas' completed counters, merged by maximum. */
  private readonly remoteCompleted = new Map<number, Map<string, number>>();
  private readonly listeners: Array<(change: StoreChange) => void> = [];
  private readonly now: () => number;
  private readonly origin: string;
  private readonly sampler: Sampler;
  private sweepCursor = 0;
  private seederCount = 0;
  private leecherCount = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.now = options.now ?? Date.now;
    this.origin = options.origin ?? 'local';
    this.sampler = new Sampler(this.tables, this.limits.maxNumwant, options.random ?? Math.random);
  }

  private get ttlMs(): number {
    return (this.limits.interval + this.limits.grace) * 1000;
  }

  announce(input: AnnounceInput): AnnounceResult {
    const now = this.now();
    const withIds = !!input.withPeerIds;
    let id = this.swarms.get(input.infoHash);
    if (id !== NONE && now >= this.swarms.nextExpiry[id] * 1000) {
      // Expiry may empty and drop the swarm: carry on as for a new one.
      if (!this.expireSwarm(id, now)) id = NONE;
    }
    if (id === NONE) {
      if (input.event === 'stopped') return this.result(NONE, EMPTY, EMPTY, withIds);
      id = this.createSwarm(input.infoHash);
    }
    const tables = this.tables;
    const v6 = input.ip.length === 16;
    const seed = input.left === 0;
    const key = writeKey(input.ip, input.port, input.peerId);
    const own = id * 4 + kindOf(v6, seed);
    const other = id * 4 + kindOf(v6, !seed);
    let t = own;
    let slot = tables.find(own, key);
    const wasSeeder = seed && slot >= 0;
    if (slot < 0) {
      const otherSlot = tables.find(other, key);
      if (otherSlot >= 0) {
        if (input.event !== 'stopped') {
          tables.remove(other, otherSlot);
          this.count(!seed, -1);
        } else {
          t = other;
          slot = otherSlot;
        }
      }
    }

    if (input.event === 'stopped') {
      if (slot >= 0) {
        tables.remove(t, slot);
        this.count(isSeedTable(t), -1);
        this.emit({
          kind: 'removed',
          infoHash: input.infoHash,
          ip: input.ip,
          port: input.port,
          peerId: input.peerId,
          at: now,
          reason: 'stopped',
        });
      }
      const result = this.result(id, EMPTY, EMPTY, withIds);
      this.dropIfEmpty(id);
      return result;
    }

    if (slot >= 0) tables.touch(t, slot, now);
    else if (this.peersOf(id) < this.limits.maxPeersPerTorrent) {
      slot = tables.insert(t, key, now);
      this.count(seed, 1);
    }

    // A peer that already seeded here does not complete twice.
    if (input.event === 'completed' && seed && !wasSeeder) this.bumpCompleted(input.infoHash, id);
    if (this.listeners.length > 0 && slot >= 0) {
      this.emit({
        kind: 'peer',
        infoHash: input.infoHash,
        event: input.event,
        peer: this.peerState(input, now),
      });
    }
    return this.sample(id, input, v6, seed, t, slot);
  }

  publish(input: PublishInput): PublishResult {
    const now = this.now();
    let id = this.swarms.get(input.infoHash);
    if (id === NONE) id = this.createSwarm(input.infoHash);
    const owner = input.owner ?? addressOwner(input.ip);
    const cur = this.catalog.get(id);
    // The info-hash is the key and its first publisher owns it; entries saved before owners
    // existed (no owner) belong to nobody.
    const listed = cur === null || cur.owner === owner;
    const fresh =
      cur === null ||
      input.signedAt === undefined ||
      cur.signedAt === undefined ||
      input.signedAt > cur.signedAt;
    if (listed && fresh) {
      this.catalog.set(id, input.infoHash, {
        name: input.name,
        totalSize: input.totalSize,
        fileCount: input.fileCount,
        publishedAt: cur === null ? now : cur.publishedAt,
        owner,
        updatedAt: Math.max(now, (cur?.updatedAt ?? 0) + 1),
        ...(input.signedAt !== undefined
          ? { signedAt: input.signedAt }
          : cur?.signedAt !== undefined
            ? { signedAt: cur.signedAt }
            : {}),
        seededAt: now,
      });
    }
    const result = this.announce({
      infoHash: input.infoHash,
      peerId: input.peerId,
      ip: input.ip,
      port: input.port,
      event: 'started',
      uploaded: 0,
      downloaded: 0,
      left: 0,
      numwant: 0,
    });
    // The announce may have expired the swarm and made a new one: look it up again.
    const entry = this.catalog.get(this.swarms.get(input.infoHash));
    if (this.listeners.length > 0 && entry !== null) {
      this.emit({
        kind: 'published',
        infoHash: input.infoHash,
        entry: { ...entry },
        peer: this.peerState({ ...input, left: 0, uploaded: 0, downloaded: 0 }, now),
      });
    }
    return { ...result, listed };
  }

  withdraw(infoHash: Buffer, owner: string, signedAt?: number): WithdrawResult {
    const id = this.swarms.get(infoHash);
    const cur = id === NONE ? null : this.catalog.get(id);
    if (cur === null || cur.withdrawn) return 'not_found';
    if (cur.owner !== owner) return 'not_owner';
    if (signedAt !== undefined && cur.signedAt !== undefined && signedAt <= cur.signedAt)
      return 'stale';
    const entry: CatalogEntry = {
      ...cur,
      withdrawn: true,
      updatedAt: Math.max(this.now(), (cur.updatedAt ?? 0) + 1),
      ...(signedAt !== undefined ? { signedAt } : {}),
    };
    this.catalog.set(id, infoHash, entry);
    this.emit({ kind: 'catalog', infoHash: Buffer.from(infoHash), entry: { ...entry } });
    return 'withdrawn';
  }

  scrape(infoHashes: Buffer[]): SwarmCounts[] {
    return infoHashes.map((hash) => {
      const id = this.swarms.get(hash);
      return {
        seeders: this.seeders(id),
        leechers: this.leechers(id),
        completed: this.completedOf(id),
      };
    });
  }

  listTorrents(query: CatalogQuery): CatalogPage {
    const pageSize = Math.max(1, query.pageSize);
    const after = tokenSeq(query.pageToken, (hash) => {
      const id = this.swarms.get(hash);
      return id === NONE ? 0 : this.catalog.seqOf(id);
    });
    const page = this.catalog.page(
      after,
      pageSize,
      query.query ?? '',
      Math.max(MAX_LIST_WORK, pageSize),
    );
    const torrents: CatalogItem[] = [];
    for (const hashKey of page.keys) {
      const infoHash = Buffer.from(hashKey, 'latin1');
      const id = this.swarms.get(infoHash);
      const entry = id === NONE ? null : this.catalog.get(id);
      if (entry === null) continue;
      const { name, totalSize, fileCount, publishedAt } = entry;
      torrents.push({
        infoHash,
        name,
        totalSize,
        fileCount,
        publishedAt,
        seeders: this.seeders(id),
        leechers: this.leechers(id),
        completed: this.completedOf(id),
      });
    }
    return { torrents, nextPageToken: page.next === 0 ? '' : pageToken(page.next) };
  }

  stats(): StoreStats {
    return {
      torrents: this.swarms.count,
      seeders: this.seederCount,
      leechers: this.leecherCount,
      catalogTorrents: this.catalog.size,
    };
  }

  sweep(maxSwarms: number): boolean {
    const now = this.now();
    // Ids are dense: the cursor walks them; a swarm made behind it waits for the next pass.
    for (let i = 0; i < maxSwarms; i++) {
      const id = this.sweepCursor;
      if (id >= this.swarms.end) {
        this.sweepCursor = 0;
        return true;
      }
      this.sweepCursor++;
      if (this.swarms.live[id] === 1) this.expireSwarm(id, now);
    }
    return false;
  }

  onChange(listener: (change: StoreChange) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  apply(change: StoreChange): void {
    // Remote input: anything malformed is ignored rather than stored under a wrong key.
    if (change.infoHash.length !== 20) return;
    let id = this.swarms.get(change.infoHash);
    switch (change.kind) {
      case 'peer':
      case 'published': {
        const fresh = change.peer.lastSeen >= this.now() - this.ttlMs;
        if (!fresh && change.kind === 'peer') return;
        if (id === NONE) id = this.createSwarm(change.infoHash);
        if (change.kind === 'published') {
          this.catalog.merge(id, change.infoHash, change.entry, this.now());
        }
        if (fresh) this.mergePeer(id, change.peer);
        return;
      }
      case 'removed': {
        if (id === NONE || change.peerId.length !== PEER_ID_LENGTH) return;
        if (change.ip.length !== 4 && change.ip.length !== 16) return;
        const key = writeKey(change.ip, change.port, change.peerId);
        for (const seed of [false, true]) {
          const t = id * 4 + kindOf(change.ip.length === 16, seed);
          const slot = this.tables.find(t, key);
          if (slot >= 0 && this.tables.lastSeen(t, slot) <= change.at) {
            this.tables.remove(t, slot);
            this.count(seed, -1);
          }
        }
        return;
      }
      case 'completed': {
        if (id === NONE) id = this.createSwarm(change.infoHash);
        this.mergeCompleted(id, change.origin, change.count);
        return;
      }
      case 'catalog': {
        if (id === NONE) id = this.createSwarm(change.infoHash);
        this.catalog.merge(id, change.infoHash, change.entry, this.now());
        this.dropIfEmpty(id);
        return;
      }
    }
  }

  *snapshot(): Iterable<SwarmSnapshot> {
    for (let id = 0; id < this.swarms.end; id++) {
      if (this.swarms.live[id] !== 1 || !this.expireSwarm(id, this.now())) continue;
      const completed: Record<string, number> = {};
      if (this.swarms.completed[id] > 0) completed[this.origin] = this.swarms.completed[id];
      for (const [origin, n] of this.remoteCompleted.get(id) ?? []) completed[origin] = n;
      const entry = this.catalog.get(id);
      yield {
        infoHash: Buffer.from(this.swarms.hashOf(id)),
        completed,
        catalog: entry === null ? null : { ...entry },
        peers4: this.records(id, false),
        peers6: this.records(id, true),
      };
    }
  }

  restore(snapshot: SwarmSnapshot): void {
    if (snapshot.infoHash.length !== 20) throw new RangeError('snapshot info-hash is not 20 bytes');
    for (const [buf, ipLength] of [
      [snapshot.peers4, 4],
      [snapshot.peers6, 16],
    ] as const) {
      if (buf.length % recordLength(ipLength) !== 0)
        throw new RangeError('snapshot peer records are truncated');
    }
    let id = this.swarms.get(snapshot.infoHash);
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

  // --- internals ---

  private seeders(id: number): number {
    return id === NONE ? 0 : this.tables.size[id * 4 + 1] + this.tables.size[id * 4 + 3];
  }

  private leechers(id: number): number {
    return id === NONE ? 0 : this.tables.size[id * 4] + this.tables.size[id * 4 + 2];
  }

  private peersOf(id: number): number {
    return this.seeders(id) + this.leechers(id);
  }

  private completedOf(id: number): number {
    if (id === NONE) return 0;
    let total = this.swarms.completed[id];
    for (const n of this.remoteCompleted.get(id)?.values() ?? []) total += n;
    return total;
  }

  private createSwarm(infoHash: Buffer): number {
    if (this.swarms.count >= this.limits.maxTorrents) throw new StoreFullError();
    const id = this.swarms.add(infoHash);
    this.swarms.nextExpiry[id] = Math.ceil((this.now() + this.limits.grace * 1000) / 1000);
    return id;
  }

  /** Forgets a swarm with no peers and no catalog entry; returns whether it is still there. */
  private dropIfEmpty(id: number): boolean {
    if (this.peersOf(id) > 0 || this.catalog.get(id) !== null) return true;
    for (let k = 0; k < 4; k++) this.tables.release(id * 4 + k);
    this.remoteCompleted.delete(id);
    this.swarms.delete(id);
    return false;
  }

  private count(seed: boolean, delta: number): void {
    if (seed) this.seederCount += delta;
    else this.leecherCount += delta;
  }

  private bumpCompleted(infoHash: Buffer, id: number): void {
    const count = ++this.swarms.completed[id];
    this.emit({ kind: 'completed', infoHash, origin: this.origin, count });
  }

  private mergeCompleted(id: number, origin: string, count: number): void {
    if (!Number.isFinite(count) || count < 0) return;
    if (origin === this.origin) {
      this.swarms.completed[id] = Math.max(this.swarms.completed[id], count);
      return;
    }
    let remote = this.remoteCompleted.get(id);
    if (remote === undefined) this.remoteCompleted.set(id, (remote = new Map()));
    remote.set(origin, Math.max(remote.get(origin) ?? 0, count));
  }

  /** Last-writer-wins upsert of a remote or restored peer. */
  private mergePeer(id: number, peer: PeerState): void {
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
  private expireSwarm(id: number, now: number): boolean {
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
    this.swarms.nextExpiry[id] = Math.ceil((now + this.limits.grace * 1000) / 1000);
    const hash = this.swarms.hashOf(id);
    this.catalog.expire(id, hash, this.seeders(id) > 0, now, this.limits.catalogTtl * 1000);
    return this.dropIfEmpty(id);
  }

  private emitExpired(id: number, t: number, buf: Buffer, off: number): void {
    const ipLength = ipLengthOf(t);
    const kl = peerKeyLength(ipLength);
    this.emit({
      kind: 'removed',
      infoHash: Buffer.from(this.swarms.hashOf(id)),
      ip: Buffer.from(buf.subarray(off, off + ipLength)),
      port: buf.readUInt16BE(off + ipLength),
      peerId: Buffer.from(buf.subarray(off + ipLength + 2, off + kl)),
      at: buf.readUInt16LE(off + kl + 4) * 2 ** 32 + buf.readUInt32LE(off + kl),
      reason: 'expired',
    });
  }

  /** A swarm's peers of one family as snapshot records (snapshot-record.ts). */
  private records(id: number, v6: boolean): Buffer {
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

  private emit(change: StoreChange): void {
    for (const listener of this.listeners) listener(change);
  }

  private peerState(
    input: Pick<AnnounceInput, 'ip' | 'port' | 'peerId' | 'left' | 'uploaded' | 'downloaded'>,
    now: number,
  ): PeerState {
    return {
      ip: Buffer.from(input.ip),
      port: input.port,
      peerId: Buffer.from(input.peerId),
      left: input.left,
      uploaded: input.uploaded,
      downloaded: input.downloaded,
      lastSeen: now,
    };
  }

  private result(id: number, peers4: Buffer, peers6: Buffer, withPeerIds: boolean): AnnounceResult {
    return {
      interval: this.limits.interval,
      minInterval: this.limits.minInterval,
      seeders: this.seeders(id),
      leechers: this.leechers(id),
      completed: this.completedOf(id),
      peers4,
      peers6,
      withPeerIds,
    };
  }

  /**
   * A random sample: the asker's family first, then the other one (unless sameFamilyOnly);
   * seeders only get leechers; never the asker itself.
   */
  private sample(
    id: number,
    input: AnnounceInput,
    v6: boolean,
    seed: boolean,
    askerT: number,
    askerSlot: number,
  ): AnnounceResult {
    const withIds = !!input.withPeerIds;
    let want = Math.min(input.numwant ?? this.limits.defaultNumwant, this.limits.maxNumwant);
    if (want < 0) want = 0;
    const pick = (family6: boolean, half: number): Buffer => {
      const a = id * 4 + kindOf(family6, false);
      const b = seed ? NONE : id * 4 + kindOf(family6, true);
      const out = this.sampler.pick(a, b, want, withIds, askerT, askerSlot, half);
      want -= out.length / ((family6 ? 18 : 6) + (withIds ? PEER_ID_LENGTH : 0));
      return out;
    };
    const mine = pick(v6, 0);
    const theirs = input.sameFamilyOnly || want === 0 ? EMPTY : pick(!v6, 1);
    return v6 ? this.result(id, theirs, mine, withIds) : this.result(id, mine, theirs, withIds);
  }
}
