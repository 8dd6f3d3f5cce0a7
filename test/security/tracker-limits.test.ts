// Red team, tracker limits per address: connections, slow request heads, and announces per
// second shared by HTTP, UDP and gRPC, each refusal counted in /metrics.
import { AnnounceEvent } from '@enjambre/proto';
import { decodeHttpAnnounceResponse } from '@enjambre/bittorrent';
import type { RunningTracker, TrackerOptions } from '@enjambre/tracker';
import { testing } from '@enjambre/tracker';
import {
  announcePath,
  closedWithin,
  get,
  hash,
  metric,
  open,
  peerId,
  udpAnnounce,
} from './tracker-net';

const { UdpTestClient, startTestTracker, trackerClient } = testing;

let t: RunningTracker;
afterEach(async () => {
  await t?.close();
});

async function start(options: TrackerOptions): Promise<RunningTracker> {
  t = await startTestTracker(options);
  return t;
}

const refused = (protocol: string, reason: string): string =>
  `enjambre_tracker_refused_total{protocol="${protocol}",reason="${reason}"}`;

describe('HTTP connections per address', () => {
  it('refuses connections beyond the cap from one address, not from others', async () => {
    await start({ maxConnectionsPerIp: 3 });
    const port = t.httpPort as number;
    const held = await Promise.all([open(port), open(port), open(port)]);
    try {
      const extra = await open(port);
      expect(await closedWithin(extra, 5000)).toBe(true);
      // Another address is not affected, and the held ones still work.
      const other = await get(port, announcePath(hash(1), peerId(1), 7001), '127.0.0.2');
      expect(other?.status).toBe(200);
      expect(await metric(t.metricsPort as number, refused('http', 'connection_cap'))).toBe(1);
    } finally {
      for (const s of held) s.destroy();
    }
    // Closed connections free their places (once the tracker has seen them close).
    let again = null;
    for (let i = 0; i < 100 && again?.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 20));
      again = await get(port, announcePath(hash(1), peerId(2), 7002));
    }
    expect(again?.status).toBe(200);
  });
});

describe('HTTP request heads', () => {
  it('closes a connection whose head trickles in byte by byte (slowloris)', async () => {
    await start({ headTimeoutMs: 300, maxConnectionsPerIp: 0 });
    const socket = await open(t.httpPort as number);
    const head = `GET ${announcePath(hash(1), peerId(1), 7001)} HTTP/1.1\r\nX-Padding: ${'a'.repeat(4000)}`;
    // A byte every 20 ms: each one would reset an idle timer; the head deadline stays put.
    let sent = 0;
    const trickle = setInterval(() => {
      if (!socket.destroyed && sent < head.length) socket.write(head[sent++]);
    }, 20);
    try {
      expect(await closedWithin(socket, 20_000)).toBe(true);
      expect(sent).toBeLessThan(head.length);
      expect(await metric(t.metricsPort as number, refused('http', 'head_timeout'))).toBe(1);
    } finally {
      clearInterval(trickle);
      socket.destroy();
    }
  });

  it('keeps idle keep-alive connections that send whole requests', async () => {
    await start({ headTimeoutMs: 300 });
    const socket = await open(t.httpPort as number);
    const answers: Buffer[] = [];
    socket.on('data', (c: Buffer) => answers.push(c));
    socket.write(`GET ${announcePath(hash(1), peerId(1), 7001)} HTTP/1.1\r\n\r\n`);
    // Between requests no head is being read: the head deadline does not apply.
    expect(await closedWithin(socket, 1000)).toBe(false);
    socket.write(`GET ${announcePath(hash(1), peerId(2), 7002)} HTTP/1.1\r\n\r\n`);
    expect(await closedWithin(socket, 500)).toBe(false);
    expect(
      Buffer.concat(answers)
        .toString('latin1')
        .match(/HTTP\/1\.1 200/g),
    ).toHaveLength(2);
    socket.destroy();
  });
});

// UDP on both I/O paths: Node's dgram and the batched recvmmsg/sendmmsg addon.
describe.each(['dgram', 'mmsg'] as const)('announces per second per address (UDP %s)', (udpIo) => {
  it('one bucket for HTTP, UDP and gRPC; refusals counted by front end', async () => {
    // A rate so small no token comes back during the test: the burst is all there is.
    await start({ udpIo, announceRate: { rate: 0.0001, burst: 4 } });
    const port = t.httpPort as number;
    const results: string[] = [];
    for (let n = 0; n < 6; n++) {
      const res = await get(port, announcePath(hash(1), peerId(n), 7000 + n));
      results.push(decodeHttpAnnounceResponse(res!.body).failureReason ?? 'ok');
    }
    expect(results.filter((r) => r === 'ok')).toHaveLength(4);
    expect(results.filter((r) => /too many announces/.test(r))).toHaveLength(2);
    const udp = new UdpTestClient(t.udpPort as number);
    try {
      const r = await udp.announce(udpAnnounce(hash(1), peerId(9), 7009));
      expect(r.action).toBe('error');
    } finally {
      udp.close();
    }
    const grpc = trackerClient(t.grpcPort);
    try {
      await expect(
        grpc.announce({
          infoHash: hash(1),
          peerId: peerId(10),
          event: AnnounceEvent.ANNOUNCE_EVENT_STARTED,
          uploaded: 0,
          downloaded: 0,
          left: 1,
          port: 7010,
          ip: '',
        }),
      ).rejects.toMatchObject({ details: expect.stringMatching(/too many/) });
    } finally {
      grpc.close();
    }
    // Another address still has its own bucket.
    const other = await get(port, announcePath(hash(1), peerId(11), 7011), '127.0.0.2');
    expect(decodeHttpAnnounceResponse(other!.body).failureReason).toBeUndefined();
    const m = t.metricsPort as number;
    expect(await metric(m, refused('http', 'rate_limited'))).toBe(2);
    expect(await metric(m, refused('udp', 'rate_limited'))).toBe(1);
    expect(await metric(m, refused('grpc', 'rate_limited'))).toBe(1);
    expect(t.store.scrape([hash(1)])[0].leechers).toBe(5);
  });
});
