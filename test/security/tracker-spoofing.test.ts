// Red team, tracker addresses: nobody can announce, stop or complete in another host's name over
// gRPC, HTTP or UDP, and forwarded addresses count only from configured proxies.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { Metadata } from '@grpc/grpc-js';
import { AnnounceEvent, type AnnounceRequest } from '@enjambre/proto';
import {
  decodeHttpAnnounceResponse,
  decodeUdpResponse,
  encodeUdpAnnounceRequest,
  encodeUdpConnectRequest,
} from '@enjambre/bittorrent';
import type { RunningTracker, TrackerOptions } from '@enjambre/tracker';
import { testing } from '@enjambre/tracker';
import { announcePath, get, hash, peerId, proxyV2, request, udpAnnounce } from './tracker-net';

const { startTestTracker, trackerClient } = testing;

const trackers: RunningTracker[] = [];
const clients: Array<{ close(): void }> = [];
afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all(trackers.map((t) => t.close()));
});

async function tracker(options: TrackerOptions = {}): Promise<RunningTracker> {
  const t = await startTestTracker(options);
  trackers.push(t);
  return t;
}

function grpc(t: RunningTracker) {
  const c = trackerClient(t.grpcPort);
  clients.push(c);
  return c;
}

const base = (over: Partial<AnnounceRequest>): AnnounceRequest => ({
  infoHash: hash(1),
  peerId: peerId(1),
  event: AnnounceEvent.ANNOUNCE_EVENT_STARTED,
  uploaded: 0,
  downloaded: 0,
  left: 100,
  port: 7001,
  ip: '',
  ...over,
});

/** Addresses (ip:port) a fresh leecher is handed for `info`: what the tracker recorded. */
async function recorded(t: RunningTracker, info: Buffer): Promise<string[]> {
  const c = grpc(t);
  const r = await c.announce(
    base({ infoHash: info, peerId: peerId(99), port: 9999, numwant: 200 }),
  );
  await c.announce(
    base({
      infoHash: info,
      peerId: peerId(99),
      port: 9999,
      event: AnnounceEvent.ANNOUNCE_EVENT_STOPPED,
    }),
  );
  return r.peers.map((p) => `${p.address}:${p.port}`).sort();
}

describe('gRPC announces record the sender', () => {
  it('records the real address for a foreign ip field by default', async () => {
    const t = await tracker();
    const c = grpc(t);
    await c.announce(base({ ip: '203.0.113.5' }));
    await c.publish({
      infoHash: hash(2),
      peerId: peerId(2),
      ip: '198.51.100.9',
      port: 7002,
      name: 'x',
      totalSize: 1,
      fileCount: 1,
    });
    expect(await recorded(t, hash(1))).toEqual(['127.0.0.1:7001']);
    expect(await recorded(t, hash(2))).toEqual(['127.0.0.1:7002']);
  });

  it('honours the ip field only with allowIpParam', async () => {
    const t = await tracker({ allowIpParam: true });
    await grpc(t).announce(base({ ip: '203.0.113.5' }));
    expect(await recorded(t, hash(1))).toEqual(['203.0.113.5:7001']);
  });

  it('a stopped or completed from another address leaves the original record alone', async () => {
    const t = await tracker();
    const port = t.httpPort as number;
    // The victim, 127.0.0.2, announces over HTTP.
    const ok = await get(port, announcePath(hash(3), peerId(3), 7003), '127.0.0.2');
    expect(decodeHttpAnnounceResponse(ok!.body).failureReason).toBeUndefined();
    // The attacker, 127.0.0.1, names the victim over gRPC (ip field) and over HTTP (ip param).
    const c = grpc(t);
    const victim = { infoHash: hash(3), peerId: peerId(3), port: 7003, ip: '127.0.0.2' };
    await c.announce(base({ ...victim, event: AnnounceEvent.ANNOUNCE_EVENT_STOPPED }));
    await get(port, announcePath(hash(3), peerId(3), 7003, '&left=100&event=stopped&ip=127.0.0.2'));
    await get(port, announcePath(hash(3), peerId(3), 7003, '&left=0&event=stopped'), '127.0.0.3');
    await c.announce(base({ ...victim, left: 0, event: AnnounceEvent.ANNOUNCE_EVENT_COMPLETED }));
    const list = await recorded(t, hash(3));
    expect(list).toContain('127.0.0.2:7003');
    const [counts] = (await c.scrape({ infoHashes: [hash(3)] })).entries;
    expect(counts.incomplete).toBe(1);
    // The attacker's own completed record is its own (127.0.0.1), and the victim can still leave.
    await get(port, announcePath(hash(3), peerId(3), 7003, '&left=100&event=stopped'), '127.0.0.2');
    expect((await c.scrape({ infoHashes: [hash(3)] })).entries[0].incomplete).toBe(0);
  });
});

describe('forwarded addresses', () => {
  it('X-Forwarded-For is ignored from untrusted peers and honoured from trusted ones', async () => {
    const t = await tracker({ trustedProxies: '127.0.0.2' });
    const port = t.httpPort as number;
    const xff = 'X-Forwarded-For: 192.0.2.66, 198.51.100.7\r\n';
    await get(port, announcePath(hash(4), peerId(1), 7001), '127.0.0.1', xff);
    await get(port, announcePath(hash(4), peerId(2), 7002), '127.0.0.2', xff);
    // A chain through two trusted hops: the rightmost untrusted entry is the client.
    await get(
      port,
      announcePath(hash(4), peerId(3), 7003),
      '127.0.0.2',
      'X-Forwarded-For: 192.0.2.66, 198.51.100.8, 127.0.0.2\r\n',
    );
    expect(await recorded(t, hash(4))).toEqual([
      '127.0.0.1:7001',
      '198.51.100.7:7002',
      '198.51.100.8:7003',
    ]);
  });

  it('the legacy trustProxy switch still works behind a private-range proxy', async () => {
    const t = await tracker({ trustProxy: true });
    await get(
      t.httpPort as number,
      announcePath(hash(5), peerId(1), 7001),
      '127.0.0.1',
      'X-Forwarded-For: 198.51.100.7, 203.0.113.9\r\n',
    );
    expect(await recorded(t, hash(5))).toEqual(['203.0.113.9:7001']);
  });

  it('the PROXY protocol (v1, v2) counts only from trusted peers', async () => {
    const t = await tracker({ trustedProxies: ['127.0.0.2/32'] });
    const port = t.httpPort as number;
    const req = (n: number): string =>
      `GET ${announcePath(hash(6), peerId(n), 7000 + n)} HTTP/1.1\r\nConnection: close\r\n\r\n`;
    const untrusted = await request(port, `PROXY TCP4 203.0.113.1 127.0.0.1 1 2\r\n${req(1)}`);
    expect(untrusted?.status).toBe(400);
    const v2 = await request(port, Buffer.concat([proxyV2([203, 0, 113, 1]), Buffer.from(req(2))]));
    expect(v2?.status).toBe(400);
    await request(port, `PROXY TCP4 203.0.113.3 127.0.0.1 1 2\r\n${req(3)}`, '127.0.0.2');
    await request(
      port,
      Buffer.concat([proxyV2([203, 0, 113, 4]), Buffer.from(req(4))]),
      '127.0.0.2',
    );
    // A trusted proxy may also send plain HTTP.
    await request(port, req(5), '127.0.0.2');
    expect(await recorded(t, hash(6))).toEqual([
      '127.0.0.2:7005',
      '203.0.113.3:7003',
      '203.0.113.4:7004',
    ]);
  });

  it('gRPC x-forwarded-for metadata counts only from trusted peers', async () => {
    const send = async (t: RunningTracker): Promise<string[]> => {
      const c = grpc(t);
      const md = new Metadata();
      md.set('x-forwarded-for', '198.51.100.7');
      await new Promise<void>((resolve, reject) =>
        c.raw.announce(base({ infoHash: hash(7) }), md, (err) => (err ? reject(err) : resolve())),
      );
      return recorded(t, hash(7));
    };
    expect(await send(await tracker())).toEqual(['127.0.0.1:7001']);
    expect(await send(await tracker({ trustedProxies: '127.0.0.0/8' }))).toEqual([
      '198.51.100.7:7001',
    ]);
  });
});

// Both UDP I/O paths: Node's dgram and the batched recvmmsg/sendmmsg addon.
describe.each(['dgram', 'mmsg'] as const)('UDP connection ids (%s)', (udpIo) => {
  let v4: UdpSocket;
  let v6: UdpSocket;
  afterAll(() => {
    v4?.close();
    v6?.close();
  });

  const exchange = (socket: UdpSocket, packet: Buffer, port: number, host: string) =>
    new Promise<ReturnType<typeof decodeUdpResponse>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no UDP reply')), 3000);
      socket.once('message', (msg) => {
        clearTimeout(timer);
        resolve(decodeUdpResponse(msg));
      });
      socket.send(packet, port, host);
    });

  it('an id got over IPv4 is refused over IPv6 from the same port', async () => {
    // Dual-stack on loopback only: the machine has no other interface.
    const t = await tracker({ ip: '::', udpIo });
    const port = t.udpPort as number;
    v4 = createSocket('udp4');
    await new Promise<void>((r) => v4.bind(0, '127.0.0.1', r));
    const clientPort = v4.address().port;
    v6 = createSocket({ type: 'udp6', ipv6Only: true });
    await new Promise<void>((r) => v6.bind(clientPort, '::1', r));
    const connected = await exchange(v4, encodeUdpConnectRequest(1), port, '127.0.0.1');
    if (connected.action !== 'connect') throw new Error('connect failed');
    const announce = encodeUdpAnnounceRequest({
      connectionId: connected.connectionId,
      transactionId: 2,
      ...udpAnnounce(hash(8), peerId(1), 7001),
    });
    const refused = await exchange(v6, announce, port, '::1');
    expect(refused.action).toBe('error');
    const accepted = await exchange(v4, announce, port, '127.0.0.1');
    expect(accepted.action).toBe('announce');
  });
});
