// Red team: a client of the tracker cannot reach replication. A real replica process serves the
// Tracker service on its client gRPC port and Replication only on its replication port; every
// Replication call on the client port is unimplemented, and the replication port serves nothing a
// client could use.
import * as grpc from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { TrackerClient, replication, type ScrapeResponse } from '@enjambre/proto';
import {
  KEY,
  buildTracker,
  hello,
  knowMe,
  startReplica,
  type Replica,
} from './replication-helpers';

jest.setTimeout(60_000);

let r: Replica;
beforeAll(async () => {
  buildTracker();
  r = await startReplica(['--red-key', KEY]);
}, 120_000);
afterAll(async () => {
  await r?.stop();
});

function unary<Req, Res>(
  client: grpc.Client,
  method: string,
  req: Req,
): Promise<{ err: grpc.ServiceError | null; res?: Res }> {
  return new Promise((resolve) =>
    (client as unknown as Record<string, (...a: unknown[]) => void>)[method](
      req,
      { deadline: Date.now() + 5000 },
      (err: grpc.ServiceError | null, res?: Res) => resolve({ err, res }),
    ),
  );
}

it('answers no Replication call on the client gRPC port', async () => {
  // KnowMe: not even a Challenge (so no replica id, nonce or address).
  const k = await knowMe(r.client, [hello(randomBytes(16), randomBytes(32))]);
  expect(k.received).toEqual([]);
  expect(k.code).toBe(grpc.status.UNIMPLEMENTED);

  const client = new replication.ReplicationClient(r.client, grpc.credentials.createInsecure());
  try {
    const pub = await new Promise<grpc.ServiceError | null>((resolve) => {
      const call = client.rePublish((err) => resolve(err));
      call.end();
    });
    expect(pub?.code).toBe(grpc.status.UNIMPLEMENTED);
    const snap = await new Promise<{ code: grpc.status; batches: number }>((resolve) => {
      let batches = 0;
      const call = client.snapshot({ query: undefined });
      call.on('data', () => batches++);
      call.on('error', (err: grpc.ServiceError) => resolve({ code: err.code, batches }));
      call.on('end', () => resolve({ code: grpc.status.OK, batches }));
    });
    expect(snap).toEqual({ code: grpc.status.UNIMPLEMENTED, batches: 0 });
  } finally {
    client.close();
  }
});

it('serves clients on the client port, and only replication (and health) on the replication port', async () => {
  // The positive control: the client port does serve the Tracker service.
  const onClientPort = new TrackerClient(r.client, grpc.credentials.createInsecure());
  const onReplicationPort = new TrackerClient(r.replication, grpc.credentials.createInsecure());
  try {
    const scrape = { infoHashes: [Buffer.alloc(20, 1)] };
    const ok = await unary<typeof scrape, ScrapeResponse>(onClientPort, 'scrape', scrape);
    expect(ok.err).toBeNull();
    expect(ok.res?.entries).toHaveLength(1);
    const other = await unary(onReplicationPort, 'scrape', scrape);
    expect(other.err?.code).toBe(grpc.status.UNIMPLEMENTED);
  } finally {
    onClientPort.close();
    onReplicationPort.close();
  }
  // The replication port does run KnowMe (so the refusal above is about the port, not a broken
  // service), and answers health checks.
  const k = await knowMe(r.replication, [hello(randomBytes(16), randomBytes(32))], (call) =>
    call.end(),
  );
  expect(k.received.map((m) => Object.keys(m).filter((f) => m[f as keyof typeof m]))).toEqual([
    ['challenge'],
  ]);
  const health = new grpc.Client(r.replication, grpc.credentials.createInsecure());
  try {
    const status = await new Promise<Buffer>((resolve, reject) =>
      health.makeUnaryRequest(
        '/grpc.health.v1.Health/Check',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.alloc(0),
        (err, res) => (err ? reject(err) : resolve(res!)),
      ),
    );
    // HealthCheckResponse { status: SERVING (1) }
    expect(status).toEqual(Buffer.from([0x08, 0x01]));
  } finally {
    health.close();
  }
});
