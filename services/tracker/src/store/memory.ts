import { CatalogIndex } from './catalog-index';
import { PeerTable, PEER_ID_LENGTH, keyLength, recordLength } from './peer-table';
import { Slab } from './slab';
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
const TOKEN_VERSION = 1;

/** Whether catalog entry `a` replaces `b` when they meet (see mergeCatalog). */
function supersedes(a: CatalogEntry, b: CatalogEntry): boolean {
  if (a.owner !== b.owner) {
    if (a.publishedAt !== b.publishedAt) return a.publishedAt < b.publishedAt;
    return (a.owner ?? '') < (b.owner ?? '');
  }
  if (a.owner === undefined) {
    // Entries from before owners: the earliest publish wins, as it always did.
    if (a.publishedAt !== b.publishedAt) return a.publishedAt < b.publishedAt;
    return a.name < b.name;
  }
  const ua = a.updatedAt ?? a.publishedAt;
  const ub = b.updatedAt ?? b.publishedAt;
  if (ua !== ub) return ua > ub;
  if (!!a.withdrawn !== !!b.withdrawn) return !!a.withdrawn;
  if (a.name !== b.name) return a.name < b.name;
  if (a.totalSize !== b.totalSize) return a.totalSize < b.totalSize;
  return a.fileCount < b.fileCount;
}

function pageToken(seq: number): string {
  const b = Buffer.alloc(9);
  b[0] = TOKEN_VERSION;
  b.writeBigUInt64BE(BigInt(seq), 1);
  return b.toString('base64url');
}

export interface MemoryStoreOptions {
  limits?: Partial<SwarmStoreLimits>;
  /** Wall clock in Unix milliseconds (tests move it). */
  now?: () => number;
  /** This replica's name in completed counters (replication); default "local". */
  origin?: string;
  /** Random source in [0, 1) for peer sampling. */
  random?: () => number;
}

/** One torrent: four peer tables (family × state) created on demand. */
class Swarm {
  v4leech: PeerTable | null = null;
  v4seed: PeerTable | null = null;
  v6leech: PeerTable | null = null;
  v6seed: PeerTable | null = null;
  /** This replica's completed counter. */
  completed = 0;
  /** Other replicas' completed counters, merged by maximum. */
  remoteCompleted: Map<string, number> | null = null;
  catalog: CatalogEntry | null = null;
  /** The entry's place in the catalog index; 0 while not listed. */
  catalogSeq = 0;
  /** Next time (ms) an announce should expire this swarm's silent peers. */
  nextExpiry = 0;

  seeders(): number {
    return (this.v4seed?.size ?? 0) + (this.v6seed?.size ?? 0);
  }
  leechers(): number {
    return (this.v4leech?.size ?? 0) + (this.v6leech?.size ?? 0);
  }
  totalCompleted(): number {
    let total = this.completed;
    if (this.remoteCompleted !== null) for (const n of this.remoteCompleted.values()) total += n;
    return total;
  }
  table(v6: boolean, seed: boolean): PeerTable | null {
    return v6 ? (seed ? this.v6seed : this.v6leech) : seed ? this.v4seed : this.v4leech;
  }
  ensureTable(v6: boolean, seed: boolean, slab: Slab): PeerTable {
    let table = this.table(v6, seed);
    if (table !== null) return table;
    table = new PeerTable(v6 ? 16 : 4, slab);
    if (v6) {
      if (seed) this.v6seed = table;
      else this.v6leech = table;
    } else if (seed) this.v4seed = table;
    else this.v4leech = table;
    return table;
  }
  tables(): PeerTable[] {
    const out: PeerTable[] = [];
    if (this.v4leech !== null) out.push(this.v4leech);
    if (this.v4seed !== null) out.push(this.v4seed);
    if (this.v6leech !== null) out.push(this.v6leech);
    if (this.v6seed !== null) out.push(this.v6seed);
    return out;
  }
  isEmpty(): boolean {
    return this.seeders() + this.leechers() === 0;
  }
}

const EMPTY = Buffer.alloc(0);

/** Identity bytes (ip, port, peer id) of the peer being processed; calls are synchronous. */
const scratch = Buffer.allocUnsafe(keyLength(16));

function writeKey(ip: Buffer, port: number, peerId: Buffer): Buffer {
  ip.copy(scratch, 0);
  scratch.writeUInt16BE(port, ip.length);
  peerId.copy(scratch, ip.length + 2, 0, PEER_ID_LENGTH);
  return scratch;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

export class MemorySwarmStore implements SwarmStore {
  readonly limits: SwarmStoreLimits;
  private readonly swarms = new Map<string, Swarm>();
  /** Memory for every swarm's peer records. */
  private readonly slab = new Slab();
  /** Listed catalog entries in publish order, with a word index (ListTorrents pages over it). */
  private readonly catalog = new CatalogIndex();
  private readonly listeners: Array<(change: StoreChange) => void> = [];
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly origin: string;
  private sweepCursor: Iterator<[string, Swarm]> | null = null;
  /** Peer samples are written here (one half per family) and handed out as views. */
  private readonly sampleBuf: Buffer;
  private seederCount = 0;
  private leecherCount = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.origin = options.origin ?? 'local';
    this.sampleBuf = Buffer.allocUnsafeSlow(2 * this.limits.maxNumwant * (18 + PEER_ID_LENGTH));
  }

  private get ttlMs(): number {
    return (this.limits.interval + this.limits.grace) * 1000;
  }

  announce(input: AnnounceInput): AnnounceResult {
    const now = this.now();
    const hashKey = input.infoHash.toString('latin1', 0, 20);
    let swarm = this.swarms.get(hashKey);
    if (swarm === undefined) {
      if (input.event === 'stopped') return this.result(null, EMPTY, EMPTY, !!input.withPeerIds);
      swarm = this.createSwarm(hashKey);
    } else if (now >= swarm.nextExpiry) {
      this.expireSwarm(hashKey, swarm, now);
      // Expiry may have emptied and dropped the swarm: carry on with a live one.
      if (!this.swarms.has(hashKey)) {
        if (input.event === 'stopped') return this.result(null, EMPTY, EMPTY, !!input.withPeerIds);
        swarm = this.createSwarm(hashKey);
      }
    }
    const v6 = input.ip.length === 16;
    const seed = input.left === 0;
    const key = writeKey(input.ip, input.port, input.peerId);

    const own = swarm.table(v6, seed);
    const other = swarm.table(v6, !seed);
    let table = own;
    let slot = own === null ? -1 : own.find(key);
    const wasSeeder = seed && slot >= 0;
    if (slot < 0 && other !== null) {
      const otherSlot = other.find(key);
      if (otherSlot >= 0) {
        if (input.event !== 'stopped') {
          other.remove(otherSlot);
          this.count(!seed, -1);
        } else {
          table = other;
          slot = otherSlot;
        }
      }
    }

    if (input.event === 'stopped') {
      if (slot >= 0 && table !== null) {
        table.remove(slot);
        this.count(table === swarm.table(v6, true), -1);
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
      if (swarm.isEmpty() && swarm.catalog === null) this.swarms.delete(hashKey);
      return this.result(swarm, EMPTY, EMPTY, !!input.withPeerIds);
    }

    if (slot >= 0 && table !== null) {
      table.write(slot, now, input.left, input.uploaded, input.downloaded);
    } else if (swarm.seeders() + swarm.leechers() < this.limits.maxPeersPerTorrent) {
      table = swarm.ensureTable(v6, seed, this.slab);
      slot = table.insert(key, now, input.left, input.uploaded, input.downloaded);
      this.count(seed, 1);
    } else {
      table = null;
      slot = -1;
    }

    // A peer that already seeded here does not complete twice.
    if (input.event === 'completed' && seed && !wasSeeder)
      this.bumpCompleted(input.infoHash, swarm);
    if (this.listeners.length > 0 && table !== null) {
      this.emit({
        kind: 'peer',
        infoHash: input.infoHash,
        event: input.event,
        peer: this.peerState(input, now),
      });
    }

    return this.sample(swarm, input, v6, seed, table, slot);
  }

  publish(input: PublishInput): PublishResult {
    const hashKey = input.infoHash.toString('latin1', 0, 20);
    const now = this.now();
    let swarm = this.swarms.get(hashKey);
    if (swarm === undefined) swarm = this.createSwarm(hashKey);
    const owner = input.owner ?? addressOwner(input.ip);
    const cur = swarm.catalog;
    // The info-hash is the key and its first publisher owns it; entries saved before owners
    // existed (no owner) belong to nobody.
    const listed = cur === null || cur.owner === owner;
    const fresh =
      cur === null ||
      input.signedAt === undefined ||
      cur.signedAt === undefined ||
      input.signedAt > cur.signedAt;
    if (listed && fresh) {
      this.setCatalog(hashKey, swarm, {
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
    if (this.listeners.length > 0 && swarm.catalog !== null) {
      this.emit({
        kind: 'published',
        infoHash: input.infoHash,
        entry: { ...swarm.catalog },
        peer: this.peerState({ ...input, left: 0, uploaded: 0, downloaded: 0 }, now),
      });
    }
    return { ...result, listed };
  }

  withdraw(infoHash: Buffer, owner: string, signedAt?: number): WithdrawResult {
    const hashKey = infoHash.toString('latin1', 0, 20);
    const swarm = this.swarms.get(hashKey);
    const cur = swarm?.catalog ?? null;
    if (swarm === undefined || cur === null || cur.withdrawn) return 'not_found';
    if (cur.owner !== owner) return 'not_owner';
    if (signedAt !== undefined && cur.signedAt !== undefined && signedAt <= cur.signedAt)
      return 'stale';
    const entry: CatalogEntry = {
      ...cur,
      withdrawn: true,
      updatedAt: Math.max(this.now(), (cur.updatedAt ?? 0) + 1),
      ...(signedAt !== undefined ? { signedAt } : {}),
    };
    this.setCatalog(hashKey, swarm, entry);
    this.emit({ kind: 'catalog', infoHash: Buffer.from(infoHash), entry: { ...entry } });
    return 'withdrawn';
  }

  scrape(infoHashes: Buffer[]): SwarmCounts[] {
    return infoHashes.map((hash) => {
      const swarm = this.swarms.get(hash.toString('latin1', 0, 20));
      if (swarm === undefined) return { seeders: 0, leechers: 0, completed: 0 };
      return {
        seeders: swarm.seeders(),
        leechers: swarm.leechers(),
        completed: swarm.totalCompleted(),
      };
    });
  }

  listTorrents(query: CatalogQuery): CatalogPage {
    const pageSize = Math.max(1, query.pageSize);
    const page = this.catalog.page(
      this.tokenSeq(query.pageToken),
      pageSize,
      query.query ?? '',
      Math.max(MAX_LIST_WORK, pageSize),
    );
    const torrents: CatalogItem[] = [];
    for (const hashKey of page.keys) {
      const swarm = this.swarms.get(hashKey);
      if (swarm === undefined || swarm.catalog === null) continue;
      const { name, totalSize, fileCount, publishedAt } = swarm.catalog;
      torrents.push({
        infoHash: Buffer.from(hashKey, 'latin1'),
        name,
        totalSize,
        fileCount,
        publishedAt,
        seeders: swarm.seeders(),
        leechers: swarm.leechers(),
        completed: swarm.totalCompleted(),
      });
    }
    return { torrents, nextPageToken: page.next === 0 ? '' : pageToken(page.next) };
  }

  /** Where a page token resumes: 0 for none; a legacy token (an info-hash) still works. */
  private tokenSeq(token: string | undefined): number {
    if (!token) return 0;
    const decoded = Buffer.from(token, 'base64url');
    if (decoded.length === 9 && decoded[0] === TOKEN_VERSION) {
      const seq = Number(decoded.readBigUInt64BE(1));
      if (Number.isSafeInteger(seq)) return seq;
    }
    if (decoded.length === 20) {
      const swarm = this.swarms.get(decoded.toString('latin1', 0, 20));
      if (swarm === undefined || swarm.catalogSeq === 0)
        throw new RangeError('page_token refers to no torrent');
      return swarm.catalogSeq;
    }
    throw new RangeError('page_token is not a token of this tracker');
  }

  stats(): StoreStats {
    return {
      torrents: this.swarms.size,
      seeders: this.seederCount,
      leechers: this.leecherCount,
      catalogTorrents: this.catalog.size,
    };
  }

  sweep(maxSwarms: number): boolean {
    const now = this.now();
    if (this.sweepCursor === null) this.sweepCursor = this.swarms.entries();
    for (let i = 0; i < maxSwarms; i++) {
      const next = this.sweepCursor.next();
      if (next.done) {
        this.sweepCursor = null;
        return true;
      }
      const [hashKey, swarm] = next.value;
      this.expireSwarm(hashKey, swarm, now);
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
    const hashKey = change.infoHash.toString('latin1', 0, 20);
    let swarm = this.swarms.get(hashKey);
    switch (change.kind) {
      case 'peer':
      case 'published': {
        if (change.peer.lastSeen < this.now() - this.ttlMs) {
          if (change.kind === 'peer') return;
        }
        if (swarm === undefined) swarm = this.createSwarm(hashKey);
        if (change.kind === 'published') this.mergeCatalog(hashKey, swarm, change.entry);
        if (change.peer.lastSeen >= this.now() - this.ttlMs) this.mergePeer(swarm, change.peer);
        return;
      }
      case 'removed': {
        if (swarm === undefined || change.peerId.length !== PEER_ID_LENGTH) return;
        if (change.ip.length !== 4 && change.ip.length !== 16) return;
        const v6 = change.ip.length === 16;
        const key = writeKey(change.ip, change.port, change.peerId);
        for (const seed of [false, true]) {
          const table = swarm.table(v6, seed);
          const slot = table === null ? -1 : table.find(key);
          if (table !== null && slot >= 0 && table.lastSeen(slot) <= change.at) {
            table.remove(slot);
            this.count(seed, -1);
          }
        }
        return;
      }
      case 'completed': {
        if (swarm === undefined) swarm = this.createSwarm(hashKey);
        this.mergeCompleted(swarm, change.origin, change.count);
        return;
      }
      case 'catalog': {
        if (swarm === undefined) swarm = this.createSwarm(hashKey);
        this.mergeCatalog(hashKey, swarm, change.entry);
        if (swarm.isEmpty() && swarm.catalog === null) this.swarms.delete(hashKey);
        return;
      }
    }
  }

  *snapshot(): Iterable<SwarmSnapshot> {
    const cutoff = this.now() - this.ttlMs;
    for (const [hashKey, swarm] of this.swarms) {
      this.expireSwarm(hashKey, swarm, cutoff + this.ttlMs);
      if (!this.swarms.has(hashKey)) continue;
      const completed: Record<string, number> = {};
      if (swarm.completed > 0) completed[this.origin] = swarm.completed;
      if (swarm.remoteCompleted !== null) {
        for (const [origin, n] of swarm.remoteCompleted) completed[origin] = n;
      }
      yield {
        infoHash: Buffer.from(hashKey, 'latin1'),
        completed,
        catalog: swarm.catalog === null ? null : { ...swarm.catalog },
        peers4: Buffer.concat([
          swarm.v4leech?.records() ?? EMPTY,
          swarm.v4seed?.records() ?? EMPTY,
        ]),
        peers6: Buffer.concat([
          swarm.v6leech?.records() ?? EMPTY,
          swarm.v6seed?.records() ?? EMPTY,
        ]),
      };
    }
  }

  restore(snapshot: SwarmSnapshot): void {
    if (snapshot.infoHash.length !== 20) throw new RangeError('snapshot info-hash is not 20 bytes');
    const hashKey = snapshot.infoHash.toString('latin1', 0, 20);
    const swarm = this.swarms.get(hashKey) ?? this.createSwarm(hashKey);
    if (snapshot.catalog !== null) this.mergeCatalog(hashKey, swarm, snapshot.catalog);
    for (const [origin, n] of Object.entries(snapshot.completed)) {
      this.mergeCompleted(swarm, origin, n);
    }
    const cutoff = this.now() - this.ttlMs;
    for (const [buf, ipLength] of [
      [snapshot.peers4, 4],
      [snapshot.peers6, 16],
    ] as const) {
      const stride = recordLength(ipLength);
      if (buf.length % stride !== 0) throw new RangeError('snapshot peer records are truncated');
      const kl = keyLength(ipLength);
      for (let off = 0; off < buf.length; off += stride) {
        const lastSeen = buf.readDoubleLE(off + kl);
        if (lastSeen < cutoff) continue;
        this.mergePeer(swarm, {
          ip: buf.subarray(off, off + ipLength),
          port: buf.readUInt16BE(off + ipLength),
          peerId: buf.subarray(off + ipLength + 2, off + kl),
          lastSeen,
          left: buf.readDoubleLE(off + kl + 8),
          uploaded: buf.readDoubleLE(off + kl + 16),
          downloaded: buf.readDoubleLE(off + kl + 24),
        });
      }
    }
    if (swarm.isEmpty() && swarm.catalog === null) this.swarms.delete(hashKey);
  }

  // --- internals ---

  private createSwarm(hashKey: string): Swarm {
    if (this.swarms.size >= this.limits.maxTorrents) throw new StoreFullError();
    const swarm = new Swarm();
    swarm.nextExpiry = this.now() + this.limits.grace * 1000;
    this.swarms.set(hashKey, swarm);
    return swarm;
  }

  private count(seed: boolean, delta: number): void {
    if (seed) this.seederCount += delta;
    else this.leecherCount += delta;
  }

  private bumpCompleted(infoHash: Buffer, swarm: Swarm): void {
    swarm.completed++;
    this.emit({ kind: 'completed', infoHash, origin: this.origin, count: swarm.completed });
  }

  private mergeCompleted(swarm: Swarm, origin: string, count: number): void {
    if (!Number.isFinite(count) || count < 0) return;
    if (origin === this.origin) {
      swarm.completed = Math.max(swarm.completed, count);
      return;
    }
    if (swarm.remoteCompleted === null) swarm.remoteCompleted = new Map();
    swarm.remoteCompleted.set(origin, Math.max(swarm.remoteCompleted.get(origin) ?? 0, count));
  }

  /**
   * A remote or restored entry: of one owner the later change wins; of different owners the
   * earliest publish (ties: the smaller owner), so every replica converges on the same entry
   * whatever the order (the merge is a total order plus maxima).
   */
  private mergeCatalog(hashKey: string, swarm: Swarm, entry: CatalogEntry): void {
    const cur = swarm.catalog;
    const seededAt = Math.max(cur?.seededAt ?? 0, entry.seededAt ?? this.now());
    if (cur === null || supersedes(entry, cur)) {
      const publishedAt =
        cur !== null && cur.owner === entry.owner
          ? Math.min(cur.publishedAt, entry.publishedAt)
          : entry.publishedAt;
      this.setCatalog(hashKey, swarm, { ...entry, publishedAt, seededAt });
      return;
    }
    cur.seededAt = seededAt;
    if (cur.owner === entry.owner) cur.publishedAt = Math.min(cur.publishedAt, entry.publishedAt);
  }

  /** Sets (or clears) a swarm's entry and keeps the catalog index in step. */
  private setCatalog(hashKey: string, swarm: Swarm, entry: CatalogEntry | null): void {
    const previous = swarm.catalog;
    swarm.catalog = entry;
    if (entry === null || entry.withdrawn === true) {
      if (swarm.catalogSeq !== 0) this.catalog.remove(swarm.catalogSeq);
      swarm.catalogSeq = 0;
    } else if (swarm.catalogSeq === 0) {
      swarm.catalogSeq = this.catalog.add(hashKey, entry.name);
    } else if (previous?.name !== entry.name) {
      this.catalog.rename(swarm.catalogSeq, entry.name);
    }
  }

  /** Drops an entry with no seeder for the catalog TTL (and a withdrawal once it is that old). */
  private expireCatalog(hashKey: string, swarm: Swarm, now: number): void {
    const entry = swarm.catalog;
    if (entry === null) return;
    if (!entry.withdrawn && swarm.seeders() > 0) {
      entry.seededAt = now;
      return;
    }
    const since = entry.withdrawn ? (entry.updatedAt ?? 0) : (entry.seededAt ?? now);
    if (now - since > this.limits.catalogTtl * 1000) this.setCatalog(hashKey, swarm, null);
  }

  /** Last-writer-wins upsert of a remote or restored peer. */
  private mergePeer(swarm: Swarm, peer: PeerState): void {
    if (peer.ip.length !== 4 && peer.ip.length !== 16) return;
    if (peer.peerId.length !== PEER_ID_LENGTH || !(peer.port >= 1 && peer.port <= 65535)) return;
    if (!Number.isFinite(peer.lastSeen) || !(peer.left >= 0)) return;
    const v6 = peer.ip.length === 16;
    const seed = peer.left === 0;
    const key = writeKey(peer.ip, peer.port, peer.peerId);
    for (const s of [false, true]) {
      const table = swarm.table(v6, s);
      const slot = table === null ? -1 : table.find(key);
      if (table === null || slot < 0) continue;
      if (table.lastSeen(slot) >= peer.lastSeen) return;
      if (s === seed) {
        table.write(slot, peer.lastSeen, peer.left, peer.uploaded, peer.downloaded);
        return;
      }
      table.remove(slot);
      this.count(s, -1);
    }
    if (swarm.seeders() + swarm.leechers() >= this.limits.maxPeersPerTorrent) return;
    swarm
      .ensureTable(v6, seed, this.slab)
      .insert(key, peer.lastSeen, peer.left, peer.uploaded, peer.downloaded);
    this.count(seed, 1);
  }

  private expireSwarm(hashKey: string, swarm: Swarm, now: number): void {
    const cutoff = now - this.ttlMs;
    const emitting = this.listeners.length > 0;
    for (const seed of [false, true]) {
      for (const v6 of [false, true]) {
        const table = swarm.table(v6, seed);
        if (table === null || table.size === 0) continue;
        const onRemoved = emitting
          ? (buf: Buffer, off: number) => this.emitExpired(hashKey, table, buf, off)
          : null;
        this.count(seed, -table.expire(cutoff, onRemoved));
      }
    }
    swarm.nextExpiry = now + this.limits.grace * 1000;
    this.expireCatalog(hashKey, swarm, now);
    if (swarm.isEmpty() && swarm.catalog === null) this.swarms.delete(hashKey);
  }

  private emitExpired(hashKey: string, table: PeerTable, buf: Buffer, off: number): void {
    const ipLength = table.ipLength;
    this.emit({
      kind: 'removed',
      infoHash: Buffer.from(hashKey, 'latin1'),
      ip: Buffer.from(buf.subarray(off, off + ipLength)),
      port: buf.readUInt16BE(off + ipLength),
      peerId: Buffer.from(buf.subarray(off + ipLength + 2, off + table.keyLength)),
      at: buf.readDoubleLE(off + table.keyLength),
      reason: 'expired',
    });
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

  private result(
    swarm: Swarm | null,
    peers4: Buffer,
    peers6: Buffer,
    withPeerIds: boolean,
  ): AnnounceResult {
    return {
      interval: this.limits.interval,
      minInterval: this.limits.minInterval,
      seeders: swarm === null ? 0 : swarm.seeders(),
      leechers: swarm === null ? 0 : swarm.leechers(),
      completed: swarm === null ? 0 : swarm.totalCompleted(),
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
    swarm: Swarm,
    input: AnnounceInput,
    v6: boolean,
    seed: boolean,
    askerTable: PeerTable | null,
    askerSlot: number,
  ): AnnounceResult {
    const withIds = !!input.withPeerIds;
    let want = Math.min(
      input.numwant === undefined ? this.limits.defaultNumwant : input.numwant,
      this.limits.maxNumwant,
    );
    if (want < 0) want = 0;
    const pick = (family6: boolean, half: number): Buffer => {
      const a = swarm.table(family6, false);
      const b = seed ? null : swarm.table(family6, true);
      const out = this.pickFrom(a, b, want, withIds, askerTable, askerSlot, half);
      want -= out.length / ((family6 ? 18 : 6) + (withIds ? PEER_ID_LENGTH : 0));
      return out;
    };
    const mine = pick(v6, 0);
    const theirs = input.sameFamilyOnly || want === 0 ? EMPTY : pick(!v6, 1);
    return v6
      ? this.result(swarm, theirs, mine, withIds)
      : this.result(swarm, mine, theirs, withIds);
  }

  /** Up to `want` entries from the virtual concatenation of tables a and b, excluding the
   * asker: a random start and a random stride coprime with the total visit distinct slots. */
  private pickFrom(
    a: PeerTable | null,
    b: PeerTable | null,
    want: number,
    withIds: boolean,
    askerTable: PeerTable | null,
    askerSlot: number,
    half: number,
  ): Buffer {
    const na = a === null ? 0 : a.size;
    const nb = b === null ? 0 : b.size;
    const total = na + nb;
    const excluded = (askerTable === a && a !== null) || (askerTable === b && b !== null) ? 1 : 0;
    const take = Math.min(want, total - excluded);
    if (take <= 0) return EMPTY;
    const table = (a ?? b) as PeerTable;
    const entry = table.ipLength + 2 + (withIds ? PEER_ID_LENGTH : 0);
    const from0 = half * (this.sampleBuf.length / 2);
    const out = this.sampleBuf.subarray(from0, from0 + take * entry);
    let start = 0;
    let step = 1;
    if (take < total - excluded) {
      start = Math.floor(this.random() * total);
      step = 1 + Math.floor(this.random() * (total - 1));
      if (gcd(step, total) !== 1) step = 1;
    }
    let written = 0;
    for (let i = 0, pos = start; written < take && i < total; i++, pos = (pos + step) % total) {
      const t = pos < na ? (a as PeerTable) : (b as PeerTable);
      const slot = pos < na ? pos : pos - na;
      if (t === askerTable && slot === askerSlot) continue;
      const src = t.buf;
      const from = t.offset(slot);
      const o = written * entry;
      for (let j = 0; j < entry; j++) out[o + j] = src[from + j];
      written++;
    }
    return out;
  }
}
