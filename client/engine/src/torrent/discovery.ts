import type {
  DiscoveryMode,
  PeerAddress,
  PeerSource,
  PeerSourceKind,
  PeersFound,
} from './peer-source';

/** BEP 27 as discovery needs it: a magnet's privacy is unknown until its metadata arrives. */
export type Privacy = 'unknown' | 'public' | 'private';

/**
 * A torrent's peer sources: starts and stops them together, lets each run only as far as the
 * torrent's privacy allows (see `PeerSource.publicOnly`), and counts the new addresses each gave.
 */
export class Discovery {
  private readonly sources: PeerSource[] = [];
  /** The mode each running source was last started in. */
  private readonly running = new Map<PeerSource, DiscoveryMode>();
  private readonly counts: PeersFound = { tracker: 0, dht: 0, lsd: 0, pex: 0, manual: 0 };
  private active = false;

  constructor(
    private privacy: Privacy,
    /** Hands addresses to the swarm; returns how many were new to it. */
    private readonly take: (peers: PeerAddress[], kind: PeerSourceKind) => number,
  ) {}

  /** Addresses from `kind` (a source's `found`, an incoming PEX message, `addPeer`). */
  found(kind: PeerSourceKind, peers: PeerAddress[]): void {
    if (peers.length === 0) return;
    this.counts[kind] += this.take(peers, kind);
  }

  add(source: PeerSource): void {
    this.sources.push(source);
    if (this.active) this.apply(source);
  }

  get isPrivate(): boolean {
    return this.privacy === 'private';
  }

  /** Whether sources of this kind of reach (DHT, LSD, PEX) may announce us now. */
  get publicAnnounce(): boolean {
    return this.privacy === 'public';
  }

  /** The metadata arrived: public-only sources start or stay off for good. */
  setPrivacy(privacy: Privacy): void {
    if (privacy === this.privacy) return;
    this.privacy = privacy;
    if (this.active) for (const s of this.sources) this.apply(s);
  }

  start(): void {
    this.active = true;
    for (const s of this.sources) this.apply(s);
  }

  completed(): void {
    for (const s of this.running.keys()) s.completed?.();
  }

  async stop(): Promise<void> {
    this.active = false;
    const stopping = [...this.running.keys()].map((s) => s.stop());
    this.running.clear();
    await Promise.all(stopping);
  }

  close(): void {
    for (const s of this.sources) s.close();
  }

  /** New addresses per source since the torrent was added (a copy). */
  peersFound(): PeersFound {
    return { ...this.counts };
  }

  private modeFor(s: PeerSource): DiscoveryMode | undefined {
    if (!s.publicOnly || this.privacy === 'public') return 'announce';
    if (this.privacy === 'unknown' && s.lookupBeforeMetadata) return 'lookup';
    return undefined;
  }

  private apply(s: PeerSource): void {
    const mode = this.modeFor(s);
    const was = this.running.get(s);
    if (mode === was) return;
    if (mode) {
      this.running.set(s, mode);
      s.start(mode);
    } else {
      this.running.delete(s);
      void s.stop();
    }
  }
}
