/**
 * Helpers for tests that drive a real tracker over real sockets (this package's tests and the
 * cross-package interop tests). Nothing here is used by the tracker itself.
 */
import { createSocket } from 'node:dgram';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { credentials, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import {
  TrackerClient,
  type AnnounceManyRequest,
  type AnnounceManyResponse,
  type AnnounceRequest,
  type AnnounceResponse,
  type ListTorrentsRequest,
  type ListTorrentsResponse,
  type PublishRequest,
  type PublishResponse,
  type ScrapeRequest,
  type ScrapeResponse,
  type WithdrawRequest,
  type WithdrawResponse,
} from '@enjambre/proto';
import {
  UdpAction,
  decodeUdpResponse,
  encodeUdpAnnounceRequest,
  encodeUdpConnectRequest,
  encodeUdpScrapeRequest,
  type UdpAnnounceRequestInit,
  type UdpResponse,
} from '@enjambre/bittorrent';
import { startTracker, type RunningTracker, type TrackerOptions } from './tracker';

/** A tracker on free 127.0.0.1 ports, logging nothing. */
export function startTestTracker(options: TrackerOptions = {}): Promise<RunningTracker> {
  return startTracker({
    ip: '127.0.0.1',
    grpcPort: 0,
    httpPort: 0,
    udpPort: 0,
    metricsPort: 0,
    logLevel: 'silent',
    ...options,
  });
}

/** Sends raw bytes over TCP (or TLS) and resolves with everything received until the server
 * closes the connection (or `idleMs` passes without data). */
export function rawRequest(
  port: number,
  data: Buffer | string,
  options: { tls?: boolean; idleMs?: number } = {},
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = options.tls
      ? tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false })
      : netConnect({ port, host: '127.0.0.1' });
    const finish = (): void => {
      socket.destroy();
      resolve(Buffer.concat(chunks));
    };
    socket.setTimeout(options.idleMs ?? 3000, finish);
    socket.on(options.tls ? 'secureConnect' : 'connect', () => socket.write(data));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', finish);
    socket.on('error', (err) => (chunks.length > 0 ? finish() : reject(err)));
  });
}

/** Splits a raw HTTP/1.1 response stream into responses (status and body). */
export function parseResponses(
  raw: Buffer,
): Array<{ status: number; headers: string; body: Buffer }> {
  const out: Array<{ status: number; headers: string; body: Buffer }> = [];
  let o = 0;
  while (o < raw.length) {
    const end = raw.indexOf('\r\n\r\n', o);
    if (end < 0) break;
    const headers = raw.toString('latin1', o, end);
    const status = Number(headers.slice(9, 12));
    const length = Number(/content-length: (\d+)/i.exec(headers)?.[1] ?? 0);
    out.push({ status, headers, body: raw.subarray(end + 4, end + 4 + length) });
    o = end + 4 + length;
  }
  return out;
}

/** GET `path` on the HTTP tracker; resolves with the status and body of the answer. */
export async function httpGet(
  port: number,
  path: string,
  options: { tls?: boolean; headers?: string } = {},
): Promise<{ status: number; body: Buffer }> {
  const raw = await rawRequest(
    port,
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${options.headers ?? ''}Connection: close\r\n\r\n`,
    options,
  );
  const [res] = parseResponses(raw);
  if (res === undefined) throw new Error(`no HTTP response: ${raw.toString('latin1')}`);
  return res;
}

/** Percent-encodes every byte (the form most clients use for info_hash and peer_id). */
export function percentAll(b: Buffer): string {
  let s = '';
  for (const c of b) s += '%' + c.toString(16).padStart(2, '0');
  return s;
}

/** A BEP 15 client on one socket. */
export class UdpTestClient {
  private readonly socket = createSocket('udp4');
  private connectionId: Buffer | null = null;
  private nextTransaction = 1;

  constructor(
    readonly port: number,
    readonly host = '127.0.0.1',
  ) {}

  /** Sends a packet and resolves with the next packet received (or null after timeoutMs). */
  send(packet: Buffer, timeoutMs = 2000): Promise<Buffer | null> {
    return new Promise((resolve) => {
      const onMessage = (msg: Buffer): void => {
        clearTimeout(timer);
        resolve(msg);
      };
      const timer = setTimeout(() => {
        this.socket.off('message', onMessage);
        resolve(null);
      }, timeoutMs);
      this.socket.once('message', onMessage);
      this.socket.send(packet, this.port, this.host);
    });
  }

  async request(packet: Buffer): Promise<UdpResponse> {
    const reply = await this.send(packet);
    if (reply === null) throw new Error('no UDP reply');
    return decodeUdpResponse(reply);
  }

  async connect(): Promise<Buffer> {
    const r = await this.request(encodeUdpConnectRequest(this.nextTransaction++));
    if (r.action !== 'connect') throw new Error(`connect failed: ${JSON.stringify(r)}`);
    this.connectionId = r.connectionId;
    return r.connectionId;
  }

  async announce(
    req: Omit<UdpAnnounceRequestInit, 'connectionId' | 'transactionId'> & { connectionId?: Buffer },
  ): Promise<UdpResponse> {
    const connectionId = req.connectionId ?? this.connectionId ?? (await this.connect());
    return this.request(
      encodeUdpAnnounceRequest({ ...req, connectionId, transactionId: this.nextTransaction++ }),
    );
  }

  async scrape(infoHashes: Buffer[], connectionId?: Buffer): Promise<UdpResponse> {
    const id = connectionId ?? this.connectionId ?? (await this.connect());
    return this.request(encodeUdpScrapeRequest(id, this.nextTransaction++, infoHashes));
  }

  close(): void {
    this.socket.close();
  }
}

export { UdpAction };

type Signed = 'publisherKey' | 'signedAtMs' | 'signature';

/** A promise-returning gRPC client of the Tracker service. */
export function trackerClient(
  port: number,
  creds: ChannelCredentials = credentials.createInsecure(),
  options: Record<string, string | number> = {},
) {
  const client = new TrackerClient(`127.0.0.1:${port}`, creds, options);
  const done =
    <T>(resolve: (v: T) => void, reject: (e: Error) => void) =>
    (err: ServiceError | null, res: T): void =>
      err ? reject(err) : resolve(res);
  return {
    raw: client,
    /** A Publish; the signature fields default to none (an address-owned entry). */
    publish: (req: Omit<PublishRequest, Signed> & Partial<Pick<PublishRequest, Signed>>) =>
      new Promise<PublishResponse>((res, rej) =>
        client.publish(
          { publisherKey: Buffer.alloc(0), signedAtMs: 0, signature: Buffer.alloc(0), ...req },
          done(res, rej),
        ),
      ),
    withdraw: (req: Omit<WithdrawRequest, Signed> & Partial<Pick<WithdrawRequest, Signed>>) =>
      new Promise<WithdrawResponse>((res, rej) =>
        client.withdraw(
          { publisherKey: Buffer.alloc(0), signedAtMs: 0, signature: Buffer.alloc(0), ...req },
          done(res, rej),
        ),
      ),
    announce: (req: AnnounceRequest) =>
      new Promise<AnnounceResponse>((res, rej) => client.announce(req, done(res, rej))),
    announceMany: (req: AnnounceManyRequest) =>
      new Promise<AnnounceManyResponse>((res, rej) => client.announceMany(req, done(res, rej))),
    scrape: (req: ScrapeRequest) =>
      new Promise<ScrapeResponse>((res, rej) => client.scrape(req, done(res, rej))),
    listTorrents: (req: ListTorrentsRequest) =>
      new Promise<ListTorrentsResponse>((res, rej) => client.listTorrents(req, done(res, rej))),
    close: () => client.close(),
  };
}
