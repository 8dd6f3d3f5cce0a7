import type { PeerConnection } from '../peer/connection';

/**
 * BEP 16 super-seeding for one live run: a peer that connected while it was on learns none of our
 * pieces up front; it is offered one piece at a time with `have`, the rarest among those offered
 * to the fewest peers, and a new one once the piece it was given is seen at another peer or the
 * peer itself says it has it. That last rule is libtorrent's default (qBittorrent's too), not
 * strict BEP 16, under which a lone leecher would wait forever for a third peer.
 * Only pieces offered to a peer are served to it. Peers that connected before it was turned on
 * already know our full bitfield and are not governed by it.
 */
export class SuperSeeder {
  /** Managed peers: the piece on offer (-1: none) and every piece offered so far. */
  private readonly peers = new Map<PeerConnection, { current: number; offered: Set<number> }>();
  /** How many peers each piece was offered to, ever (so it goes to those not offered it yet). */
  private readonly offers: Uint32Array;

  constructor(
    pieceCount: number,
    private readonly weHave: (index: number) => boolean,
    /** How many peers hold the piece, as counted by the picker. */
    private readonly availability: (index: number) => number,
  ) {
    this.offers = new Uint32Array(pieceCount);
  }

  manages(conn: PeerConnection): boolean {
    return this.peers.has(conn);
  }

  /** Unmanaged peers are served everything; managed ones only the pieces offered to them. */
  allows(conn: PeerConnection, index: number): boolean {
    const p = this.peers.get(conn);
    return !p || p.offered.has(index);
  }

  /** A peer connected (we sent it no bitfield): make its first offer. */
  add(conn: PeerConnection): void {
    if (this.peers.has(conn)) return;
    this.peers.set(conn, { current: -1, offered: new Set() });
    this.offerNext(conn);
  }

  /** Its bitfield arrived: the offer made blindly at connect may be a piece it already holds. */
  onBitfield(conn: PeerConnection): void {
    const p = this.peers.get(conn);
    if (!p || (p.current >= 0 && !conn.hasPiece(p.current))) return;
    if (p.current >= 0 && this.offers[p.current] > 0) this.offers[p.current]--;
    this.offerNext(conn);
  }

  /** `conn` announced piece `index`. */
  onHave(conn: PeerConnection, index: number): void {
    for (const [other, p] of this.peers) {
      if (other !== conn && p.current === index) this.offerNext(other);
    }
    const own = this.peers.get(conn);
    if (own && own.current === index) this.offerNext(conn);
  }

  remove(conn: PeerConnection): void {
    const p = this.peers.get(conn);
    if (!p) return;
    // a piece the peer left with unfinished goes back to the least offered
    if (p.current >= 0 && !conn.hasPiece(p.current) && this.offers[p.current] > 0)
      this.offers[p.current]--;
    this.peers.delete(conn);
  }

  /** Super-seeding ends: every managed peer learns the pieces it was not offered. */
  release(): void {
    for (const [conn, p] of this.peers) {
      if (conn.closed || !conn.ready) continue;
      for (let i = 0; i < this.offers.length; i++)
        if (this.weHave(i) && !p.offered.has(i)) conn.sendHave(i);
    }
    this.peers.clear();
    this.offers.fill(0);
  }

  private offerNext(conn: PeerConnection): void {
    const p = this.peers.get(conn);
    if (!p) return;
    p.current = -1;
    let best = -1;
    let bestOffers = Infinity;
    let bestAvail = Infinity;
    for (let i = 0; i < this.offers.length; i++) {
      if (!this.weHave(i) || p.offered.has(i) || conn.hasPiece(i)) continue;
      const offers = this.offers[i];
      const avail = this.availability(i);
      if (offers < bestOffers || (offers === bestOffers && avail < bestAvail)) {
        best = i;
        bestOffers = offers;
        bestAvail = avail;
      }
    }
    if (best < 0) return;
    p.current = best;
    p.offered.add(best);
    this.offers[best]++;
    if (!conn.closed) conn.sendHave(best);
  }
}
