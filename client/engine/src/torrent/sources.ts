import type { SessionContext } from '../context';
import { v2WireHash, type TorrentMeta } from '../meta';
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
  /** A hybrid's second identity: its truncated v2 info-hash, announced beside the v1 one. */
  private v2Target?: PeerSourceTarget;

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
    this.addV2(v2WireHash(o.meta, o.infoHashV2));
  }

  /** The metadata arrived: its privacy, and for a hybrid its v2 identity. */
  metadataArrived(meta: TorrentMeta): void {
    this.discovery.setPrivacy(privacyOf(meta));
    this.addV2(v2WireHash(meta));
  }

  /** A session-wide source (DHT, LSD) offers itself for this torrent. */
  addFactory(factory: PeerSourceFactory): void {
    for (const target of this.v2Target ? [this.target, this.v2Target] : [this.target]) {
      this.addSource(factory, target);
    }
  }

  /**
   * BEP 52: a hybrid's peers that know only its v2 hash (a v2-only client, a `urn:btmh` link)
   * look for it under that hash, so trackers, the DHT and LSD hear of us under both, as
   * libtorrent does. The v1 trackers' source stays the one whose status is shown.
   */
  private addV2(hash: Buffer | undefined): void {
    if (!hash || hash.equals(this.o.infoHash) || this.v2Target) return;
    const target = (this.v2Target = { ...this.target, infoHash: hash });
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
