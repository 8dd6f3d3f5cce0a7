import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { AnnounceEvent, AnnounceRequest, AnnounceResponse, TrackerClient } from '@enjambre/proto';
import fc from 'fast-check';
import * as http2 from 'node:http2';
import { gzipSync } from 'node:zlib';
import type { RunningTracker } from '../tracker';
import { startTestTracker, trackerClient } from '../testing';

const PATH = '/enjambre.tracker.v1.Tracker/Announce';

/** One raw HTTP/2 gRPC call: status (from trailers or trailers-only headers) and body bytes. */
function rawCall(
  port: number,
  body: Buffer,
  headers: http2.OutgoingHttpHeaders = {},
): Promise<{ grpcStatus: string | undefined; message: string | undefined; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const stream = session.request({
      ':method': 'POST',
      ':path': PATH,
      'content-type': 'application/grpc',
      te: 'trailers',
      ...headers,
    });
    let grpcStatus: string | undefined;
    let message: string | undefined;
    const chunks: Buffer[] = [];
    const take = (h: http2.IncomingHttpHeaders): void => {
      if (h['grpc-status'] !== undefined) grpcStatus = String(h['grpc-status']);
      if (h['grpc-message'] !== undefined) message = decodeURIComponent(String(h['grpc-message']));
    };
    stream.on('response', take);
    stream.on('trailers', take);
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', () => {});
    stream.on('close', () => {
      session.close();
      resolve({ grpcStatus, message, body: Buffer.concat(chunks) });
    });
    stream.end(body);
  });
}

const framed = (message: Buffer, flag = 0): Buffer => {
  const head = Buffer.alloc(5);
  head[0] = flag;
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
};

const request = (n: number, over: Partial<AnnounceRequest> = {}): AnnounceRequest => ({
  infoHash: Buffer.alloc(20, 1),
  peerId: Buffer.alloc(20, 100 + n),
  event: AnnounceEvent.ANNOUNCE_EVENT_STARTED,
  uploaded: 0,
  downloaded: 0,
  left: n % 2 === 0 ? 0 : 1000,
  port: 7000 + n,
  ip: '',
  ...over,
});

async function statusOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return status.OK;
  } catch (err) {
    return (err as ServiceError).code;
  }
}

describe('gRPC Announce on node:http2 beside grpc-js', () => {
  const trackers: RunningTracker[] = [];
  let fast: RunningTracker;
  let slow: RunningTracker;
  /** Without the tight rate limit of the two above. */
  let plain: RunningTracker;
  beforeAll(async () => {
    plain = await startTestTracker();
    fast = await startTestTracker({ announceRate: { rate: 0.001, burst: 8 } });
    slow = await startTestTracker({
      announceRate: { rate: 0.001, burst: 8 },
      grpcFastAnnounce: false,
    });
    trackers.push(fast, slow, plain);
  });
  afterAll(async () => {
    await Promise.all(trackers.map((t) => t.close()));
  });

  it('answers as grpc-js does: peers, counts, refusals and the rate limit', async () => {
    const answers: unknown[][] = [];
    for (const tracker of [fast, slow]) {
      const client = trackerClient(tracker.grpcPort);
      const seen: unknown[] = [];
      for (let n = 0; n < 6; n++) seen.push(await client.announce(request(n)));
      seen.push(await client.announce(request(6, { compact: true })));
      seen.push(await statusOf(client.announce(request(7, { infoHash: Buffer.alloc(19) }))));
      seen.push(await statusOf(client.announce(request(8, { port: 0 }))));
      seen.push(await statusOf(client.announce(request(9, { event: 42 as AnnounceEvent }))));
      // 7 of the burst of 8 are spent (invalid requests are refused before the limiter).
      for (let n = 10; n < 13; n++) seen.push(await statusOf(client.announce(request(n))));
      client.close();
      answers.push(seen);
    }
    expect(answers[0]).toEqual(answers[1]);
    const full = answers[0][5] as AnnounceResponse;
    expect(full.peers).toHaveLength(5);
    expect(full.seeders + full.leechers).toBe(6);
    const compact = answers[0][6] as AnnounceResponse;
    // A seeder (n = 6) is given the leechers only: n = 1, 3, 5.
    expect(Buffer.from(compact.peers4).length).toBe(3 * 6);
    expect(answers[0].slice(7, 10)).toEqual([
      status.INVALID_ARGUMENT,
      status.INVALID_ARGUMENT,
      status.INVALID_ARGUMENT,
    ]);
    expect(answers[0].at(-1)).toBe(status.RESOURCE_EXHAUSTED);
  });

  it('refuses bad framing, oversized and malformed requests with a status, never a crash', async () => {
    const port = plain.grpcPort;
    const ok = framed(Buffer.from(AnnounceRequest.encode(request(20)).finish()));
    const twice = await rawCall(port, Buffer.concat([ok, ok]));
    expect(twice.grpcStatus).toBe(String(status.UNIMPLEMENTED));
    const cut = await rawCall(port, ok.subarray(0, ok.length - 3));
    expect(cut.grpcStatus).toBe(String(status.UNIMPLEMENTED));
    const flagged = await rawCall(port, framed(ok.subarray(5), 1));
    expect(flagged.grpcStatus).toBe(String(status.INTERNAL));
    // This wording is the fast path's own (grpc-js would say something else): it answered.
    expect(flagged.message).toBe('compressed message without grpc-encoding');
    const garbage = await rawCall(port, framed(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])));
    expect(garbage.grpcStatus).toBe(String(status.INVALID_ARGUMENT));
    expect(garbage.message).toMatch(/malformed request/);
    const huge = await rawCall(port, framed(Buffer.alloc(1024 * 1024 + 1)));
    expect(huge.grpcStatus).toBe(String(status.RESOURCE_EXHAUSTED));
    // A compressed request goes to grpc-js, which inflates it.
    const gzip = await rawCall(port, framed(gzipSync(ok.subarray(5)), 1), {
      'grpc-encoding': 'gzip',
    });
    expect(gzip.grpcStatus).toBe(String(status.OK));
    expect(AnnounceResponse.decode(gzip.body.subarray(5)).interval).toBeGreaterThan(0);
    // Still serving.
    const client = trackerClient(port);
    await expect(client.scrape({ infoHashes: [Buffer.alloc(20, 1)] })).resolves.toBeDefined();
    client.close();
  });

  it('answers any body with a gRPC status (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), fc.boolean(), async (bytes, frame) => {
        const body = frame ? framed(Buffer.from(bytes)) : Buffer.from(bytes);
        const answer = await rawCall(plain.grpcPort, body);
        expect(answer.grpcStatus).toMatch(/^\d+$/);
      }),
      { numRuns: 60 },
    );
  });
});

describe('gRPC Announce from an IPv6 client', () => {
  it.each([true, false])('records the client address (fast path %s)', async (fast) => {
    const tracker = await startTestTracker({ ip: '::1', grpcFastAnnounce: fast });
    const client = new TrackerClient(`[::1]:${tracker.grpcPort}`, credentials.createInsecure());
    const announce = (n: number): Promise<AnnounceResponse> =>
      new Promise((resolve, reject) =>
        client.announce(request(n), (err, res) => (err ? reject(err) : resolve(res))),
      );
    try {
      await announce(1);
      const answer = await announce(3);
      expect(answer.peers.map((p) => p.address)).toEqual(['::1']);
    } finally {
      client.close();
      await tracker.close();
    }
  });
});
