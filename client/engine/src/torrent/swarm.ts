import net from 'node:net';
import type { PeerSourceKind } from '../api';
import type { PeerConnection } from '../peer/connection';

export interface Candidate {
  host: string;
  port: number;
  source: PeerSourceKind;
  failures: number;
  nextTry: number;
}

const CONNECT_TIMEOUT_MS = 10_000;
const MAX_CANDIDATES = 2000;
const MAX_FAILURES = 5;
/**
 * Every outgoing socket reads into this one buffer: each read is decoded before the event loop
 * reads another socket (the decoder and handlers copy what they keep), so one buffer serves all
 * peers, with no allocation per read and no memory per peer.
 */
const sharedReadBuffer = Buffer.allocUnsafeSlow(256 * 1024);

/**
 * The torrent's peers: known addresses, connection attempts, connected peers, bans, and the
 * per-torrent and per-session connection limits.
 */
export class Swarm {
  readonly conns = new Set<PeerConnection>();
  private readonly candidates = new Map<string, Candidate>();
  private readonly connecting = new Set<string>();
  private readonly banned = new Set<string>();
  private readonly bannedIds = new Set<string>();
  /** Called when there may be work for the torrent's tick again (it sleeps while idle()). */
  onBusy: () => void = () => undefined;

  constructor(
    private readonly maxPeers: () => number,
    /** Session-wide room for one more connection (reserves it when true). */
    private readonly sessionRoom: () => boolean,
    private readonly connect: (socket: net.Socket, c: Candidate, address: string) => PeerConnection,
    private readonly selfAddresses: () => Set<string>,
    /** The session's count of connected peers follows this swarm's. */
    private readonly counted: (delta: number) => void = () => undefined,
  ) {}

  private track(conn: PeerConnection): void {
    if (this.conns.has(conn)) return;
    this.conns.add(conn);
    this.counted(1);
  }

  private untrack(conn: PeerConnection): void {
    if (this.conns.delete(conn)) this.counted(-1);
  }

  /** Remembers addresses to dial; returns how many were new. */
  addCandidates(peers: Array<{ host: string; port: number }>, source: PeerSourceKind): number {
    let added = 0;
    for (const p of peers) {
      if (!Number.isInteger(p.port) || p.port <= 0 || p.port > 65535) continue;
      if (net.isIP(p.host) === 0) continue;
      const addr = formatAddress(p.host, p.port);
      const known = this.candidates.get(addr);
      if (known && source === 'manual') {
        // a peer the user adds by hand is dialled now, whatever its earlier failures
        known.failures = 0;
        known.nextTry = 0;
        this.onBusy();
      }
      if (known || this.banned.has(addr) || this.selfAddresses().has(addr)) continue;
      if (this.candidates.size >= MAX_CANDIDATES) break;
      this.candidates.set(addr, { host: p.host, port: p.port, source, failures: 0, nextTry: 0 });
      added++;
    }
    if (added > 0) this.onBusy();
    return added;
  }

  isBanned(address: string, peerId?: Buffer): boolean {
    return this.banned.has(address) || (!!peerId && this.bannedIds.has(peerId.toString('hex')));
  }

  ban(conn: PeerConnection): void {
    this.banned.add(conn.address);
    if (conn.remoteId) this.bannedIds.add(conn.remoteId.toString('hex'));
    this.candidates.delete(conn.address);
    conn.close('banned: sent data that failed the hash check');
  }

  /** A piece from `peers` failed its hash check: ban a lone sender, or a repeat offender.
   * `contributors`: how many sent the piece's blocks, web seeds included. */
  blame(peers: Set<PeerConnection>, contributors = peers.size): void {
    for (const c of peers) {
      c.hashFailures++;
      if (contributors === 1 || c.hashFailures >= 2) this.ban(c);
    }
  }

  /** Whether one more connection (e.g. an incoming one) fits this torrent's limit. */
  hasRoom(): boolean {
    return this.conns.size + this.connecting.size < this.maxPeers();
  }

  connectedTo(address: string): boolean {
    for (const c of this.conns) if (c.address === address) return true;
    return this.connecting.has(address);
  }

  /** No connection, none being opened and no address to try: a tick has nothing to do. */
  /** Takes an incoming connection. */
  adopt(conn: PeerConnection): void {
    this.track(conn);
    this.onBusy();
  }

  idle(): boolean {
    return this.conns.size === 0 && this.connecting.size === 0 && this.candidates.size === 0;
  }

  /** Opens connections to known addresses while there is room. */
  maintain(): void {
    const now = Date.now();
    for (const [addr, c] of this.candidates) {
      if (!this.hasRoom()) return;
      if (c.nextTry > now || this.connectedTo(addr)) continue;
      if (!this.sessionRoom()) return;
      this.dial(addr, c);
    }
  }

  /** A connection ended; an outgoing one that never got going counts as a failure. */
  onClosed(conn: PeerConnection, productive: boolean): void {
    this.untrack(conn);
    const c = this.candidates.get(conn.address);
    if (!c) return;
    if (productive) {
      c.failures = 0;
      c.nextTry = Date.now() + 30_000;
    } else this.failed(conn.address, c);
  }

  /** Forget retry delays (e.g. when a paused torrent resumes). */
  resetBackoff(): void {
    for (const c of this.candidates.values()) {
      c.failures = 0;
      c.nextTry = 0;
    }
  }

  closeAll(reason: string): void {
    for (const c of [...this.conns]) {
      c.close(reason);
      this.untrack(c);
    }
  }

  /** Peer addresses for PEX (connected, outgoing or with a known listen port). */
  addresses(): Array<{ host: string; port: number }> {
    const out: Array<{ host: string; port: number }> = [];
    for (const c of this.conns) {
      const a = parseAddress(c.address);
      if (!a) continue;
      if (c.incoming) {
        if (c.listenPort) out.push({ host: a.host, port: c.listenPort });
      } else out.push(a);
    }
    return out;
  }

  private dial(addr: string, c: Candidate): void {
    this.connecting.add(addr);
    let conn: PeerConnection | undefined;
    const socket = net.connect({
      host: c.host,
      port: c.port,
      onread: {
        buffer: sharedReadBuffer,
        callback: (n: number, buf: Uint8Array) => {
          conn?.feed(Buffer.from(buf.buffer, buf.byteOffset, n));
          return true;
        },
      },
    });
    const timer = setTimeout(
      () => socket.destroy(new Error('connect timeout')),
      CONNECT_TIMEOUT_MS,
    );
    const fail = () => {
      clearTimeout(timer);
      this.connecting.delete(addr);
      this.failed(addr, c);
    };
    socket.once('error', fail);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', fail);
      this.connecting.delete(addr);
      conn = this.connect(socket, c, addr);
      this.track(conn);
    });
  }

  private failed(addr: string, c: Candidate): void {
    c.failures++;
    if (c.failures >= MAX_FAILURES) this.candidates.delete(addr);
    else c.nextTry = Date.now() + 5_000 * 2 ** c.failures;
  }
}

export function formatAddress(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

export function parseAddress(a: string): { host: string; port: number } | undefined {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(a);
  return m ? { host: m[1], port: Number(m[2]) } : undefined;
}
