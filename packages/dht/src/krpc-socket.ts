/**
 * One UDP socket speaking KRPC: outgoing queries matched to their answers by transaction id,
 * with timeouts and a bound on queries in flight; incoming datagrams rate-limited per source IP,
 * decoded, and handed to the node as queries. Counts everything it drops.
 */
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import {
  decodeKrpc,
  encodeError,
  encodeQuery,
  encodeResponse,
  KrpcError,
  KRPC_PROTOCOL_ERROR,
  type KrpcMethod,
  type KrpcQuery,
  type KrpcResponse,
  type PeerAddress,
  type QueryArgs,
  type ResponseBody,
} from '@enjambre/bittorrent';
import { AddressLimiter } from './address-limiter';

export const QUERY_TIMEOUT_MS = 4000;
export const MAX_IN_FLIGHT = 1024;
/** Our KRPC client version ("v"): two letters and a version, as BEP 20 suggests. */
export const KRPC_VERSION = Buffer.from([0x45, 0x4a, 0x01, 0x00]); // "EJ" 1.0

export interface SocketCounters {
  packetsIn: number;
  packetsOut: number;
  queriesIn: number;
  queriesOut: number;
  responsesIn: number;
  errorsIn: number;
  timeouts: number;
  droppedMalformed: number;
  droppedRateLimited: number;
  droppedUnknownTransaction: number;
  droppedBusy: number;
}

export class QueryError extends Error {
  constructor(
    readonly reason: 'timeout' | 'remote-error' | 'busy' | 'closed' | 'send-failed',
    message: string,
    readonly remoteCode?: number,
  ) {
    super(message);
    this.name = 'QueryError';
  }
}

export interface Answer {
  response: KrpcResponse;
  from: PeerAddress;
}

interface Pending {
  ip: string;
  port: number;
  resolve: (a: Answer) => void;
  reject: (e: QueryError) => void;
  timer: NodeJS.Timeout;
}

export interface KrpcSocketOptions {
  /** Address to bind; undefined: dual-stack `::` when the system has IPv6, else `0.0.0.0`. */
  host?: string;
  port: number;
  readOnly: boolean;
  /** Per source IP: packets per second and burst. */
  rateLimit?: { rate: number; burst: number };
  queryTimeoutMs?: number;
}

export interface KrpcSocketEvents {
  query: [query: KrpcQuery, from: PeerAddress];
}

/** '::ffff:1.2.3.4' → '1.2.3.4'. */
export function plainAddress(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

export class KrpcSocket extends EventEmitter<KrpcSocketEvents> {
  readonly counters: SocketCounters = {
    packetsIn: 0,
    packetsOut: 0,
    queriesIn: 0,
    queriesOut: 0,
    responsesIn: 0,
    errorsIn: 0,
    timeouts: 0,
    droppedMalformed: 0,
    droppedRateLimited: 0,
    droppedUnknownTransaction: 0,
    droppedBusy: 0,
  };
  private socket?: dgram.Socket;
  private dualStack = false;
  private readonly pending = new Map<string, Pending>();
  private readonly limiter: AddressLimiter;
  private readonly timeoutMs: number;
  private closed = false;

  constructor(private readonly opts: KrpcSocketOptions) {
    super();
    this.limiter = new AddressLimiter({ ...(opts.rateLimit ?? { rate: 20, burst: 100 }) });
    this.timeoutMs = opts.queryTimeoutMs ?? QUERY_TIMEOUT_MS;
  }

  async bind(): Promise<void> {
    const host = this.opts.host;
    if (host === undefined) {
      try {
        this.socket = await this.open('udp6', '::', false);
        this.dualStack = true;
        return;
      } catch {
        // no IPv6 on this system: IPv4 only
      }
    }
    const h = host ?? '0.0.0.0';
    this.socket = await this.open(h.includes(':') ? 'udp6' : 'udp4', h, true);
  }

  private open(type: 'udp4' | 'udp6', host: string, ipv6Only: boolean): Promise<dgram.Socket> {
    return new Promise((resolve, reject) => {
      const s = dgram.createSocket({ type, ipv6Only: type === 'udp6' ? ipv6Only : undefined });
      s.once('error', (err) => {
        s.close();
        reject(err);
      });
      s.bind(this.opts.port, host, () => {
        s.removeAllListeners('error');
        s.on('error', () => undefined); // send errors are reported per send
        s.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
        resolve(s);
      });
    });
  }

  address(): { ip: string; port: number; family: 4 | 6; dualStack: boolean } {
    const a = this.socket!.address();
    return {
      ip: a.address,
      port: a.port,
      family: a.family === 'IPv6' ? 6 : 4,
      dualStack: this.dualStack,
    };
  }

  /** Whether we can reach addresses of this family. */
  canReach(ip: string): boolean {
    if (!this.socket) return false;
    const v6 = ip.includes(':');
    return this.dualStack || (this.address().family === 6) === v6;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  query(to: PeerAddress, method: KrpcMethod, args: QueryArgs): Promise<Answer> {
    if (this.closed || !this.socket)
      return Promise.reject(new QueryError('closed', 'socket closed'));
    if (this.pending.size >= MAX_IN_FLIGHT) {
      this.counters.droppedBusy++;
      return Promise.reject(new QueryError('busy', 'too many queries in flight'));
    }
    let t: Buffer;
    do t = randomBytes(2);
    while (this.pending.has(t.toString('hex')));
    const key = t.toString('hex');
    const packet = encodeQuery(t, method, args, {
      readOnly: this.opts.readOnly,
      version: KRPC_VERSION,
    });
    return new Promise<Answer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(key);
        this.counters.timeouts++;
        reject(new QueryError('timeout', `${method} to ${to.ip}:${to.port} timed out`));
      }, this.timeoutMs);
      this.pending.set(key, { ip: plainAddress(to.ip), port: to.port, resolve, reject, timer });
      this.counters.queriesOut++;
      this.send(packet, to, (err) => {
        if (!err) return;
        clearTimeout(timer);
        this.pending.delete(key);
        reject(new QueryError('send-failed', err.message));
      });
    });
  }

  respond(to: PeerAddress, t: Buffer, body: ResponseBody): void {
    this.send(
      encodeResponse(t, body, {
        ip: { ip: plainAddress(to.ip), port: to.port },
        version: KRPC_VERSION,
      }),
      to,
    );
  }

  error(to: PeerAddress, t: Buffer, code: number, message: string): void {
    this.send(
      encodeError(t, code, message, { ip: { ip: plainAddress(to.ip), port: to.port } }),
      to,
    );
  }

  /** Sends raw bytes (used by tests and by nothing else). */
  sendRaw(packet: Buffer, to: PeerAddress): void {
    this.send(packet, to);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new QueryError('closed', 'socket closed'));
    }
    this.pending.clear();
    return new Promise((resolve) => (this.socket ? this.socket.close(() => resolve()) : resolve()));
  }

  private send(packet: Buffer, to: PeerAddress, cb?: (err: Error | null) => void): void {
    if (this.closed || !this.socket) return cb?.(new Error('socket closed'));
    const ip = this.dualStack && !to.ip.includes(':') ? `::ffff:${to.ip}` : to.ip;
    this.counters.packetsOut++;
    try {
      this.socket.send(packet, to.port, ip, (err) => cb?.(err ?? null));
    } catch (err) {
      cb?.(err as Error);
    }
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    this.counters.packetsIn++;
    const from = { ip: plainAddress(rinfo.address), port: rinfo.port };
    if (!this.limiter.allow(from.ip, Date.now())) {
      this.counters.droppedRateLimited++;
      return;
    }
    let m;
    try {
      m = decodeKrpc(msg);
    } catch (err) {
      this.counters.droppedMalformed++;
      if (err instanceof KrpcError && err.wasQuery && err.transactionId && !this.opts.readOnly) {
        this.error(from, err.transactionId, KRPC_PROTOCOL_ERROR, err.message);
      }
      return;
    }
    if (m.type === 'query') {
      this.counters.queriesIn++;
      this.emit('query', m, from);
      return;
    }
    const key = m.t.toString('hex');
    const p = this.pending.get(key);
    // an answer must come from where the query went, or anyone could answer for anyone
    if (!p || p.ip !== from.ip || p.port !== from.port) {
      this.counters.droppedUnknownTransaction++;
      return;
    }
    this.pending.delete(key);
    clearTimeout(p.timer);
    if (m.type === 'error') {
      this.counters.errorsIn++;
      p.reject(new QueryError('remote-error', `KRPC error ${m.code}: ${m.message}`, m.code));
      return;
    }
    this.counters.responsesIn++;
    p.resolve({ response: m, from });
  }
}
