import type { SessionContext } from '../context';
import type { TorrentMeta } from '../meta';
import type { Transfer } from './live';
import { Discovery, type Privacy } from './discovery';
import type {
  PeerAddress,
  PeerSource,
  PeerSourceFactory,
  PeerSourceKind,
  PeerSourceTarget,
} from './peer-source';
import { Pex } from './pex';
import { TrackerSource } from './tracker-source';

/** A torrent's discovery with its own sources (trackers, PEX) and the session's (DHT, LSD). */
export class TorrentSources {
  readonly discovery: Discovery;
  readonly trackers: TrackerSource;
  readonly pex: Pex;
  private readonly target: PeerSourceTarget;

  constructor(
    ctx: SessionContext,
    o: {
      infoHash: Buffer;
      /** Unknown for a magnet until the metadata arrives. */
      meta?: TorrentMeta;
      transfer: Transfer;
      /** Bytes still wanted, once known. */
      left: () => number | undefined;
      tiers: () => string[][];
      /** Hands addresses to the swarm; returns how many were new. */
      take: (peers: PeerAddress[], kind: PeerSourceKind) => number;
    },
  ) {
    this.target = {
      infoHash: o.infoHash,
      port: () => ctx.port(),
      stats: () => ({
        uploaded: o.transfer.uploaded,
        downloaded: o.transfer.downloaded,
        left: o.left() ?? 16384, // a magnet: something left, or trackers think we seed
      }),
    };
    const discovery = (this.discovery = new Discovery(privacyOf(o.meta), o.take));
    this.trackers = new TrackerSource(ctx, this.target, o.tiers, (peers) =>
      discovery.found('tracker', peers),
    );
    this.pex = new Pex((peers) => discovery.found('pex', peers));
    discovery.add(this.trackers);
    discovery.add(this.pex);
    for (const f of ctx.peerSources()) this.addFactory(f);
  }

  /** A session-wide source (DHT, LSD) offers itself for this torrent. */
  addFactory(factory: PeerSourceFactory): void {
    let source: PeerSource | undefined = undefined;
    source = factory(this.target, (peers) => {
      if (source) this.discovery.found(source.kind, peers);
    });
    if (source) this.discovery.add(source);
  }
}

export function privacyOf(meta: TorrentMeta | undefined): Privacy {
  return meta ? (meta.private ? 'private' : 'public') : 'unknown';
}
