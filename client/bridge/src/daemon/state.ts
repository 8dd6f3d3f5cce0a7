import { ClassicLevel } from 'classic-level';

/** What the user can change in Settings; everything else is derived at start. */
export interface Settings {
  downloadDir: string;
  listenPort: number;
  maxPeers: number;
  /** Bytes per second; 0 means unlimited. */
  uploadRateLimit: number;
  downloadRateLimit: number;
  /** Announce URLs used for shares and added to torrents that have none. */
  trackers: string[];
  /**
   * Trackerless discovery (see discovery.ts). The engine reads these when it starts: a change
   * takes effect at the daemon's next start. dhtPort 0: the peer port.
   */
  dhtEnabled: boolean;
  dhtPort: number;
  /** `host:port` nodes the DHT joins through. */
  dhtBootstrap: string[];
  lsdEnabled: boolean;
}

const LEGACY_ROOTS = 'legacy:allowedRoots';

/** How the bridge re-adds a torrent after a restart; piece-level resume data is the engine's. */
export interface TorrentRecord {
  infoHash: string;
  /** The .torrent, base64, once known (a magnet's metadata is filled in when it arrives). */
  torrent?: string;
  magnet?: string;
  downloadDir: string;
  paused: boolean;
  sequential: boolean;
  filePriorities?: number[];
  addedAt: number;
  /** Created by a share: restored in seed mode, so it is verified and published again. */
  shared?: boolean;
  /** qBittorrent's category (one per torrent); absent = none. Records before RPC have none. */
  category?: string;
  /** qBittorrent's tags, which are also Transmission's labels. */
  tags?: string[];
  /** Seeding stops once the ratio reaches this (Transmission seedRatioLimit); absent = never. */
  seedRatioLimit?: number;
  /**
   * The torrent's own speed limits in bytes per second, as Transmission keeps them: a value and
   * whether it applies (a client may set one without the other). Absent: none.
   */
  uploadLimit?: number;
  uploadLimited?: boolean;
  downloadLimit?: number;
  downloadLimited?: boolean;
  /** BEP 16 super-seeding asked for (it acts only while seeding). Absent: off. */
  superSeeding?: boolean;
}

export type RateLimitFields = Pick<
  TorrentRecord,
  'uploadLimit' | 'uploadLimited' | 'downloadLimit' | 'downloadLimited'
>;

/** The limits a record asks the engine for (0 = none). */
export function effectiveLimits(r: RateLimitFields): { upload: number; download: number } {
  return {
    upload: r.uploadLimited ? (r.uploadLimit ?? 0) : 0,
    download: r.downloadLimited ? (r.downloadLimit ?? 0) : 0,
  };
}

/** A qBittorrent category: a name and the folder its torrents go in ('' = the default). */
export interface Category {
  name: string;
  savePath: string;
}

/** The remote-control APIs' own user name and password (scrypt), when the user set them. */
export interface RpcCredentials {
  username: string;
  /** base64 */
  salt: string;
  /** base64 scrypt(password, salt) */
  hash: string;
}

/**
 * The bridge's own LevelDB: settings and the list of torrents. LevelDB writes are atomic and
 * survive kill -9, so a record written before an API call answers is there after any restart.
 */
export class BridgeState {
  private readonly db: ClassicLevel<string, string>;

  constructor(location: string) {
    this.db = new ClassicLevel<string, string>(location, { valueEncoding: 'utf8' });
  }

  async open(): Promise<void> {
    await this.db.open();
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  async getSettings(defaults: Settings): Promise<Settings> {
    const raw = await this.db.get('settings');
    if (raw === undefined) return { ...defaults };
    const stored = JSON.parse(raw) as Partial<Settings> & { allowedRoots?: unknown };
    if ('allowedRoots' in stored) {
      // Before 0.2 the allowed folders were a setting the API could change, so they cannot be
      // trusted as a boundary. They are kept aside (never lost) and reported at start.
      const { allowedRoots, ...rest } = stored;
      await this.db.batch([
        { type: 'put', key: LEGACY_ROOTS, value: JSON.stringify(allowedRoots) },
        { type: 'put', key: 'settings', value: JSON.stringify(rest) },
      ]);
      return { ...defaults, ...rest };
    }
    return { ...defaults, ...stored };
  }

  /** The `allowedRoots` an older version stored in the settings, if it did. */
  async legacyAllowedRoots(): Promise<string[] | undefined> {
    const raw = await this.db.get(LEGACY_ROOTS);
    if (raw === undefined) return undefined;
    const v = JSON.parse(raw) as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  }

  async putSettings(settings: Settings): Promise<void> {
    await this.db.put('settings', JSON.stringify(settings));
  }

  async putTorrent(record: TorrentRecord): Promise<void> {
    await this.db.put(`torrent:${record.infoHash}`, JSON.stringify(record));
  }

  async deleteTorrent(infoHash: string): Promise<void> {
    await this.db.del(`torrent:${infoHash}`);
  }

  async getCategories(): Promise<Category[]> {
    return this.getJson<Category[]>('categories', []);
  }

  async putCategories(categories: Category[]): Promise<void> {
    await this.db.put('categories', JSON.stringify(categories));
  }

  async getTags(): Promise<string[]> {
    return this.getJson<string[]>('tags', []);
  }

  async putTags(tags: string[]): Promise<void> {
    await this.db.put('tags', JSON.stringify(tags));
  }

  async getRpcCredentials(): Promise<RpcCredentials | undefined> {
    return this.getJson<RpcCredentials | undefined>('rpc-credentials', undefined);
  }

  /** `undefined` removes them (back to any user name and the token). */
  async putRpcCredentials(credentials: RpcCredentials | undefined): Promise<void> {
    if (credentials) await this.db.put('rpc-credentials', JSON.stringify(credentials));
    else await this.db.del('rpc-credentials');
  }

  private async getJson<T>(key: string, fallback: T): Promise<T> {
    const raw = await this.db.get(key);
    return raw === undefined ? fallback : (JSON.parse(raw) as T);
  }

  async listTorrents(): Promise<TorrentRecord[]> {
    const out: TorrentRecord[] = [];
    for await (const value of this.db.values({ gte: 'torrent:', lt: 'torrent;' })) {
      out.push(JSON.parse(value) as TorrentRecord);
    }
    return out.sort((a, b) => a.addedAt - b.addedAt);
  }
}
