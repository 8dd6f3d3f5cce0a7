import type { SessionContext } from '../context';
import { wireHashes, type TorrentMeta } from '../meta';
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
  /** A hybrid's second identity (see `wireHashes`), announced beside the one it was added under. */
  private otherTarget?: PeerSourceTarget;

  constructor(
    private readonly ctx: SessionContext,
    private readonly o: {
      infoHash: Buffer;
      /** Unknown for a magnet until the metadata arrives. */
      meta?: TorrentMeta;
      /** A `urn:btmh` magnet's v2 info-hash (hex). */
      infoHashV2?: string;
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
    this.addOther(wireHashes(o.infoHash, o.meta, o.infoHashV2).other);
  }

  /** The metadata arrived: its privacy, and for a hybrid its v2 identity. */
  metadataArrived(meta: TorrentMeta): void {
    this.discovery.setPrivacy(privacyOf(meta));
    this.addOther(wireHashes(this.o.infoHash, meta).other);
  }

  /** A session-wide source (DHT, LSD) offers itself for this torrent. */
  addFactory(factory: PeerSourceFactory): void {
    for (const target of this.otherTarget ? [this.target, this.otherTarget] : [this.target]) {
      this.addSource(factory, target);
    }
  }

  /**
   * BEP 52: a hybrid's peers that know only its v2 hash (a v2-only client, a `urn:btmh` link)
   * look for it under that hash, and v1 clients under the v1 one, so trackers, the DHT and LSD
   * hear of us under both, as libtorrent does. The status shown is the first trackers' source.
   */
  private addOther(hash: Buffer | undefined): void {
    if (!hash || this.otherTarget) return;
    const target = (this.otherTarget = { ...this.target, infoHash: hash });
    this.discovery.add(
      new TrackerSource(this.ctx, target, this.o.tiers, (peers) =>
        this.discovery.found('tracker', peers),
      ),
    );
    for (const f of this.ctx.peerSources()) this.addSource(f, target);
  }

  private addSource(factory: PeerSourceFactory, target: PeerSourceTarget): void {
    let source: PeerSource | undefined = undefined;
    source = factory(target, (peers) => {
      if (source) this.discovery.found(source.kind, peers);
    });
    if (source) this.discovery.add(source);
  }
}

export function privacyOf(meta: TorrentMeta | undefined): Privacy {
  return meta ? (meta.private ? 'private' : 'public') : 'unknown';
}
