import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import {
  ProtocolError,
  encodeHttpAnnounceResponse,
  encodeHttpFailure,
  encodeHttpScrapeResponse,
  parseAnnounceQuery,
  parseScrapeQuery,
  type HttpPeer,
} from '@enjambre/bittorrent';
import type { Logger } from 'pino';
import { performance } from 'node:perf_hooks';
import type { DurationSeries, TrackerMetrics } from '../metrics';
import type { CidrSet } from '../net/cidr';
import { bytesToIp, ipToBytes } from '../net/ip';
import type { RateLimiter } from '../rate-limit';
import { StoreFullError, type SwarmStore } from '../store/types';
import { MAX_NUMWANT_ACCEPTED, MAX_SCRAPE_HASHES } from '../validate';
import { parseProxyHeader } from './proxy-protocol';
import { parseRequestHead } from './request-head';

export interface HttpTrackerOptions {
  host: string;
  port: number;
  store: SwarmStore;
  metrics: TrackerMetrics;
  logger: Logger;
  /** PEM certificate and key: serve HTTPS. */
  tls?: { cert: Buffer; key: Buffer };
  /**
   * Load balancers whose X-Forwarded-For header and PROXY protocol header (v1/v2, plain HTTP
   * only) are believed; from any other peer both are ignored (a PROXY header is then a
   * malformed request). Their connections are not counted against the per-address cap.
   */
  trustedProxies?: CidrSet;
  /** Honour the announce's `ip` parameter (off: a client cannot announce someone else). */
  allowIpParam?: boolean;
  /** Announces per second per client address, shared with the other front ends. */
  limiter?: RateLimiter;
  /** Open connections per client address at most; default 100; 0: no cap. */
  maxConnectionsPerIp?: number;
  /**
   * A request head must be complete this many ms after its first byte (or after the
   * connection opened); default 10 s. Unlike the idle timer, bytes trickling in do not extend
   * it, so a slow client cannot hold a connection open with one byte at a time.
   */
  headTimeoutMs?: number;
  /** Largest request head (request line + headers) accepted; default 8 KiB. */
  maxHeaderBytes?: number;
  /** Idle keep-alive connections are closed after this many ms; default 60 s. */
  idleTimeoutMs?: number;
  /** Open connections at most; default 10,000. */
  maxConnections?: number;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const STATUS: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Content Too Large',
  431: 'Request Header Fields Too Large',
  505: 'HTTP Version Not Supported',
};

interface Conn {
  socket: Socket;
  /** Client address bytes from the socket (or the PROXY header; computed once per connection). */
  ip: Buffer | null;
  /** The key of the per-address connection count (IPv4 address, IPv6 /64). */
  address: string;
  /** The peer is a trusted proxy: its X-Forwarded-For and PROXY header count. */
  trusted: boolean;
  /** A PROXY header may still come (trusted peers, until the first bytes are read). */
  awaitingProxy: boolean;
  pending: Buffer | null;
  closing: boolean;
  /** When the request head being read started (ms); 0 between requests. */
  headStart: number;
}

/** Writes one response; `keepAlive` false adds `Connection: close` and ends the socket. */
function respond(conn: Conn, status: number, body: Buffer, keepAlive: boolean): void {
  const head =
    `HTTP/1.1 ${status} ${STATUS[status]}\r\nContent-Type: text/plain\r\n` +
    `Content-Length: ${body.length}\r\n${keepAlive ? '' : 'Connection: close\r\n'}\r\n`;
  const out = Buffer.allocUnsafe(head.length + body.length);
  out.write(head, 0, 'latin1');
  body.copy(out, head.length);
  if (keepAlive) conn.socket.write(out);
  else {
    conn.closing = true;
    conn.socket.end(out);
  }
}

/**
 * The BEP 3/7/23/48 HTTP tracker on raw TCP (or TLS) sockets: a small HTTP/1.1 reader that only
 * takes GET requests without bodies, keeps connections alive, answers pipelined requests in
 * order, and refuses anything else with a clean 4xx. Query strings are parsed and answers
 * encoded by the protocol core's codec; the store does the rest.
 */
export class HttpTracker {
  private readonly server: Server;
  private readonly conns = new Set<Conn>();
  /** Open connections per socket address (trusted proxies are not counted). */
  private readonly perAddress = new Map<string, number>();
  private readonly maxHeader: number;
  private readonly maxPerIp: number;
  private readonly headTimeoutMs: number;
  private readonly headTimer: NodeJS.Timeout;
  private readonly announceDuration: DurationSeries;

  private constructor(private readonly options: HttpTrackerOptions) {
    this.maxHeader = options.maxHeaderBytes ?? 8192;
    this.maxPerIp = options.maxConnectionsPerIp ?? 100;
    this.headTimeoutMs = options.headTimeoutMs ?? 10_000;
    // One timer for every connection: a timer per request would cost the keep-alive hot path.
    this.headTimer = setInterval(
      () => this.expireSlowHeads(),
      Math.max(50, Math.min(1000, this.headTimeoutMs / 4)),
    ).unref();
    this.announceDuration = options.metrics.duration('http', 'announce');
    const onSocket = (socket: Socket): void => this.onConnection(socket);
    this.server = options.tls
      ? createTlsServer({ cert: options.tls.cert, key: options.tls.key }, onSocket)
      : createServer(onSocket);
    this.server.maxConnections = options.maxConnections ?? 10_000;
    this.server.on('tlsClientError', () => options.metrics.error('http', 'tls'));
  }

  static async listen(options: HttpTrackerOptions): Promise<HttpTracker> {
    const tracker = new HttpTracker(options);
    await new Promise<void>((resolve, reject) => {
      tracker.server.once('error', reject);
      tracker.server.listen({ port: options.port, host: options.host, backlog: 1024 }, () => {
        tracker.server.off('error', reject);
        resolve();
      });
    });
    return tracker;
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  close(): Promise<void> {
    clearInterval(this.headTimer);
    for (const conn of this.conns) conn.socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private onConnection(socket: Socket): void {
    const ip = ipToBytes(socket.remoteAddress ?? '');
    const trusted = this.options.trustedProxies?.has(ip) === true;
    // IPv6 hosts are counted by their /64 (one host usually has the whole block).
    const address = ip === null ? '' : ip.toString('hex', 0, ip.length === 16 ? 8 : 4);
    socket.on('error', () => socket.destroy());
    if (!trusted && this.maxPerIp > 0) {
      const open = this.perAddress.get(address) ?? 0;
      if (open >= this.maxPerIp) {
        this.options.metrics.refused('http', 'connection_cap');
        socket.destroy();
        return;
      }
      this.perAddress.set(address, open + 1);
    }
    const conn: Conn = {
      socket,
      ip,
      address,
      trusted,
      awaitingProxy: trusted && this.options.tls === undefined,
      pending: null,
      closing: false,
      headStart: Date.now(),
    };
    this.conns.add(conn);
    socket.setNoDelay(true);
    socket.setTimeout(this.options.idleTimeoutMs ?? 60_000, () => socket.destroy());
    socket.on('close', () => {
      this.conns.delete(conn);
      if (trusted || this.maxPerIp <= 0) return;
      const open = (this.perAddress.get(address) ?? 1) - 1;
      if (open <= 0) this.perAddress.delete(address);
      else this.perAddress.set(address, open);
    });
    socket.on('data', (chunk: Buffer) => this.onData(conn, chunk));
  }

  private expireSlowHeads(): void {
    const cutoff = Date.now() - this.headTimeoutMs;
    for (const conn of this.conns) {
      if (conn.headStart !== 0 && conn.headStart < cutoff && !conn.closing) {
        this.options.metrics.refused('http', 'head_timeout');
        conn.socket.destroy();
      }
    }
  }

  private onData(conn: Conn, chunk: Buffer): void {
    if (conn.closing) return;
    let buf = conn.pending === null ? chunk : Buffer.concat([conn.pending, chunk]);
    conn.pending = null;
    if (conn.headStart === 0) conn.headStart = Date.now();
    if (conn.awaitingProxy) {
      const proxy = parseProxyHeader(buf);
      if (proxy.kind === 'incomplete') {
        conn.pending = Buffer.from(buf);
        return;
      }
      conn.awaitingProxy = false;
      if (proxy.kind === 'bad') {
        this.options.metrics.error('http', 'bad_proxy_header');
        conn.closing = true;
        conn.socket.destroy();
        return;
      }
      if (proxy.kind === 'ok') {
        if (proxy.ip !== null) conn.ip = proxy.ip;
        buf = buf.subarray(proxy.length);
      }
    }
    let start = 0;
    conn.socket.cork();
    try {
      while (!conn.closing) {
        const end = buf.indexOf(CRLFCRLF, start);
        if (end < 0 || end - start > this.maxHeader) break;
        this.onRequest(conn, buf.toString('latin1', start, end));
        start = end + 4;
      }
      if (!conn.closing && buf.length - start > 0) {
        if (buf.length - start > this.maxHeader) {
          this.options.metrics.error('http', 'header_too_large');
          respond(conn, 431, encodeHttpFailure('request head too large'), false);
        } else conn.pending = Buffer.from(buf.subarray(start));
      }
      // A head left incomplete keeps the deadline of its first byte; none left: no deadline.
      if (conn.pending === null) conn.headStart = 0;
      else if (start > 0) conn.headStart = Date.now();
    } finally {
      conn.socket.uncork();
    }
    // A client that pipelines without reading its answers is not read from until it catches up.
    if (conn.socket.writableNeedDrain && !conn.closing) {
      conn.socket.pause();
      conn.socket.once('drain', () => conn.socket.resume());
    }
  }

  private onRequest(conn: Conn, text: string): void {
    const { metrics } = this.options;
    const head = parseRequestHead(text, conn.trusted);
    if ('status' in head) {
      metrics.error('http', head.reason);
      respond(conn, head.status, encodeHttpFailure(head.message), false);
      return;
    }
    const { method, target, keepAlive, forwardedFor, hasBody } = head;
    if (hasBody) {
      metrics.error('http', 'body');
      respond(conn, 413, encodeHttpFailure('requests with a body are not accepted'), false);
      return;
    }
    if (method !== 'GET') {
      metrics.error('http', 'bad_method');
      respond(conn, 405, encodeHttpFailure('only GET'), keepAlive);
      return;
    }
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    const query = q < 0 ? '' : target.slice(q + 1);
    let ip = conn.ip;
    if (forwardedFor !== null && this.options.trustedProxies !== undefined)
      ip = this.options.trustedProxies.clientFromForwardedFor(forwardedFor);
    if (path === '/announce') this.announce(conn, query, ip, keepAlive);
    else if (path === '/scrape') this.scrape(conn, query, keepAlive);
    else {
      metrics.error('http', 'not_found');
      respond(conn, 404, encodeHttpFailure('not found: use /announce or /scrape'), keepAlive);
    }
  }

  private announce(conn: Conn, query: string, ip: Buffer | null, keepAlive: boolean): void {
    const { store, metrics } = this.options;
    const start = performance.now();
    let body: Buffer;
    try {
      // The bucket is the sender's, whatever address it asks to be recorded under.
      if (ip !== null && this.options.limiter !== undefined && !this.options.limiter.take(ip)) {
        metrics.rateLimited('http');
        throw new ProtocolError('http.rate-limited', 'too many announces from this address');
      }
      const req = parseAnnounceQuery(query);
      if (this.options.allowIpParam && req.ip !== undefined) {
        const given = ipToBytes(req.ip);
        if (given !== null) ip = given;
      }
      if (ip === null) throw new ProtocolError('http.no-address', 'client address unknown');
      if (req.numWant !== undefined && req.numWant > MAX_NUMWANT_ACCEPTED)
        throw new ProtocolError('http.bad-numwant', `numwant must be 0..${MAX_NUMWANT_ACCEPTED}`);
      const compact = req.compact !== false;
      const r = store.announce({
        infoHash: req.infoHash,
        peerId: req.peerId,
        ip,
        port: req.port,
        event: req.event,
        uploaded: req.uploaded,
        downloaded: req.downloaded,
        left: req.left,
        numwant: req.numWant,
        withPeerIds: !compact,
      });
      body = compact
        ? encodeHttpAnnounceResponse({
            interval: r.interval,
            minInterval: r.minInterval,
            complete: r.seeders,
            incomplete: r.leechers,
            peers: r.peers4,
            peers6: r.peers6.length > 0 ? r.peers6 : undefined,
          })
        : encodeHttpAnnounceResponse({
            interval: r.interval,
            minInterval: r.minInterval,
            complete: r.seeders,
            incomplete: r.leechers,
            peers: [
              ...dictPeers(r.peers4, 4, req.noPeerId === true),
              ...dictPeers(r.peers6, 16, req.noPeerId === true),
            ],
          });
      metrics.announce('http', req.event);
    } catch (err) {
      body = this.failure(err);
    }
    respond(conn, 200, body, keepAlive);
    this.announceDuration.since(start);
  }

  private scrape(conn: Conn, query: string, keepAlive: boolean): void {
    const { store, metrics } = this.options;
    let body: Buffer;
    try {
      const req = parseScrapeQuery(query, { maxScrapeHashes: MAX_SCRAPE_HASHES });
      if (req.infoHashes.length === 0)
        throw new ProtocolError('http.full-scrape', 'a scrape needs at least one info_hash');
      const counts = store.scrape(req.infoHashes);
      body = encodeHttpScrapeResponse({
        files: counts.map((c, i) => ({
          infoHash: req.infoHashes[i],
          complete: c.seeders,
          downloaded: c.completed,
          incomplete: c.leechers,
        })),
      });
      metrics.scrape('http');
    } catch (err) {
      body = this.failure(err);
    }
    respond(conn, 200, body, keepAlive);
  }

  private failure(err: unknown): Buffer {
    if (err instanceof ProtocolError) {
      this.options.metrics.error('http', err.code);
      return encodeHttpFailure(err.message.replace(/^http tracker: /, ''));
    }
    if (err instanceof StoreFullError) {
      this.options.metrics.error('http', 'full');
      return encodeHttpFailure(err.message, 60);
    }
    this.options.metrics.error('http', 'internal');
    this.options.logger.error({ err }, 'HTTP tracker request failed');
    return encodeHttpFailure('internal error');
  }
}

function dictPeers(buf: Buffer, ipLength: number, noPeerId: boolean): HttpPeer[] {
  const entry = ipLength + 22;
  const out: HttpPeer[] = [];
  for (let o = 0; o + entry <= buf.length; o += entry) {
    const peer: HttpPeer = {
      ip: bytesToIp(buf.subarray(o, o + ipLength)),
      port: buf.readUInt16BE(o + ipLength),
    };
    if (!noPeerId) peer.peerId = buf.subarray(o + ipLength + 2, o + entry);
    out.push(peer);
  }
  return out;
}
