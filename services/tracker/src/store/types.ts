/**
 * The swarm store: the tracker's whole domain state. Every front end (gRPC, HTTP, UDP) and the
 * replication layer talk to the store only through this interface, and every driver must pass
 * `describeSwarmStore` (conformance.ts). Calls are synchronous: the memory driver answers in
 * microseconds and the front ends stay simple. See STATE.md for the invariants.
 */

export type AnnounceEventName = 'started' | 'stopped' | 'completed' | 'none';

/** What a peer tells the tracker in an announce, already validated by a front end. */
export interface AnnounceInput {
  /** 20 bytes. */
  infoHash: Buffer;
  /** 20 bytes (front ends reject other lengths). */
  peerId: Buffer;
  /** 4 bytes (IPv4) or 16 bytes (IPv6), network order. */
  ip: Buffer;
  /** 1..65535. */
  port: number;
  event: AnnounceEventName;
  uploaded: number;
  downloaded: number;
  /** Bytes still missing; 0 makes the peer a seeder. */
  left: number;
  /** Peers wanted; clamped to the store's cap; undefined: the store's default. */
  numwant?: number;
  /** Include each peer's id in the sample (non-compact HTTP, gRPC). */
  withPeerIds?: boolean;
  /** Only sample the asker's address family (UDP answers one family). */
  sameFamilyOnly?: boolean;
}

export interface PublishInput {
  infoHash: Buffer;
  peerId: Buffer;
  ip: Buffer;
  port: number;
  name: string;
  totalSize: number;
  fileCount: number;
  /** Who publishes (see CatalogEntry.owner); default the address `ip`. */
  owner?: string;
  /** The publisher's signature time, already verified; older than the entry's: no change. */
  signedAt?: number;
}

export interface PublishResult extends AnnounceResult {
  /** The catalog entry is this publisher's (created or refreshed); false: another's, unchanged. */
  listed: boolean;
}

export type WithdrawResult = 'withdrawn' | 'not_found' | 'not_owner' | 'stale';

/**
 * A peer sample in wire order (views of a buffer the store reuses on its next call: encode or
 * copy them before calling the store again): for IPv4 each entry is ip(4) port(2, big-endian) and, when peer
 * ids were asked for, peer id(20); for IPv6 the same with a 16-byte ip. That is BEP 23's compact
 * form when there are no ids, so front ends can send it as is.
 */
export interface PeerSample {
  peers4: Buffer;
  peers6: Buffer;
  withPeerIds: boolean;
}

export interface SwarmCounts {
  /** Peers with nothing left to download. */
  seeders: number;
  leechers: number;
  /** Completed downloads ever reported (all replicas). */
  completed: number;
}

export interface AnnounceResult extends SwarmCounts, PeerSample {
  /** Seconds until the next periodic announce. */
  interval: number;
  minInterval: number;
}

export interface CatalogEntry {
  name: string;
  totalSize: number;
  fileCount: number;
  /** Unix milliseconds of the first publish. */
  publishedAt: number;
  /**
   * Who may refresh or withdraw the entry: "key:<hex ed25519 public key>" or "ip:<hex
   * address>". Absent on entries saved before owners existed: nobody can change those, and
   * they expire like any other.
   */
  owner?: string;
  /** Unix ms of the owner's last change (entries of one owner merge by it). */
  updatedAt?: number;
  /** The owner's last signature time (a signed change must be newer). */
  signedAt?: number;
  /** Unix ms when a seeder was last seen (the catalog TTL counts from it). */
  seededAt?: number;
  /** Withdrawn by its owner: not listed, kept until the TTL so replicas agree. */
  withdrawn?: boolean;
}

export interface CatalogItem extends CatalogEntry, SwarmCounts {
  infoHash: Buffer;
}

export interface CatalogQuery {
  /** Words that must all be words of the name (any case; the last may be a word's start);
   * empty matches all. */
  query?: string;
  pageSize: number;
  /** Opaque token from the previous page's `nextPageToken`. */
  pageToken?: string;
}

export interface CatalogPage {
  torrents: CatalogItem[];
  /** Empty on the last page. */
  nextPageToken: string;
}

export interface StoreStats {
  torrents: number;
  seeders: number;
  leechers: number;
  catalogTorrents: number;
}

/** Everything known about one peer in one swarm. */
export interface PeerState {
  ip: Buffer;
  port: number;
  peerId: Buffer;
  left: number;
  uploaded: number;
  downloaded: number;
  /** Wall-clock Unix milliseconds of its last announce (the last-writer-wins timestamp). */
  lastSeen: number;
}

/**
 * A change to the store, emitted after it happened (locally only: `apply` does not re-emit) and
 * accepted by `apply` on another replica. Applying is idempotent and commutative: peers merge
 * last-writer-wins on `lastSeen`, catalog entries of one owner by `updatedAt` (of different
 * owners the earliest publish wins), and completed counts are per-origin counters merged by
 * maximum.
 */
export type StoreChange =
  | { kind: 'peer'; infoHash: Buffer; peer: PeerState; event: AnnounceEventName }
  | {
      kind: 'removed';
      infoHash: Buffer;
      ip: Buffer;
      port: number;
      peerId: Buffer;
      /** When it was removed (stopped) or its last announce (expired). */
      at: number;
      reason: 'stopped' | 'expired';
    }
  | { kind: 'published'; infoHash: Buffer; entry: CatalogEntry; peer: PeerState }
  | { kind: 'completed'; infoHash: Buffer; origin: string; count: number }
  /** A catalog entry changed without a peer (a withdrawal). */
  | { kind: 'catalog'; infoHash: Buffer; entry: CatalogEntry };

/**
 * One swarm as plain data, for persistence and for a replica catching up. `peers4`/`peers6` are
 * packed peer records (see PEER_RECORD in peer-table.ts); `completed` maps origin → counter.
 */
export interface SwarmSnapshot {
  infoHash: Buffer;
  completed: Record<string, number>;
  catalog: CatalogEntry | null;
  peers4: Buffer;
  peers6: Buffer;
}

export interface SwarmStoreLimits {
  /** Seconds between periodic announces that the tracker asks for. */
  interval: number;
  minInterval: number;
  /** Seconds after the interval before a silent peer expires. */
  grace: number;
  /** Swarms kept at most; announces for new torrents beyond it fail with StoreFullError. */
  maxTorrents: number;
  /** Peers kept per swarm; newcomers beyond it still get peers but are not stored. */
  maxPeersPerTorrent: number;
  defaultNumwant: number;
  maxNumwant: number;
  /** Seconds a catalog entry stays listed without any seeder (and a withdrawal is kept). */
  catalogTtl: number;
}

export interface SwarmStore {
  readonly limits: SwarmStoreLimits;
  announce(input: AnnounceInput): AnnounceResult;
  /** Records the publisher as a seeder; creates or refreshes the entry if it is its own. */
  publish(input: PublishInput): PublishResult;
  /** Takes `owner`'s entry off the catalog. */
  withdraw(infoHash: Buffer, owner: string, signedAt?: number): WithdrawResult;
  /** Counts per hash, in order; unknown hashes count zero. */
  scrape(infoHashes: Buffer[]): SwarmCounts[];
  listTorrents(query: CatalogQuery): CatalogPage;
  stats(): StoreStats;
  /** Expires silent peers in up to `maxSwarms` swarms, resuming where the last call stopped;
   * returns true when it completed a full pass. */
  sweep(maxSwarms: number): boolean;
  /** Subscribes to local changes; returns the unsubscribe function. */
  onChange(listener: (change: StoreChange) => void): () => void;
  /** Merges a change from another replica (idempotent, order-independent). */
  apply(change: StoreChange): void;
  /** Every swarm, lazily; peers already expired are left out. */
  snapshot(): Iterable<SwarmSnapshot>;
  /** Merges a snapshot (as `apply` would each of its facts). */
  restore(snapshot: SwarmSnapshot): void;
}

export class StoreFullError extends Error {
  constructor(message = 'tracker is full: too many torrents') {
    super(message);
    this.name = 'StoreFullError';
  }
}

export const DEFAULT_LIMITS: SwarmStoreLimits = {
  interval: 1800,
  minInterval: 60,
  grace: 300,
  maxTorrents: 1_000_000,
  maxPeersPerTorrent: 100_000,
  defaultNumwant: 50,
  maxNumwant: 200,
  catalogTtl: 7 * 86400,
};

/** The owner name of an entry published without a key: the publisher's address. */
export function addressOwner(ip: Buffer): string {
  return `ip:${ip.toString('hex')}`;
}
