/**
 * The bridge's JSON, as described in client/bridge/API.md. TorrentStatus, FileStatus, PeerStatus,
 * TrackerStatus and WebSeedStatus mirror the engine's types of the same names (client/engine/src/api.ts): the
 * GUI must not import the engine, so they are copied here and kept field for field.
 */

/** 0 = skip, 1 = normal, 2 = high. */
export type FilePriority = 0 | 1 | 2;

export type TorrentState = 'metadata' | 'checking' | 'downloading' | 'seeding' | 'paused' | 'error';

export interface FileStatus {
  index: number;
  /** Path inside the torrent, '/'-separated. */
  path: string;
  length: number;
  /** Verified bytes of this file. */
  downloaded: number;
  priority: FilePriority;
}

export interface PeerStatus {
  address: string;
  client: string;
  /** qBittorrent-style flags (D/d, U/u, O, S, I, X, E...). */
  flags: string;
  /** Fraction 0..1 of pieces the peer has. */
  progress: number;
  downloadRate: number;
  uploadRate: number;
  downloaded: number;
  uploaded: number;
  source: PeerSourceKind | 'incoming';
}

/** Where a peer address came from. */
export type PeerSourceKind = 'tracker' | 'dht' | 'lsd' | 'pex' | 'manual';

export interface TrackerStatus {
  url: string;
  tier: number;
  status: 'idle' | 'announcing' | 'working' | 'error';
  lastAnnounce?: number;
  nextAnnounce?: number;
  seeders?: number;
  leechers?: number;
  peers?: number;
  message?: string;
}

/** One BEP 19 web seed (an HTTP server named by the torrent's `url-list`). */
export interface WebSeedStatus {
  url: string;
  /** 'backoff': waiting after an error until `retryAt`; 'failed': dropped (sent bad data). */
  state: 'idle' | 'downloading' | 'backoff' | 'failed';
  downloaded: number;
  downloadRate: number;
  /** The last error, in words. */
  error?: string;
  retryAt?: number;
}

export interface TorrentStatus {
  infoHash: string;
  name: string;
  state: TorrentState;
  error?: string;
  size: number;
  wantedSize: number;
  downloaded: number;
  uploadedTotal: number;
  downloadedTotal: number;
  /** 0..1 over the selected files. */
  progress: number;
  downloadRate: number;
  uploadRate: number;
  /** Seconds to completion at the current rate. */
  eta?: number;
  seeders: number;
  leechers: number;
  swarmSeeders?: number;
  swarmLeechers?: number;
  ratio: number;
  sequential: boolean;
  paused: boolean;
  /** New addresses each source gave since the torrent was added. */
  peersFound: Record<PeerSourceKind, number>;
  pieceLength: number;
  pieceCount: number;
  downloadDir: string;
  addedAt: number;
  completedAt?: number;
  magnet: string;
  /** The web seeds in use (http/https ones from `url-list`, at most 8). */
  webSeeds: WebSeedStatus[];
}

/** GET /api/status */
export interface BridgeStatus {
  version: string;
  uptime: number;
  torrents: number;
  downloadRate: number;
  uploadRate: number;
  listenPort: number;
  apiPort: number;
  tracker?: { grpc: string; http: string; udp: string };
}

/** GET/PUT /api/settings (the bridge's `Settings`). */
export interface Settings {
  downloadDir: string;
  listenPort: number;
  maxPeers: number;
  /** Bytes per second; 0 means unlimited. */
  uploadRateLimit: number;
  downloadRateLimit: number;
  /** Announce URLs used for shares and added to torrents that have none. */
  trackers: string[];
  /** DHT and LSD: stored at once, applied when the bridge next starts. dhtPort 0: the peer port. */
  dhtEnabled: boolean;
  dhtPort: number;
  /** `host:port` nodes the DHT joins through. */
  dhtBootstrap: string[];
  lsdEnabled: boolean;
  /**
   * Folders the file browser may show, shares may come from and downloads may go to. Set when
   * the bridge starts (`enjambre start --allow-folder DIR`); the API never changes them.
   */
  readonly allowedFolders?: readonly string[];
}

/** What PUT /api/settings may change: everything but the allowed folders. */
/** GET /api/discovery: what runs now (the settings may say otherwise until a restart). */
export interface DiscoveryStatus {
  dht: {
    enabled: boolean;
    port: number;
    nodes: number;
    /** Nodes that answered within 15 minutes. */
    goodNodes: number;
    health: 'off' | 'no-nodes' | 'few-nodes' | 'ok';
    bootstrap: string[];
    /** DHT nodes of known enjambre trackers (started with --dht-port) that answered. */
    trackerNodes: string[];
    storedPeers: number;
  };
  lsd: { enabled: boolean; announcesSent: number; announcesReceived: number };
  /** The stored settings differ from those the engine started with. */
  restartRequired: boolean;
}

export type SettingsChange = Partial<Omit<Settings, 'allowedFolders'>>;

/** POST /api/torrents: exactly one source, plus options. */
export type AddSource =
  | { magnet: string }
  | { torrent: string }
  | { infoHash: string; name?: string; trackers?: string[] };

export interface AddOptions {
  downloadDir?: string;
  paused?: boolean;
  sequential?: boolean;
}

export interface ShareRequest {
  path: string;
  trackers?: string[];
  private?: boolean;
  comment?: string;
  /** BEP 52: v1, v2 or hybrid (v1 clients read a hybrid's v1 part). */
  format?: 'v1' | 'v2' | 'hybrid';
}

export interface ShareJob {
  id: string;
  path: string;
  state: 'hashing' | 'done' | 'error';
  progress: number;
  error?: string;
  infoHash?: string;
  magnet?: string;
  name?: string;
}

export interface CatalogEntry {
  infoHash: string;
  name: string;
  size: number;
  fileCount: number;
  seeders: number;
  leechers: number;
  completed: number;
}

export interface CatalogTracker {
  url: string;
  ok: boolean;
  error?: string;
  torrents: CatalogEntry[];
  nextPageToken?: string;
}

export interface CatalogResponse {
  trackers: CatalogTracker[];
}

/** GET /api/trackers */
export interface TrackerHealth {
  url: string;
  ok: boolean;
  error?: string;
  catalogSize?: number;
  latencyMs?: number;
  /** The UDP port of the tracker's DHT node, when it runs one. */
  dhtPort?: number;
}

export interface FsEntry {
  name: string;
  dir: boolean;
  size: number;
}

export interface FsListing {
  path: string;
  parent?: string;
  entries: FsEntry[];
}

export interface PieceMap {
  pieceCount: number;
  /** base64 of the bitfield, MSB first. */
  bitfield: string;
}

/** Messages the bridge pushes on /api/ws. */
export type ServerMessage =
  | { type: 'torrents'; torrents: TorrentStatus[] }
  | { type: 'removed'; infoHash: string }
  | { type: 'share'; share: ShareJob }
  | { type: 'error'; infoHash: string; error: string };

/** GET /api/labels: categories and tags set through the remote-control APIs. */
export interface Labels {
  categories: { name: string; savePath: string }[];
  tags: string[];
  /** Only torrents with a category or tags are listed. */
  torrents: Record<string, { category?: string; tags?: string[] }>;
}

/** GET /api/remote-control: the Transmission / qBittorrent port and its user name. */
export interface RemoteControl {
  /** 0 when off. */
  port: number;
  /** Absent: any user name, with the access token as the password. */
  username?: string;
}
