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
  /** Folders the API may browse (`/api/fs`) and download into; the download dir always is one. */
  allowedRoots: string[];
}

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
    return { ...defaults, ...(JSON.parse(raw) as Partial<Settings>) };
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

  async listTorrents(): Promise<TorrentRecord[]> {
    const out: TorrentRecord[] = [];
    for await (const value of this.db.values({ gte: 'torrent:', lt: 'torrent;' })) {
      out.push(JSON.parse(value) as TorrentRecord);
    }
    return out.sort((a, b) => a.addedAt - b.addedAt);
  }
}
