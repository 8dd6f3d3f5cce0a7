import { createSocket, type Socket } from 'node:dgram';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import pino from 'pino';
import {
  decodeUdpResponse,
  encodeUdpAnnounceRequest,
  encodeUdpConnectRequest,
  type UdpResponse,
} from '@enjambre/bittorrent';
import { TrackerMetrics } from '../metrics';
import { MemorySwarmStore } from '../store/memory';
import { loadNativeUdp } from './mmsg';
import { UdpTracker, type UdpTrackerOptions } from './server';

const MISSING = '/nonexistent/udp_mmsg.node';
const opened: UdpTracker[] = [];
const sockets: Socket[] = [];

afterAll(async () => {
  for (const s of sockets) s.close();
  await Promise.all(opened.map((t) => t.close()));
});

/** A tracker on (host, port 0) whose log lines are collected in `lines`. */
async function listen(over: Partial<UdpTrackerOptions>, lines: string[] = []): Promise<UdpTracker> {
  const store = new MemorySwarmStore();
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const t = await UdpTracker.listen({
    host: '127.0.0.1',
    port: 0,
    store,
    metrics: new TrackerMetrics(store, { defaultMetrics: false }),
    logger: pino({ level: 'info' }, sink),
    ...over,
  });
  opened.push(t);
  return t;
}

async function client(type: 'udp4' | 'udp6'): Promise<Socket> {
  const s = createSocket({ type, ipv6Only: type === 'udp6' });
  sockets.push(s);
  await new Promise<void>((r) => s.bind(0, type === 'udp6' ? '::1' : '127.0.0.1', r));
  return s;
}

function exchange(s: Socket, packet: Buffer, port: number, host: string): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      s.off('message', onMessage);
      resolve(null);
    }, 1000);
    const onMessage = (msg: Buffer): void => {
      clearTimeout(timer);
      resolve(msg);
    };
    s.once('message', onMessage);
    s.send(packet, port, host);
  });
}

async function connectAndAnnounce(s: Socket, port: number, host: string): Promise<UdpResponse> {
  const c = await exchange(s, encodeUdpConnectRequest(1), port, host);
  if (c === null) throw new Error('no connect reply');
  const connected = decodeUdpResponse(c);
  if (connected.action !== 'connect') throw new Error(`connect got ${connected.action}`);
  const a = await exchange(
    s,
    encodeUdpAnnounceRequest({
      connectionId: connected.connectionId,
      transactionId: 2,
      infoHash: Buffer.alloc(20, 1),
      peerId: Buffer.alloc(20, s.address().port & 0xff),
      downloaded: 0,
      left: 10,
      uploaded: 0,
      event: 'started',
      ip: 0,
      key: 1,
      numWant: -1,
      port: s.address().port,
    }),
    port,
    host,
  );
  if (a === null) throw new Error('no announce reply');
  return decodeUdpResponse(a);
}

describe('batched UDP I/O (recvmmsg/sendmmsg addon)', () => {
  it('is built (npm ci / npm run build) and loads', () => {
    const addon = loadNativeUdp();
    expect(addon).not.toBeInstanceOf(Error);
  });

  it('falls back to dgram with one log line when the addon is missing (auto)', async () => {
    const lines: string[] = [];
    const t = await listen({ io: 'auto', addonFile: MISSING }, lines);
    expect(t.io).toBe('dgram');
    expect(lines.filter((l) => l.includes('using dgram'))).toHaveLength(1);
    const r = await connectAndAnnounce(await client('udp4'), t.port, '127.0.0.1');
    expect(r.action).toBe('announce');
  });

  it('refuses to start when mmsg is asked for and the addon is missing', async () => {
    await expect(listen({ io: 'mmsg', addonFile: MISSING })).rejects.toThrow(/unavailable/);
  });

  it('auto picks the addon, and dgram when worker processes share the socket', async () => {
    expect((await listen({ io: 'auto' })).io).toBe('mmsg');
    await expect(listen({ io: 'mmsg', workers: 1 })).rejects.toThrow(/workers/);
  });

  it('reports a busy port as an error', async () => {
    const t = await listen({ io: 'mmsg' });
    await expect(listen({ io: 'mmsg', port: t.port })).rejects.toThrow(/EADDRINUSE|in use/);
  });

  it('answers IPv4 and IPv6 clients on a dual-stack socket, each under its own address', async () => {
    const t = await listen({ io: 'mmsg', host: '::' });
    const v4 = await client('udp4');
    const v6 = await client('udp6');
    const r4 = await connectAndAnnounce(v4, t.port, '127.0.0.1');
    const r6 = await connectAndAnnounce(v6, t.port, '::1');
    if (r4.action !== 'announce' || r6.action !== 'announce') throw new Error('no announce');
    // Same torrent, but each family is only given peers of its own family.
    expect(r4.leechers).toBe(1);
    expect(r6.leechers).toBe(2);
    expect(r6.peers).toEqual([]);
  });

  it('survives hostile datagrams of any length (short, cut, oversized) and keeps answering', async () => {
    const t = await listen({ io: 'mmsg', host: '::' });
    const v4 = await client('udp4');
    const v6 = await client('udp6');
    const header = Buffer.from('0000041727101980', 'hex');
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            v6: fc.boolean(),
            // Valid-looking headers (connect/announce/scrape/unknown) followed by junk, or junk.
            head: fc.oneof(
              fc.constant(Buffer.alloc(0)),
              fc.integer({ min: 0, max: 5 }).map((action) => {
                const b = Buffer.alloc(16);
                header.copy(b);
                b.writeUInt32BE(action, 8);
                return b;
              }),
            ),
            body: fc.oneof(
              fc.uint8Array({ maxLength: 120 }),
              fc.integer({ min: 1400, max: 9000 }).map((n) => new Uint8Array(n).fill(0x41)),
            ),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        async (packets) => {
          for (const p of packets) {
            const bytes = Buffer.concat([p.head, p.body]);
            if (p.v6) v6.send(bytes, t.port, '::1');
            else v4.send(bytes, t.port, '127.0.0.1');
          }
          // The socket still answers both families afterwards.
          const fresh = await client('udp4');
          expect((await connectAndAnnounce(fresh, t.port, '127.0.0.1')).action).toBe('announce');
        },
      ),
      { numRuns: 25 },
    );
    // A datagram far bigger than a receive slot (cut by the kernel) is dropped, not answered.
    expect(await exchange(v4, Buffer.alloc(60_000, 1), t.port, '127.0.0.1')).toBeNull();
  });

  it('answers bursts bigger than one batch, every request once, to its sender', async () => {
    const t = await listen({ io: 'mmsg' });
    const a = await client('udp4');
    const b = await client('udp4');
    // Waves of 2 x 100 (more than the 64 slots of a batch, little enough for the default
    // socket buffers, so nothing is lost on the way: UDP may drop under a real flood).
    for (let wave = 0; wave < 3; wave++) {
      const answers = (s: Socket, base: number) =>
        new Promise<Set<number>>((resolve) => {
          const seen = new Set<number>();
          const onMessage = (msg: Buffer): void => {
            const r = decodeUdpResponse(msg);
            if (r.action === 'connect') seen.add(r.transactionId);
            if (seen.size === 100) {
              s.off('message', onMessage);
              resolve(seen);
            }
          };
          s.on('message', onMessage);
          for (let i = 0; i < 100; i++)
            s.send(encodeUdpConnectRequest(base + i), t.port, '127.0.0.1');
        });
      const [fromA, fromB] = await Promise.all([answers(a, 0), answers(b, 1000)]);
      expect(Math.min(...fromA)).toBe(0);
      expect(Math.min(...fromB)).toBe(1000);
    }
  });
});
