import { createSocket } from 'node:dgram';
import fc from 'fast-check';
import {
  decodeCompactPeers,
  encodeUdpAnnounceRequest,
  encodeUdpConnectRequest,
} from '@enjambre/bittorrent';
import type { RunningTracker } from '../tracker';
import { UdpTestClient, startTestTracker } from '../testing';

const hash = (n: number): Buffer => Buffer.alloc(20, n);
const id = (n: number): Buffer => Buffer.alloc(20, 0x60 + n);

function announceInit(n: number, over: Record<string, unknown> = {}) {
  return {
    infoHash: hash(1),
    peerId: id(n),
    downloaded: 0,
    left: n % 2 ? 1000 : 0,
    uploaded: 0,
    event: 'started' as const,
    ip: 0,
    key: 7,
    numWant: -1,
    port: 6000 + n,
    ...over,
  };
}

// Both I/O paths: Node's dgram and the batched recvmmsg/sendmmsg addon (built by npm ci/build).
describe.each(['dgram', 'mmsg'] as const)('UDP tracker (BEP 15), %s I/O', (udpIo) => {
  let tracker: RunningTracker;
  let client: UdpTestClient;
  beforeAll(async () => {
    tracker = await startTestTracker({
      udpIo,
      limits: { maxPeersPerTorrent: 50, maxTorrents: 200 },
    });
    client = new UdpTestClient(tracker.udpPort as number);
  });
  afterAll(async () => {
    client.close();
    await tracker.close();
  });

  it('connects, announces and returns the other peers with counts', async () => {
    const id1 = await client.connect();
    expect(id1).toHaveLength(8);
    await client.announce(announceInit(1));
    const r = await client.announce(announceInit(2));
    expect(r).toMatchObject({ action: 'announce', interval: 1800, leechers: 1, seeders: 1 });
    if (r.action !== 'announce') throw new Error('not an announce');
    expect(r.peers).toEqual([{ ip: '127.0.0.1', port: 6001 }]);
  });

  it('honours numwant 0 and counts completions in scrapes', async () => {
    const r = await client.announce(announceInit(1, { numWant: 0, event: 'completed', left: 0 }));
    if (r.action !== 'announce') throw new Error('not an announce');
    expect(r.peers).toEqual([]);
    expect(r.seeders).toBe(2);
    const s = await client.scrape([hash(1), hash(99)]);
    expect(s).toEqual({
      action: 'scrape',
      transactionId: expect.any(Number),
      files: [
        { complete: 2, downloaded: 1, incomplete: 0 },
        { complete: 0, downloaded: 0, incomplete: 0 },
      ],
    });
  });

  it('refuses a forged or foreign connection id with an error packet', async () => {
    const r = await client.announce(
      announceInit(3, { connectionId: Buffer.from('0123456789abcdef', 'hex') }),
    );
    expect(r).toMatchObject({ action: 'error', message: 'invalid connection id' });
    // An id issued to another client address (port) is no good here either.
    const other = new UdpTestClient(tracker.udpPort as number);
    try {
      const foreign = await other.connect();
      expect(await client.scrape([hash(1)], foreign)).toMatchObject({
        action: 'error',
        message: 'invalid connection id',
      });
    } finally {
      other.close();
    }
  });

  it('answers malformed packets with an error and drops what cannot be answered', async () => {
    const connectionId = await client.connect();
    const header = (action: number, length: number): Buffer => {
      const b = Buffer.alloc(length);
      connectionId.copy(b, 0);
      b.writeUInt32BE(action, 8);
      b.writeUInt32BE(4242, 12);
      return b;
    };
    // Truncated announce: an error naming the problem, with our transaction id.
    const truncated = await client.send(header(1, 60));
    expect(truncated?.readUInt32BE(0)).toBe(3);
    expect(truncated?.readUInt32BE(4)).toBe(4242);
    expect(truncated?.subarray(8).toString()).toMatch(/truncated|expected 98/);
    // Never larger than the request, or 64 bytes.
    const tiny = await client.send(header(1, 16));
    expect(tiny?.length).toBeLessThanOrEqual(64);
    // Unknown action.
    expect((await client.send(header(9, 16)))?.subarray(8).toString()).toMatch(/unknown action/);
    // A scrape whose length is not 16 + 20·n.
    expect((await client.send(header(2, 16 + 30)))?.subarray(8).toString()).toMatch(/scrape/);
    // A connect without the protocol id.
    expect((await client.send(header(0, 16)))?.readUInt32BE(0)).toBe(3);
    // Too short to carry a transaction id, or larger than any request: dropped.
    expect(await client.send(Buffer.alloc(10), 300)).toBeNull();
    expect(await client.send(Buffer.alloc(4000), 300)).toBeNull();
    // An announce with port 0.
    const port0 = await client.announce(announceInit(5, { port: 0 }));
    expect(port0).toMatchObject({ action: 'error', message: expect.stringMatching(/port/) });
    // The tracker still works.
    expect((await client.request(encodeUdpConnectRequest(5))).action).toBe('connect');
  });

  it('survives random packets, including ones with valid headers, and keeps serving', async () => {
    const fuzzer = new UdpTestClient(tracker.udpPort as number);
    const connectionId = await fuzzer.connect();
    const packets = fc.sample(
      fc.oneof(
        fc.uint8Array({ maxLength: 1600 }).map((b) => Buffer.from(b)),
        fc
          .tuple(fc.integer({ min: 0, max: 4 }), fc.uint8Array({ maxLength: 200 }))
          .map(([action, rest]) => {
            const b = Buffer.alloc(16 + rest.length);
            connectionId.copy(b, 0);
            b.writeUInt32BE(action, 8);
            b.set(rest, 16);
            return b;
          }),
      ),
      200,
    );
    try {
      for (const p of packets) await fuzzer.send(p, 20);
    } finally {
      fuzzer.close();
    }
    const fresh = new UdpTestClient(tracker.udpPort as number);
    try {
      expect((await fresh.request(encodeUdpConnectRequest(9))).action).toBe('connect');
    } finally {
      fresh.close();
    }
  });

  it('answers a burst of concurrent announces each with its own transaction id and counts', async () => {
    const sockets = Array.from({ length: 8 }, () => createSocket('udp4'));
    try {
      await Promise.all(sockets.map((s) => new Promise<void>((r) => s.bind(0, '127.0.0.1', r))));
      const replies = new Map<number, Buffer>();
      const ids = await Promise.all(
        sockets.map(
          (s, i) =>
            new Promise<Buffer>((resolve) => {
              s.once('message', (m) => resolve(Buffer.from(m.subarray(8, 16))));
              s.send(encodeUdpConnectRequest(i), tracker.udpPort as number, '127.0.0.1');
            }),
        ),
      );
      const infoHash = hash(150);
      let waiting: (() => void) | null = null;
      for (const s of sockets) {
        s.on('message', (m: Buffer) => {
          replies.set(m.readUInt32BE(4), Buffer.from(m));
          if (replies.size % 40 === 0) waiting?.();
        });
      }
      // Bursts of 40 requests in flight at once (more could overflow a socket buffer: UDP).
      for (let batch = 0; batch < 10; batch++) {
        const done = new Promise<void>((resolve) => (waiting = resolve));
        for (let t = batch * 40; t < batch * 40 + 40; t++) {
          const i = t % 8;
          sockets[i].send(
            encodeUdpAnnounceRequest({
              ...announceInit(t, {
                infoHash,
                peerId: Buffer.alloc(20, t % 200),
                numWant: 30,
                left: 1,
              }),
              port: 1000 + t,
              connectionId: ids[i],
              transactionId: 10_000 + t,
            }),
            tracker.udpPort as number,
            '127.0.0.1',
          );
        }
        await done;
      }
      for (let t = 0; t < 400; t++) {
        const m = replies.get(10_000 + t) as Buffer;
        expect(m.readUInt32BE(0)).toBe(1);
        expect((m.length - 20) % 6).toBe(0);
        const peers = decodeCompactPeers(m.subarray(20), 4);
        expect(peers.length).toBeLessThanOrEqual(30);
        expect(peers.some((p) => p.port === 1000 + t)).toBe(false);
      }
    } finally {
      for (const s of sockets) s.close();
    }
  });

  it('keeps memory bounded under a flood of announces from one address', async () => {
    const connectionId = await client.connect();
    for (let n = 0; n < 300; n++) {
      await client.announce(
        announceInit(n, {
          connectionId,
          infoHash: hash(n % 3 === 0 ? 200 : 201),
          peerId: Buffer.alloc(20, n),
          numWant: 0,
        }),
      );
    }
    const hashes: number[] = [];
    for (let n = 0; n < 300; n++) {
      const h = Buffer.alloc(20, 0);
      h.writeUInt32BE(n, 0);
      const r = await client.announce(announceInit(1, { connectionId, infoHash: h, numWant: 0 }));
      if (r.action === 'error') hashes.push(n);
    }
    expect(tracker.store.scrape([hash(200), hash(201)]).map((c) => c.seeders + c.leechers)).toEqual(
      [50, 50],
    );
    expect(tracker.store.stats().torrents).toBeLessThanOrEqual(200);
    expect(hashes.length).toBeGreaterThan(0);
  });

  it('answers in compact 6-byte IPv4 entries after a 20-byte header', async () => {
    const r = await client.announce(announceInit(3, { event: 'none', numWant: 5 }));
    if (r.action !== 'announce') throw new Error('not an announce');
    expect(r.peers.length).toBeGreaterThan(0);
    const raw = await client.send(
      encodeUdpAnnounceRequest({
        ...announceInit(3, { event: 'none', numWant: 5 }),
        connectionId: await client.connect(),
        transactionId: 77,
      }),
    );
    expect(raw).not.toBeNull();
    expect(((raw as Buffer).length - 20) % 6).toBe(0);
    expect(decodeCompactPeers((raw as Buffer).subarray(20), 4)).toHaveLength(
      ((raw as Buffer).length - 20) / 6,
    );
  });
});
