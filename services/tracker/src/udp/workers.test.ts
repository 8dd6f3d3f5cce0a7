import { execFileSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { join, resolve } from 'node:path';
import { AnnounceEvent } from '@enjambre/proto';
import {
  decode,
  decodeCompactPeers,
  decodeUdpResponse,
  encodeUdpAnnounceRequest,
  encodeUdpConnectRequest,
  type UdpResponse,
} from '@enjambre/bittorrent';
import type { RunningTracker } from '../tracker';
import { UdpTestClient, httpGet, percentAll, startTestTracker, trackerClient } from '../testing';

const root = resolve(__dirname, '..', '..', '..', '..');
const infoHash = Buffer.alloc(20, 0xa7);
const PEERS = 24;

/** Blocks this event loop: packets sent before can only be read by the worker process. */
function busy(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end);
}

function forwarded(text: string): number {
  return Number(/^enjambre_tracker_udp_forwarded_total (\d+)/m.exec(text)?.[1] ?? 0);
}

describe('UDP worker processes (--workers)', () => {
  let tracker: RunningTracker;
  let socket: Socket;
  beforeAll(async () => {
    // The worker runs the compiled dist/udp/worker.js.
    execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-b', 'services/tracker'], {
      cwd: root,
    });
    tracker = await startTestTracker({ udpWorkers: 1 });
    socket = createSocket('udp4');
    await new Promise<void>((done) => socket.bind(0, '127.0.0.1', done));
  }, 120_000);
  afterAll(async () => {
    socket?.close();
    await tracker?.close();
  });

  it('announces read by a worker reach the one store: HTTP and gRPC see them', async () => {
    const port = tracker.udpPort as number;
    // A connection id for this socket's address, from whichever process reads the connect.
    const connect = encodeUdpConnectRequest(99);
    const answers = new Map<number, UdpResponse>();
    const all = new Promise<void>((done) => {
      socket.on('message', (msg) => {
        const r = decodeUdpResponse(msg);
        answers.set(r.transactionId, r);
        if (answers.size === PEERS + 1) done();
      });
    });
    const connected = new Promise<Buffer>((done) =>
      socket.once('message', (msg) => {
        const r = decodeUdpResponse(msg);
        if (r.action === 'connect') done(r.connectionId);
      }),
    );
    socket.send(connect, port, '127.0.0.1');
    const connectionId = await connected;

    for (let i = 0; i < PEERS; i++) {
      socket.send(
        encodeUdpAnnounceRequest({
          connectionId,
          transactionId: 1000 + i,
          infoHash,
          peerId: Buffer.alloc(20, i + 1),
          downloaded: 0,
          left: i % 3 === 0 ? 0 : 1000,
          uploaded: 0,
          event: 'started',
          ip: 0,
          key: i,
          numWant: 200,
          port: 7000 + i,
        }),
        port,
        '127.0.0.1',
      );
    }
    // While this loop is blocked the worker process reads the announces and forwards them here.
    busy(1500);
    await all;
    for (let i = 0; i < PEERS; i++) {
      expect(answers.get(1000 + i)).toMatchObject({ action: 'announce' });
    }
    const metrics = await fetch(`http://127.0.0.1:${tracker.metricsPort}/metrics`);
    expect(forwarded(await metrics.text())).toBeGreaterThan(0);

    const seeders = Math.ceil(PEERS / 3);
    expect(tracker.store.stats()).toMatchObject({ seeders, leechers: PEERS - seeders });

    const http = await httpGet(
      tracker.httpPort as number,
      `/announce?info_hash=${percentAll(infoHash)}&peer_id=${percentAll(Buffer.alloc(20, 0xee))}` +
        `&port=9999&left=5&numwant=200&compact=1`,
    );
    expect(http.status).toBe(200);
    const body = decode(http.body) as Record<string, unknown>;
    // The counts include the asker.
    expect(body).toMatchObject({ complete: seeders, incomplete: PEERS - seeders + 1 });
    const ports = decodeCompactPeers(body.peers as Buffer, 4).map((p) => p.port);
    expect([...ports].sort()).toEqual(Array.from({ length: PEERS }, (_, i) => 7000 + i).sort());

    const grpc = trackerClient(tracker.grpcPort);
    try {
      const a = await grpc.announce({
        infoHash,
        peerId: Buffer.alloc(20, 0xef),
        event: AnnounceEvent.ANNOUNCE_EVENT_STARTED,
        uploaded: 0,
        downloaded: 0,
        left: 5,
        numwant: 200,
        port: 9998,
        ip: '',
      });
      expect(a).toMatchObject({ seeders, leechers: PEERS - seeders + 2 });
      expect(a.peers.map((p) => p.port).sort()).toEqual([...ports, 9999].sort());
      const s = await grpc.scrape({ infoHashes: [infoHash] });
      expect(s.entries[0]).toMatchObject({ complete: seeders, incomplete: PEERS - seeders + 2 });
    } finally {
      grpc.close();
    }
  }, 60_000);

  it('answers connects in the worker and everything else in the main process', async () => {
    const client = new UdpTestClient(tracker.udpPort as number);
    try {
      const r = await client.announce({
        infoHash,
        peerId: Buffer.alloc(20, 0x55),
        downloaded: 0,
        left: 0,
        uploaded: 0,
        event: 'started',
        ip: 0,
        key: 1,
        numWant: 0,
        port: 8000,
      });
      expect(r).toMatchObject({ action: 'announce' });
      expect(await client.scrape([infoHash])).toMatchObject({ action: 'scrape' });
    } finally {
      client.close();
    }
  });
});
