import type { TrackerStatus } from '../api';
import type { SessionContext } from '../context';
import type { TorrentMeta } from '../meta';
import { TrackerManager } from '../tracker/manager';
import type { DiscoveryMode, PeerAddress, PeerSource, PeerSourceTarget } from './peer-source';

/**
 * The torrent's trackers as a peer source. A `TrackerManager` lives for one run (start to stop)
 * since it remembers what it sent (`started`, `completed`); a new run gets a fresh one.
 */
export class TrackerSource implements PeerSource {
  readonly kind = 'tracker';
  readonly publicOnly = false;
  private manager: TrackerManager;
  private swarm: { seeders?: number; leechers?: number } = {};

  constructor(
    private readonly ctx: SessionContext,
    private readonly target: PeerSourceTarget,
    private readonly tiers: () => string[][],
    private readonly found: (peers: PeerAddress[]) => void,
  ) {
    this.manager = this.create();
  }

  start(_mode: DiscoveryMode): void {
    this.manager = this.create();
    this.manager.start();
  }

  completed(): void {
    this.manager.completed();
  }

  reannounce(): void {
    this.manager.reannounce();
  }

  stop(): Promise<void> {
    return this.manager.stop();
  }

  close(): void {
    this.manager.close();
  }

  status(): TrackerStatus[] {
    return this.manager.status();
  }

  /** Swarm counts from the last tracker answers. */
  swarmCounts(): { seeders?: number; leechers?: number } {
    return this.swarm;
  }

  /** Publish to the enjambre trackers' catalogs. */
  publishTorrent(meta: TorrentMeta, torrent: Uint8Array | undefined): Promise<void> {
    return this.manager.publish({
      name: meta.name,
      size: meta.totalLength,
      fileCount: meta.files.filter((f) => !f.pad).length,
      torrent,
    });
  }

  private create(): TrackerManager {
    const infoHash = this.target.infoHash.toString('hex');
    return new TrackerManager({
      infoHash: this.target.infoHash,
      peerId: this.ctx.peerId,
      port: () => this.target.port(),
      tiers: this.tiers(),
      stats: () => this.target.stats(),
      onPeers: this.found,
      onSwarm: (seeders, leechers) => {
        this.swarm = { seeders, leechers };
      },
      clientFor: (url) => this.ctx.trackerClient(url),
      queue: this.ctx.announces,
      log: (msg, obj) => this.ctx.logger?.debug({ ...obj, infoHash }, msg),
    });
  }
}
