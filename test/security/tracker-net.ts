/**
 * Raw-socket helpers for the tracker red-team tests: requests from a chosen loopback source
 * address (127.0.0.0/8 is all local on Linux, so 127.0.0.2 is "another host"), PROXY headers,
 * and a read of the tracker's own metrics.
 */
import { connect, type Socket } from 'node:net';
import { testing } from '@enjambre/tracker';
const { parseResponses, percentAll } = testing;

export const hash = (n: number): Buffer => Buffer.alloc(20, n);
export const peerId = (n: number): Buffer => Buffer.alloc(20, 100 + n);

/** The fields of a BEP 15 announce of a leecher that joins, bar the ids. */
export function udpAnnounce(info: Buffer, id: Buffer, port: number) {
  return {
    infoHash: info,
    peerId: id,
    downloaded: 0,
    left: 1,
    uploaded: 0,
    event: 'started' as const,
    ip: 0,
    key: 0,
    numWant: -1,
    port,
  };
}

export function announcePath(
  info: Buffer,
  id: Buffer,
  port: number,
  extra = '&left=100&event=started',
): string {
  return `/announce?info_hash=${percentAll(info)}&peer_id=${percentAll(id)}&port=${port}&uploaded=0&downloaded=0${extra}`;
}

/** Opens a TCP connection to 127.0.0.1:port from `from`; resolves once connected. */
export function open(port: number, from = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress: from });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Sends `data` on a fresh connection from `from` and resolves with the first response. */
export async function request(
  port: number,
  data: Buffer | string,
  from = '127.0.0.1',
): Promise<{ status: number; body: Buffer } | null> {
  const socket = await open(port, from);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const done = (): void => {
      socket.destroy();
      resolve(parseResponses(Buffer.concat(chunks))[0] ?? null);
    };
    socket.setTimeout(5000, done);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', done);
    socket.on('error', done);
    socket.write(data);
  });
}

export function get(port: number, path: string, from = '127.0.0.1', headers = '') {
  return request(
    port,
    `GET ${path} HTTP/1.1\r\nHost: tracker\r\n${headers}Connection: close\r\n\r\n`,
    from,
  );
}

/** Resolves when the server closes `socket` (true), or false if it is still open after ms. */
export function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** A PROXY protocol v2 header for a TCP over IPv4 connection from `ip`. */
export function proxyV2(ip: readonly number[]): Buffer {
  return Buffer.concat([
    Buffer.from('0d0a0d0a000d0a515549540a', 'hex'),
    Buffer.from([0x21, 0x11, 0, 12, ...ip, 127, 0, 0, 1, 0x30, 0x39, 0x1b, 0x39]),
  ]);
}

/** The value of one series in the tracker's /metrics text (0 when absent). */
export async function metric(metricsPort: number, series: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  const text = await res.text();
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}
