/** What the choker needs of a peer. */
export interface ChokerPeer {
  peerInterested: boolean;
  amChoking: boolean;
  optimistic: boolean;
  snubbed: boolean;
  /** Rate of data from the peer (tit-for-tat while downloading). */
  downRate(): number;
  /** Rate of data to the peer (seeding: prefer peers that take data fastest). */
  upRate(): number;
  choke(): void;
  unchoke(): void;
}

export const CHOKE_INTERVAL_MS = 10_000;
const OPTIMISTIC_ROUNDS = 3; // 30 s

/**
 * Tit-for-tat: every round, unchoke the `slots` interested peers that gave us the most (or, when
 * seeding, that took the most), plus one optimistic unchoke rotated every third round.
 * See choker/STATE.md.
 */
export class Choker {
  private round = 0;
  private optimistic?: ChokerPeer;

  constructor(private slots: number) {}

  setSlots(n: number): void {
    this.slots = n;
  }

  /**
   * A peer just connected, or became interested: give it a free slot at once instead of waiting
   * for the round. Unchoking on connect (libtorrent's preemptive unchoke) lets a peer send its
   * first requests with its `interested`; Transmission otherwise waits a second more.
   */
  offerSlot(peer: ChokerPeer, peers: Iterable<ChokerPeer>): void {
    if (!peer.amChoking) return;
    let busy = 0; // unchoked peers that want data (an idle unchoked peer costs no upload)
    for (const p of peers) if (!p.amChoking && p.peerInterested) busy++;
    if (busy < this.slots + 1) peer.unchoke();
  }

  /** One choking round. */
  run(peers: ChokerPeer[], seeding: boolean): void {
    const rate = (p: ChokerPeer) => (seeding ? p.upRate() : p.downRate());
    const candidates = peers.filter((p) => p.peerInterested && !p.snubbed);
    candidates.sort((a, b) => rate(b) - rate(a));
    const regular = new Set(candidates.slice(0, this.slots));
    if (
      this.round++ % OPTIMISTIC_ROUNDS === 0 ||
      !this.optimistic ||
      !peers.includes(this.optimistic)
    ) {
      const rest = peers.filter((p) => p.peerInterested && !regular.has(p));
      this.optimistic = rest.length > 0 ? rest[Math.floor(Math.random() * rest.length)] : undefined;
    }
    // An unchoked peer that is not interested keeps its unchoke while that leaves a slot free:
    // it costs nothing, and its first requests can then come with its `interested`.
    let spare = this.slots + 1 - regular.size - (this.optimistic ? 1 : 0);
    for (const p of peers) {
      p.optimistic = p === this.optimistic;
      if (regular.has(p) || p.optimistic) p.unchoke();
      else if (!p.peerInterested && !p.amChoking && spare > 0) spare--;
      else p.choke();
    }
  }
}
