import type { PeerConnection } from '../peer/connection';
import { encodePex, parsePex } from '../peer/extensions';
import type { DiscoveryMode, PeerAddress, PeerSource } from './peer-source';
import { parseAddress } from './swarm';

/** A full PEX round every minute (BEP 11); new peers get their first list at the next tick. */
export const PEX_INTERVAL_MS = 60_000;

/**
 * BEP 11 for one torrent, as a public-only peer source: while started it sends each ut_pex
 * peer the addresses added and dropped since its last message, and takes the addresses peers
 * send. Stopped (a private torrent, or a magnet whose metadata has not said it is public), it
 * neither sends nor listens.
 */
export class Pex implements PeerSource {
  readonly kind = 'pex';
  readonly publicOnly = true;
  private on = false;
  private lastRound = 0;
  private readonly sent = new Map<PeerConnection, Set<string>>();

  constructor(private readonly found: (peers: PeerAddress[]) => void) {}

  start(mode: DiscoveryMode): void {
    this.on = mode === 'announce';
  }

  async stop(): Promise<void> {
    this.on = false;
    this.sent.clear();
  }

  close(): void {
    this.on = false;
    this.sent.clear();
  }

  /** Whether we offer ut_pex in our extension handshake. */
  get active(): boolean {
    return this.on;
  }

  /** A ut_pex message from a peer (throws on a malformed one: the caller closes that peer). */
  onMessage(payload: Buffer): void {
    const pex = parsePex(payload);
    if (this.on) this.found(pex.added);
  }

  forget(conn: PeerConnection): void {
    this.sent.delete(conn);
  }

  /** Once a second: a full round every minute, else first lists to peers that have none. */
  tick(conns: Iterable<PeerConnection>, now: PeerAddress[], at: number): void {
    if (!this.on) return;
    const full = at - this.lastRound >= PEX_INTERVAL_MS;
    if (full) this.lastRound = at;
    const nowKeys = new Set(now.map((a) => `${a.host}:${a.port}`));
    for (const c of conns) {
      const id = c.peerExt.get('ut_pex');
      if (!c.ready || !id || (!full && this.sent.has(c))) continue;
      const sent = this.sent.get(c) ?? new Set<string>();
      this.sent.set(c, sent);
      const added = now.filter((a) => {
        const k = `${a.host}:${a.port}`;
        return !sent.has(k) && k !== c.address;
      });
      const dropped: PeerAddress[] = [];
      for (const k of sent) {
        const a = nowKeys.has(k) ? undefined : parseAddress(k);
        if (a) dropped.push(a);
      }
      if (added.length === 0 && dropped.length === 0) continue;
      c.sendExtended(id, encodePex({ added, dropped }));
      for (const a of added) sent.add(`${a.host}:${a.port}`);
      for (const d of dropped) sent.delete(`${d.host}:${d.port}`);
    }
  }
}
