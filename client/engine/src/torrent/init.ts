import type { FilePriority, FileStamps } from '../api';
import type { TorrentMeta } from '../meta';

/** What the session knows of a torrent when it adds it (from `TorrentSource` and `AddOptions`). */
export interface TorrentInit {
  infoHash: Buffer;
  meta?: TorrentMeta;
  /** BEP 52: the v2 info-hash (hex, 64) a `urn:btmh` magnet gives before the metadata does. */
  infoHashV2?: string;
  name?: string;
  tiers: string[][];
  downloadDir: string;
  paused: boolean;
  filePriorities?: FilePriority[];
  sequential: boolean;
  seedMode: boolean;
  skipCheck: boolean;
  /** Seed mode: the files as the creator verified them (see `AddOptions.verified`). */
  verified?: FileStamps;
  peers?: Array<{ host: string; port: number }>;
  /** BEP 19 web seeds as the torrent (`url-list`) or the magnet (`ws`) gives them. */
  webSeeds: string[];
}
