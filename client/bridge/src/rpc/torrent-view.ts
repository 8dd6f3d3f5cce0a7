import { parseTorrent } from '@enjambre/bittorrent';
import type {
  FileStatus,
  PeerStatus,
  SessionApi,
  TorrentStatus,
  TrackerStatus,
} from '@enjambre/engine';
import type { Torrent } from '../engine';
import type { Bridge } from '../daemon/bridge';
import type { TorrentRecord } from '../daemon/state';
import type { TorrentIds } from './torrent-ids';

/** What the .torrent says that the engine's status does not carry. */
export interface MetaFacts {
  multiFile: boolean;
  private: boolean;
  comment: string;
  createdBy: string;
  /** Unix seconds, 0 when absent. */
  creationDate: number;
  webSeeds: string[];
  infoHashV2?: string;
}

const NO_META: MetaFacts = {
  multiFile: false,
  private: false,
  comment: '',
  createdBy: '',
  creationDate: 0,
  webSeeds: [],
};

/** Parsed once per torrent (both APIs list every torrent often); dropped when it is removed. */
export class MetaCache {
  private readonly facts = new Map<string, MetaFacts>();

  constructor(session: SessionApi) {
    session.on('removed', (hash) => this.facts.delete(hash));
  }

  of(t: Torrent): MetaFacts {
    const known = this.facts.get(t.infoHash);
    if (known) return known;
    const file = t.torrentFile();
    if (!file) return NO_META;
    let facts = NO_META;
    try {
      const m = parseTorrent(file);
      facts = {
        multiFile: m.multiFile,
        private: m.private,
        comment: m.comment ?? '',
        createdBy: m.createdBy ?? '',
        creationDate: m.creationDate ?? 0,
        webSeeds: m.urlList,
        ...(m.infoHashV2 ? { infoHashV2: m.infoHashV2 } : {}),
      };
    } catch {
      // The engine accepted it, so this does not happen; an empty answer beats a failed list.
    }
    this.facts.set(t.infoHash, facts);
    return facts;
  }
}

/**
 * One torrent as both APIs see it: the engine's status taken once, the rest (files, peers,
 * trackers, the .torrent's facts) only when a requested field needs it, so listing 10,000
 * torrents with a few fields stays cheap.
 */
export class TorrentView {
  readonly status: TorrentStatus;
  private filesValue?: FileStatus[];
  private peersValue?: PeerStatus[];
  private trackersValue?: TrackerStatus[];
  private recordValue?: Readonly<TorrentRecord>;
  private recordRead = false;

  constructor(
    readonly torrent: Torrent,
    private readonly ctx: ViewContext,
  ) {
    this.status = torrent.status();
  }

  get infoHash(): string {
    return this.torrent.infoHash;
  }

  get id(): number {
    return this.ctx.ids.idOf(this.torrent.infoHash);
  }

  /** 0-based place in the queue. */
  get position(): number {
    return this.ctx.ids.position(this.torrent.infoHash);
  }

  get record(): Readonly<TorrentRecord> | undefined {
    if (!this.recordRead) {
      this.recordValue = this.ctx.bridge.record(this.torrent.infoHash);
      this.recordRead = true;
    }
    return this.recordValue;
  }

  get meta(): MetaFacts {
    return this.ctx.meta.of(this.torrent);
  }

  get files(): FileStatus[] {
    return (this.filesValue ??= this.torrent.files());
  }

  get peers(): PeerStatus[] {
    return (this.peersValue ??= this.torrent.peers());
  }

  get trackers(): TrackerStatus[] {
    return (this.trackersValue ??= this.torrent.trackers());
  }

  /** Bytes of the selected files still missing. */
  get left(): number {
    return Math.max(0, this.status.wantedSize - this.status.downloaded);
  }

  /** Every selected file is complete (a magnet without metadata never is). */
  get complete(): boolean {
    return this.status.size > 0 && this.left === 0;
  }

  /** The torrent's top-level file or folder on disk. */
  get contentPath(): string {
    const s = this.status;
    return s.name ? joinPath(s.downloadDir, s.name) : s.downloadDir;
  }

  /** Stopped by its seed ratio limit (Transmission's "Finished"). */
  get finished(): boolean {
    const limit = this.record?.seedRatioLimit;
    return this.status.paused && this.complete && limit !== undefined && this.status.ratio >= limit;
  }
}

export interface ViewContext {
  bridge: Bridge;
  ids: TorrentIds;
  meta: MetaCache;
}

export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

/** ms since the epoch → whole Unix seconds; 0 stays 0 (both APIs' "never"). */
export function unixSeconds(ms: number | undefined): number {
  return ms ? Math.floor(ms / 1000) : 0;
}
