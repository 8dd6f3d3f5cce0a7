import dgram from 'node:dgram';
import dns from 'node:dns/promises';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import {
  decodeUdpResponse,
  encodeUdpAnnounceRequest,
  encodeUdpConnectRequest,
  encodeUdpScrapeRequest,
  type UdpResponse,
} from '@enjambre/bittorrent';
import type { AnnounceRequest, AnnounceResult, ScrapeResult, TrackerClient } from './client';

/** BEP 15: a connection id stays valid for a minute. */
const CONNECTION_ID_TTL_MS = 60_000;

export interface UdpTrackerOptions {
  /** First retransmission timeout (BEP 15: 15 s, doubling). */
  baseTimeoutMs?: number;
  /** Retransmissions before giving up (BEP 15 allows up to 8). */
  maxRetries?: number;
}

/** BEP 15 UDP tracker client: connect, cache the connection id, announce/scrape with retries. */
export class UdpTrackerClient implements TrackerClient {
  private readonly host: string;
  private readonly port: number;
  private readonly urlData: string;
  private connId?: { id: Buffer; at: number };
  private socket?: dgram.Socket;
  private readonly pending = new Map<number, (r: UdpResponse) => void>();
  private family: 4 | 6 = 4;
  private readonly baseTimeout: number;
  private readonly maxRetries: number;

  constructor(url: string, opts: UdpTrackerOptions = {}) {
    const u = new URL(url);
    if (u.protocol !== 'udp:' || !u.port) throw new Error(`bad UDP tracker URL ${url}`);
    this.host = u.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(u.port);
    this.urlData = u.pathname === '/' && !u.search ? '' : u.pathname + u.search;
    this.baseTimeout = opts.baseTimeoutMs ?? 5_000;
    this.maxRetries = opts.maxRetries ?? 2;
  }

  async announce(req: AnnounceRequest, signal: AbortSignal): Promise<AnnounceResult> {
    const res = await this.withConnection(signal, (connectionId, tid) =>
      encodeUdpAnnounceRequest({
        connectionId,
        transactionId: tid,
        infoHash: req.infoHash,
        peerId: req.peerId,
        downloaded: req.downloaded,
        left: req.left,
        uploaded: req.uploaded,
        event: req.event,
        ip: 0,
        key: req.key >>> 0,
        numWant: req.numwant,
        port: req.port,
        urlData: this.urlData || undefined,
      }),
    );
    if (res.action !== 'announce') throw new Error('unexpected UDP tracker answer');
    return {
      interval: res.interval,
      peers: res.peers.map((p) => ({ host: p.ip, port: p.port })),
      seeders: res.seeders,
      leechers: res.leechers,
    };
  }

  async scrape(infoHash: Buffer, signal: AbortSignal): Promise<ScrapeResult> {
    const res = await this.withConnection(signal, (cid, tid) =>
      encodeUdpScrapeRequest(cid, tid, [infoHash]),
    );
    if (res.action !== 'scrape' || res.files.length !== 1)
      throw new Error('unexpected UDP tracker answer');
    const f = res.files[0];
    return { seeders: f.complete, leechers: f.incomplete, completed: f.downloaded };
  }

  close(): void {
    this.socket?.close();
    this.socket = undefined;
  }

  private async withConnection(
    signal: AbortSignal,
    build: (connectionId: Buffer, tid: number) => Buffer,
  ): Promise<UdpResponse> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const cid = await this.connectionId(signal);
      const res = await this.exchange((tid) => build(cid, tid), signal);
      if (res.action === 'error') {
        // an expired connection id gets an error: reconnect once
        this.connId = undefined;
        if (attempt === 0 && /connection/i.test(res.message)) continue;
        throw new Error(`tracker says: ${res.message}`);
      }
      return res;
    }
    throw new Error('UDP tracker keeps refusing our connection id');
  }

  private async connectionId(signal: AbortSignal): Promise<Buffer> {
    if (this.connId && Date.now() - this.connId.at < CONNECTION_ID_TTL_MS) return this.connId.id;
    const res = await this.exchange((tid) => encodeUdpConnectRequest(tid), signal);
    if (res.action === 'error') throw new Error(`tracker says: ${res.message}`);
    if (res.action !== 'connect') throw new Error('unexpected UDP tracker answer to connect');
    this.connId = { id: res.connectionId, at: Date.now() };
    return res.connectionId;
  }

  private async ensureSocket(): Promise<{ socket: dgram.Socket; address: string }> {
    const address = net.isIP(this.host) ? this.host : (await dns.lookup(this.host)).address;
    if (!this.socket) {
      this.family = net.isIPv6(address) ? 6 : 4;
      const s = dgram.createSocket(this.family === 6 ? 'udp6' : 'udp4');
      s.unref();
      s.on('message', (msg) => {
        try {
          const res = decodeUdpResponse(msg, this.family);
          const cb = this.pending.get(res.transactionId);
          if (cb) {
            this.pending.delete(res.transactionId);
            cb(res);
          }
        } catch {
          // garbage datagram: ignore it
        }
      });
      s.on('error', () => this.close());
      this.socket = s;
    }
    return { socket: this.socket, address };
  }

  /** Sends a request and waits for its answer, retransmitting with BEP 15 backoff. */
  private async exchange(
    build: (tid: number) => Buffer,
    signal: AbortSignal,
  ): Promise<UdpResponse> {
    const { socket, address } = await this.ensureSocket();
    const tid = randomBytes(4).readUInt32BE(0);
    const packet = build(tid);
    return new Promise<UdpResponse>((resolve, reject) => {
      let attempt = 0;
      let timer: NodeJS.Timeout;
      const finish = (err?: Error, res?: UdpResponse) => {
        clearTimeout(timer);
        this.pending.delete(tid);
        signal.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(res!);
      };
      const onAbort = () => finish(new Error('timed out'));
      const send = () => {
        socket.send(packet, this.port, address, (err) => err && finish(err));
        timer = setTimeout(
          () => {
            if (++attempt > this.maxRetries) finish(new Error('no answer from UDP tracker'));
            else send();
          },
          this.baseTimeout * 2 ** attempt,
        );
      };
      this.pending.set(tid, (res) => finish(undefined, res));
      signal.addEventListener('abort', onAbort);
      send();
    });
  }
}
