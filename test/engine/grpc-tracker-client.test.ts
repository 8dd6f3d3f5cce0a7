import { Server, ServerCredentials } from '@grpc/grpc-js';
import { TrackerService } from '@enjambre/proto';
import { startTracker, type RunningTracker } from '@enjambre/tracker';
import { GrpcTrackerClient } from '../../client/engine/src/tracker/grpc';
import type { AnnounceRequest } from '../../client/engine/src/tracker/client';

let tracker: RunningTracker;
let client: GrpcTrackerClient;

beforeAll(async () => {
  tracker = await startTracker({
    grpcPort: 0,
    httpPort: null,
    udpPort: null,
    metricsPort: null,
    logLevel: 'silent',
  });
  client = new GrpcTrackerClient(`grpc://127.0.0.1:${tracker.grpcPort}`);
});
afterAll(async () => {
  client.close();
  await tracker.close();
});

const req = (
  torrent: number,
  peer: number,
  over: Partial<AnnounceRequest> = {},
): AnnounceRequest => ({
  infoHash: Buffer.alloc(20, torrent),
  peerId: Buffer.alloc(20, peer),
  port: 6000 + peer,
  uploaded: 0,
  downloaded: 0,
  left: 10,
  event: 'started',
  numwant: 50,
  key: 0,
  ...over,
});

/** How many calls of a gRPC method the tracker has timed. */
async function calls(method: string): Promise<number> {
  const text = await tracker.metrics.registry.metrics();
  const line = text
    .split('\n')
    .find((l) =>
      l.startsWith(
        `enjambre_tracker_request_duration_seconds_count{protocol="grpc",method="${method}"}`,
      ),
    );
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

test('announces of one turn go out as one AnnounceMany, each answered on its own', async () => {
  await client.announce(req(1, 1), AbortSignal.timeout(10_000));
  expect(await calls('announce')).toBe(1);
  const signal = AbortSignal.timeout(10_000);
  const [a, b, bad] = await Promise.allSettled([
    client.announce(req(1, 2), signal),
    client.announce(req(2, 3), signal),
    client.announce(req(3, 4, { port: 0 }), signal),
  ]);
  expect(await calls('announce_many')).toBe(1);
  expect(await calls('announce')).toBe(1);
  expect(a).toEqual({
    status: 'fulfilled',
    value: { interval: 1800, peers: [{ host: '127.0.0.1', port: 6001 }], seeders: 0, leechers: 2 },
  });
  expect(b).toMatchObject({ status: 'fulfilled', value: { peers: [], leechers: 1 } });
  expect(bad).toMatchObject({
    status: 'rejected',
    reason: { message: expect.stringMatching(/port/) },
  });
});

test('a tracker without AnnounceMany gets one Announce per announce', async () => {
  const server = new Server();
  let seen = 0;
  server.addService(TrackerService, {
    announce: (_call: unknown, cb: (e: null, r: unknown) => void) => {
      seen++;
      cb(null, {
        interval: 900,
        minInterval: 0,
        peers: [
          {
            ip: Buffer.from([192, 0, 2, 9]),
            port: 7,
            peerId: Buffer.alloc(20),
            address: '192.0.2.9',
          },
        ],
        seeders: 1,
        leechers: 0,
        peers4: Buffer.alloc(0),
        peers6: Buffer.alloc(0),
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  const old = new GrpcTrackerClient(`grpc://127.0.0.1:${port}`);
  try {
    const signal = AbortSignal.timeout(10_000);
    const answers = await Promise.all([
      old.announce(req(1, 1), signal),
      old.announce(req(2, 2), signal),
    ]);
    expect(answers).toEqual([
      { interval: 900, peers: [{ host: '192.0.2.9', port: 7 }], seeders: 1, leechers: 0 },
      { interval: 900, peers: [{ host: '192.0.2.9', port: 7 }], seeders: 1, leechers: 0 },
    ]);
    expect(seen).toBe(2);
  } finally {
    old.close();
    server.forceShutdown();
  }
});
