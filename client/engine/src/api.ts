import type { DhtOptions } from '@enjambre/dht';
import type { LsdOptions } from './lsd/lsd';
/**
 * The engine's public contract: what the bridge, the command line and the tests may rely on.
 * The engine implements these types (`Session` in session.ts is the entry point); nothing outside
 * client/engine imports an engine module other than the package index.
 *
 * Conventions: info-hashes are 40-character lowercase hex strings; sizes and counters are bytes;
 * rates are bytes per second; times are milliseconds since the epoch.
 */
import type { EventEmitter } from 'node:events';
import type { CreateFromPathOptions, CreatedFromPath } from './create-from-path';

export interface SessionOptions {
  /** Where the engine keeps its LevelDB (resume data). Created if missing. */
  dataDir: string;
  /** Default folder a torrent's files go in when `add` names none. */
  downloadDir: string;
  /** TCP port for incoming peers; 0 picks a free one (see `Session.port`). Default 0. */
  listenPort?: number;
  /** Address to listen on. Default '0.0.0.0'; tests use '127.0.0.1'. */
  listenHost?: string;
  /** Connected peers per torrent. Default 50. */
  maxPeersPerTorrent?: number;
  /** Connected peers in the whole session. Default 200. */
  maxPeers?: number;
  /** Bytes per second, 0 = unlimited. Default 0. */
  uploadRateLimit?: number;
  downloadRateLimit?: number;
  /** Upload slots per torrent (tit-for-tat unchokes, plus one optimistic). Default 4. */
  uploadSlots?: number;
  /** How often the choker re-ranks the peers of a torrent, in ms. Default 10 000. A peer that
   * becomes interested while a slot is free is unchoked at once, not at the next round. */
  chokeIntervalMs?: number;
  /** Trackers added to every torrent that has none of its own (e.g. the embedded tracker). */
  defaultTrackers?: string[];
  /** 20-byte peer id; default `-EJ0100-` + 12 random bytes. */
  peerId?: Buffer;
  /** pino-compatible logger; silent when absent. */
  logger?: EngineLogger;
  /** Run a Mainline DHT node (BEP 5): `true` for the defaults, or its options (`port` defaults
   * to the listen port, the table is kept under `dataDir/dht`). Default off. */
  dht?: boolean | DhtOptions;
  /** Run Local Service Discovery (BEP 14): `true` or its options. Default off. */
  lsd?: boolean | Omit<LsdOptions, 'peerPort'>;
}

export interface EngineLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What `Session.add` accepts. */
export type TorrentSource =
  | { torrent: Uint8Array } // raw .torrent bytes
  | { magnet: string } // magnet URI (BEP 9 fetches the metadata)
  | { infoHash: string; name?: string; trackers?: string[] }; // e.g. from a tracker's catalog

export interface AddOptions {
  /** Folder the torrent's files go in (the torrent's own name is a subfolder for multi-file). */
  downloadDir?: string;
  /** Start paused. Default false. */
  paused?: boolean;
  /** Extra trackers, appended as a new tier. */
  trackers?: string[];
  /** Per-file priorities in the torrent's file order (see FilePriority). */
  filePriorities?: FilePriority[];
  sequential?: boolean;
  /**
   * The data is known to be complete in downloadDir (e.g. we just created the torrent from it):
   * verify it and seed, and Publish to enjambre trackers once verified.
   */
  seedMode?: boolean;
  /** Skip the initial hash check of existing files (only for brand-new, empty folders). */
  skipCheck?: boolean;
  /**
   * With `seedMode`: each file's size and mtime when every piece was last verified (what
   * `createTorrentFromPath` returns as `verified`). Files that still match are not read again;
   * any other file's pieces are hashed as usual.
   */
  verified?: FileStamps;
}

/** Size and mtime (whole ms) of each file in the torrent's order; null: missing or a pad file. */
export type FileStamps = Array<{ size: number; mtimeMs: number } | null>;

/** 0 = skip (not downloaded beyond pieces shared with wanted files), 1 = normal, 2 = high. */
export type FilePriority = 0 | 1 | 2;

export type TorrentState =
  | 'metadata' // magnet: waiting for the info dictionary from peers
  | 'checking' // verifying existing data
  | 'downloading'
  | 'seeding'
  | 'paused'
  | 'error';

export interface FileStatus {
  index: number;
  /** Path inside the torrent, '/'-separated, as the torrent names it (already validated). */
  path: string;
  length: number;
  /** Verified bytes of this file. */
  downloaded: number;
  priority: FilePriority;
}

/** Where a peer address came from (see `TorrentStatus.peersFound`). */
export type PeerSourceKind = 'tracker' | 'dht' | 'lsd' | 'pex' | 'manual';

export interface PeerStatus {
  /** "1.2.3.4:6881" or "[::1]:6881" */
  address: string;
  /** Client name decoded from the peer id or the BEP 10 `v` field, e.g. "Transmission 3.00". */
  client: string;
  /** qBittorrent-style flags: D/d (downloading / interested), U/u (uploading / interested),
   * O optimistic unchoke, S snubbed, I incoming, X from PEX. */
  flags: string;
  /** Fraction 0..1 of pieces the peer has. */
  progress: number;
  downloadRate: number;
  uploadRate: number;
  downloaded: number;
  uploaded: number;
  /** How we met: an incoming connection, or the source that gave its address. */
  source: PeerSourceKind | 'incoming';
}

export interface TrackerStatus {
  url: string;
  tier: number;
  /** 'working' after a successful announce, 'error' after a failed one, 'idle' before any. */
  status: 'idle' | 'announcing' | 'working' | 'error';
  lastAnnounce?: number;
  nextAnnounce?: number;
  seeders?: number;
  leechers?: number;
  /** Peers received in the last answer. */
  peers?: number;
  /** The tracker's failure reason or the transport error, in words. */
  message?: string;
}

/** One BEP 19 web seed (an HTTP server named by the torrent's `url-list`). */
export interface WebSeedStatus {
  url: string;
  /** 'backoff': waiting after an error until `retryAt`; 'failed': dropped (sent bad data). */
  state: 'idle' | 'downloading' | 'backoff' | 'failed';
  /** Bytes received from it (bytes a server without Range support sent past are included). */
  downloaded: number;
  downloadRate: number;
  /** The last error, in words. */
  error?: string;
  retryAt?: number;
}

/** A snapshot of one torrent, cheap to take once a second for every torrent. */
export interface TorrentStatus {
  infoHash: string;
  name: string;
  state: TorrentState;
  /** Set when state is 'error': what went wrong, in words a user understands. */
  error?: string;
  /** Total size of the torrent's files, pad files aside (0 while only a magnet). */
  size: number;
  /** Size of the selected (non-skipped) files. */
  wantedSize: number;
  /** Verified bytes of selected files. */
  downloaded: number;
  uploadedTotal: number;
  downloadedTotal: number;
  /** 0..1 over the selected files. */
  progress: number;
  downloadRate: number;
  uploadRate: number;
  /** Seconds to completion at the current rate; undefined when unknown. */
  eta?: number;
  /** Connected peers that have everything / that do not. */
  seeders: number;
  leechers: number;
  /** New peer addresses each source gave since the torrent was added (tracker, DHT, LSD, PEX,
   * manual: `addPeer` and a magnet's `x.pe`). */
  peersFound: Record<PeerSourceKind, number>;
  /** Swarm counts from the last tracker answers. */
  swarmSeeders?: number;
  swarmLeechers?: number;
  ratio: number;
  sequential: boolean;
  paused: boolean;
  pieceLength: number;
  pieceCount: number;
  downloadDir: string;
  addedAt: number;
  completedAt?: number;
  magnet: string;
  /** The web seeds in use (http/https ones from `url-list`, at most 8). */
  webSeeds: WebSeedStatus[];
}

export interface TorrentEvents {
  /** State changed (incl. error). */
  state: [TorrentState];
  /** Metadata arrived (magnet) or was known; files and pieces now available. */
  metadata: [];
  /** A piece passed its hash check and was written. */
  piece: [number];
  /** Every selected file is complete and verified. */
  done: [];
  error: [Error];
}

export interface Torrent extends EventEmitter<TorrentEvents> {
  readonly infoHash: string;
  /** The raw .torrent (info dictionary wrapped with announce data) once metadata is known. */
  torrentFile(): Uint8Array | undefined;
  status(): TorrentStatus;
  files(): FileStatus[];
  peers(): PeerStatus[];
  trackers(): TrackerStatus[];
  /** One bit per piece, MSB first, as in the BitTorrent bitfield. */
  bitfield(): Uint8Array;

  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Verify every piece on disk again. */
  recheck(): Promise<void>;
  /** Ask every tracker for peers now, outside the announce interval (a paused torrent: nothing). */
  reannounce(): void;
  /** This torrent's own rate limits in bytes per second (0 = none), on top of the session's. */
  setRateLimits(limits: { upload?: number; download?: number }): void;
  rateLimits(): { upload: number; download: number };
  /**
   * BEP 16 super-seeding: peers that connect while the torrent seeds are offered one piece at a
   * time. The setting is kept while downloading but acts only once seeding.
   */
  setSuperSeeding(on: boolean): void;
  superSeeding(): boolean;
  setFilePriority(fileIndex: number, priority: FilePriority): void;
  setSequential(on: boolean): void;
  /** Connect to a peer directly ("host:port"), besides those from trackers and PEX. */
  addPeer(address: string): void;
  /** Resolves once every selected file is complete (rejects if the torrent enters error). */
  whenDone(): Promise<void>;

  /**
   * Read a byte range of a file (for streaming). Pieces under the range are fetched first;
   * resolves when the bytes are verified and on disk.
   */
  createFileReadStream(
    fileIndex: number,
    opts?: { start?: number; end?: number },
  ): NodeJS.ReadableStream;
}

/** Cumulative work of one kind since the session started. */
export interface IoCounter {
  /** Wall-clock seconds from submitting the work to its completion (queueing included). */
  seconds: number;
  bytes: number;
  operations: number;
}

/** Where the engine's time goes besides the network: for monitoring (the bridge's /metrics). */
export interface IoStats {
  /** SHA-1 of pieces (downloads, rechecks, torrents created), in the worker pool. */
  hash: IoCounter;
  /** Whole pieces read from disk (uploads on a cache miss, rechecks, streaming). */
  diskRead: IoCounter;
  /** Verified pieces written to their files. */
  diskWrite: IoCounter;
}

/** What `SessionApi.discoveryStats` reports; a part is absent when it does not run. */
export interface DiscoveryStats {
  dht?: {
    /** The UDP port the node listens on. */
    port: number;
    nodeId: string;
    /** Nodes in the routing tables (IPv4 + IPv6), and those that answered within 15 minutes. */
    nodes: number;
    goodNodes: number;
    /** Bootstrap nodes it was started with, as given. */
    bootstrap: string[];
    /** Peers other nodes announced to us, kept for them. */
    storedPeers: number;
  };
  lsd?: { announcesSent: number; announcesReceived: number };
}

export interface SessionEvents {
  /** A new torrent: emitted by add() before it returns (synchronously), never for an existing one. */
  added: [Torrent];
  removed: [string];
}

export interface SessionApi extends EventEmitter<SessionEvents> {
  /** Opens the resume database, binds the listen port, re-adds nothing by itself. */
  start(): Promise<void>;
  /** The bound listen port (after start). */
  readonly port: number;
  /** Adds a torrent (or returns the existing one with that info-hash). */
  add(source: TorrentSource, options?: AddOptions): Promise<Torrent>;
  get(infoHash: string): Torrent | undefined;
  list(): Torrent[];
  remove(infoHash: string, opts?: { deleteData?: boolean }): Promise<void>;
  setRateLimits(limits: { upload?: number; download?: number }): void;
  /**
   * Hashes a file or folder into a .torrent in the session's worker pool (`createTorrentFromPath`
   * with the session's hasher). Add the result with `{ seedMode: true, verified }` to seed it
   * without reading it again.
   */
  createTorrent(path: string, options?: CreateFromPathOptions): Promise<CreatedFromPath>;
  /** Hashing and disk time and bytes since start (a live object: read, don't keep a copy). */
  ioStats(): Readonly<IoStats>;
  /** The DHT node's and LSD's state, for status pages (cheap: a walk of the routing table). */
  discoveryStats(): DiscoveryStats;
  /**
   * Pings a DHT node (`host` a name or an address); one that answers may enter the routing table
   * (and is saved with it). Resolves false without a DHT node, or when it does not answer.
   */
  addDhtNode(host: string, port: number): Promise<boolean>;
  /** Sends `stopped` to trackers, flushes resume data, closes sockets and files. */
  close(): Promise<void>;
}
