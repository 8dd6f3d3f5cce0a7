import { pageToken, tokenSeq } from './catalog-rules';
import { PEER_ID_LENGTH, isSeedTable, kindOf } from './peer-table';
import { Sampler } from './sampler';
import { NONE, Swarms, writeKey } from './swarms';
import {
  DEFAULT_LIMITS,
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

export interface MemoryStoreOptions {
  limits?: Partial<SwarmStoreLimits>;
  /** Wall clock in Unix milliseconds (tests move it). */
  now?: () => number;
  /** This replica's name in completed counters (replication); default "local". */
  origin?: string;
  /** Random source in [0, 1) for peer sampling. */
  random?: () => number;
}

/**
 * The swarm store in this process's memory: the SwarmStore operations over the packed state of
 * swarms.ts. See STATE.md for the invariants.
 */
export class MemorySwarmStore implements SwarmStore {
  readonly limits: SwarmStoreLimits;
  private readonly core: Swarms;
  private readonly now: () => number;
  private readonly origin: string;
  private readonly sampler: Sampler;
  private sweepCursor = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.now = options.now ?? Date.now;
    this.origin = options.origin ?? 'local';
    this.core = new Swarms(this.limits, this.now, this.origin);
    const random = options.random ?? Math.random;
    this.sampler = new Sampler(this.core.tables, this.limits.maxNumwant, random);
  }

  announce(input: AnnounceInput): AnnounceResult {
    const now = this.now();
    const withIds = !!input.withPeerIds;
    let id = this.core.index.get(input.infoHash);
    if (id !== NONE && now >= this.core.index.nextExpiry[id] * 1000) {
      // Expiry may empty and drop the swarm: carry on as for a new one.
      if (!this.core.expireSwarm(id, now)) id = NONE;
    }
    if (id === NONE) {
      if (input.event === 'stopped') return this.result(NONE, EMPTY, EMPTY, withIds);
      id = this.core.createSwarm(input.infoHash);
    }
    const tables = this.core.tables;
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
          this.core.count(!seed, -1);
        } else {
          t = other;
          slot = otherSlot;
        }
      }
    }

    if (input.event === 'stopped') {
      if (slot >= 0) {
        tables.remove(t, slot);
        this.core.count(isSeedTable(t), -1);
        this.core.emit({
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
      this.core.dropIfEmpty(id);
      return result;
    }

    if (slot >= 0) tables.touch(t, slot, now);
    else if (this.core.peersOf(id) < this.limits.maxPeersPerTorrent) {
      slot = tables.insert(t, key, now);
      this.core.count(seed, 1);
    }

    // A peer that already seeded here does not complete twice.
    if (input.event === 'completed' && seed && !wasSeeder)
      this.core.bumpCompleted(input.infoHash, id);
    if (this.core.listeners.length > 0 && slot >= 0) {
      this.core.emit({
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
    let id = this.core.index.get(input.infoHash);
    if (id === NONE) id = this.core.createSwarm(input.infoHash);
    const owner = input.owner ?? addressOwner(input.ip);
    const cur = this.core.catalog.get(id);
    // The info-hash is the key and its first publisher owns it; entries saved before owners
    // existed (no owner) belong to nobody.
    const listed = cur === null || cur.owner === owner;
    const fresh =
      cur === null ||
      input.signedAt === undefined ||
      cur.signedAt === undefined ||
      input.signedAt > cur.signedAt;
    if (listed && fresh) {
      this.core.catalog.set(id, input.infoHash, {
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
    const entry = this.core.catalog.get(this.core.index.get(input.infoHash));
    if (this.core.listeners.length > 0 && entry !== null) {
      this.core.emit({
        kind: 'published',
        infoHash: input.infoHash,
        entry: { ...entry },
        peer: this.peerState({ ...input, left: 0, uploaded: 0, downloaded: 0 }, now),
      });
    }
    return { ...result, listed };
  }

  withdraw(infoHash: Buffer, owner: string, signedAt?: number): WithdrawResult {
    const id = this.core.index.get(infoHash);
    const cur = id === NONE ? null : this.core.catalog.get(id);
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
    this.core.catalog.set(id, infoHash, entry);
    this.core.emit({ kind: 'catalog', infoHash: Buffer.from(infoHash), entry: { ...entry } });
    return 'withdrawn';
  }

  scrape(infoHashes: Buffer[]): SwarmCounts[] {
    return infoHashes.map((hash) => {
      const id = this.core.index.get(hash);
      return {
        seeders: this.core.seeders(id),
        leechers: this.core.leechers(id),
        completed: this.core.completedOf(id),
      };
    });
  }

  listTorrents(query: CatalogQuery): CatalogPage {
    const pageSize = Math.max(1, query.pageSize);
    const after = tokenSeq(query.pageToken, (hash) => {
      const id = this.core.index.get(hash);
      return id === NONE ? 0 : this.core.catalog.seqOf(id);
    });
    const page = this.core.catalog.page(
      after,
      pageSize,
      query.query ?? '',
      Math.max(MAX_LIST_WORK, pageSize),
    );
    const torrents: CatalogItem[] = [];
    for (const hashKey of page.keys) {
      const infoHash = Buffer.from(hashKey, 'latin1');
      const id = this.core.index.get(infoHash);
      const entry = id === NONE ? null : this.core.catalog.get(id);
      if (entry === null) continue;
      const { name, totalSize, fileCount, publishedAt } = entry;
      torrents.push({
        infoHash,
        name,
        totalSize,
        fileCount,
        publishedAt,
        seeders: this.core.seeders(id),
        leechers: this.core.leechers(id),
        completed: this.core.completedOf(id),
      });
    }
    return { torrents, nextPageToken: page.next === 0 ? '' : pageToken(page.next) };
  }

  stats(): StoreStats {
    return {
      torrents: this.core.index.count,
      seeders: this.core.seederCount,
      leechers: this.core.leecherCount,
      catalogTorrents: this.core.catalog.size,
    };
  }

  sweep(maxSwarms: number): boolean {
    const now = this.now();
    // Ids are dense: the cursor walks them; a swarm made behind it waits for the next pass.
    for (let i = 0; i < maxSwarms; i++) {
      const id = this.sweepCursor;
      if (id >= this.core.index.end) {
        this.sweepCursor = 0;
        return true;
      }
      this.sweepCursor++;
      if (this.core.index.live[id] === 1) this.core.expireSwarm(id, now);
    }
    return false;
  }

  onChange(listener: (change: StoreChange) => void): () => void {
    this.core.listeners.push(listener);
    return () => {
      const i = this.core.listeners.indexOf(listener);
      if (i >= 0) this.core.listeners.splice(i, 1);
    };
  }

  apply(change: StoreChange): void {
    // Remote input: anything malformed is ignored rather than stored under a wrong key.
    if (change.infoHash.length !== 20) return;
    let id = this.core.index.get(change.infoHash);
    switch (change.kind) {
      case 'peer':
      case 'published': {
        const fresh = change.peer.lastSeen >= this.now() - this.core.ttlMs;
        if (!fresh && change.kind === 'peer') return;
        if (id === NONE) id = this.core.createSwarm(change.infoHash);
        if (change.kind === 'published') {
          this.core.catalog.merge(id, change.infoHash, change.entry, this.now());
        }
        if (fresh) this.core.mergePeer(id, change.peer);
        return;
      }
      case 'removed': {
        if (id === NONE || change.peerId.length !== PEER_ID_LENGTH) return;
        if (change.ip.length !== 4 && change.ip.length !== 16) return;
        const key = writeKey(change.ip, change.port, change.peerId);
        for (const seed of [false, true]) {
          const t = id * 4 + kindOf(change.ip.length === 16, seed);
          const slot = this.core.tables.find(t, key);
          if (slot >= 0 && this.core.tables.lastSeen(t, slot) <= change.at) {
            this.core.tables.remove(t, slot);
            this.core.count(seed, -1);
          }
        }
        return;
      }
      case 'completed': {
        if (id === NONE) id = this.core.createSwarm(change.infoHash);
        this.core.mergeCompleted(id, change.origin, change.count);
        return;
      }
      case 'catalog': {
        if (id === NONE) id = this.core.createSwarm(change.infoHash);
        this.core.catalog.merge(id, change.infoHash, change.entry, this.now());
        this.core.dropIfEmpty(id);
        return;
      }
    }
  }

  *snapshot(): Iterable<SwarmSnapshot> {
    // Dense ids: a swarm made while a consumer holds the iterator is in it if its id is ahead.
    for (let id = 0; id < this.core.index.end; id++) {
      if (this.core.index.live[id] !== 1 || !this.core.expireSwarm(id, this.now())) continue;
      yield this.core.snapshotOf(id);
    }
  }

  restore(snapshot: SwarmSnapshot): void {
    this.core.restore(snapshot);
  }

  // --- internals ---

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
      seeders: this.core.seeders(id),
      leechers: this.core.leechers(id),
      completed: this.core.completedOf(id),
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
