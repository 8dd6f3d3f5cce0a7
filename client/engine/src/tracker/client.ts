/** One announce, as every tracker protocol needs it. */
export interface AnnounceRequest {
  infoHash: Buffer;
  peerId: Buffer;
  port: number;
  uploaded: number;
  downloaded: number;
  left: number;
  event: 'started' | 'stopped' | 'completed' | 'none';
  numwant: number;
  /** Per-tracker key (BEP 7 style) so a tracker can tell our announces apart from others'. */
  key: number;
}

export interface AnnounceResult {
  /** Seconds until the next announce. */
  interval: number;
  peers: Array<{ host: string; port: number }>;
  seeders?: number;
  leechers?: number;
}

export interface ScrapeResult {
  seeders: number;
  leechers: number;
  completed: number;
}

/** What a torrent publishes to an enjambre tracker when it starts seeding complete data. */
export interface PublishInfo {
  infoHash: Buffer;
  peerId: Buffer;
  port: number;
  name: string;
  size: number;
  fileCount: number;
  torrent?: Uint8Array;
}

/** A tracker client for one URL (HTTP, UDP or gRPC). */
export interface TrackerClient {
  announce(req: AnnounceRequest, signal: AbortSignal): Promise<AnnounceResult>;
  scrape?(infoHash: Buffer, signal: AbortSignal): Promise<ScrapeResult>;
  publish?(info: PublishInfo, signal: AbortSignal): Promise<void>;
  close?(): void;
  /**
   * While announces fail at once without trying (a host known to be down): the error they fail
   * with and until when. Lets a caller skip the call, its abort signal and its timer.
   */
  blocked?(): { message: string; until: number } | undefined;
}
