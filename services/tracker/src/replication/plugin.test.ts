// The replication plugin inside real trackers (startTracker): over TLS with a self-signed cluster
// certificate, a replica that restarts keeps its replica id, and readiness waits for catch-up.
import * as grpc from '@grpc/grpc-js';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { replication } from '@enjambre/proto';
import { startTracker, type RunningTracker } from '../tracker';
import { loadReplicaId, replicationPlugin } from './plugin';

const dirs: string[] = [];
const running: RunningTracker[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((t) => t.close()));
});
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'enjambre-plugin-'));
  dirs.push(d);
  return d;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  const until = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const KEY = 'plugin-test-network-key-32-bytes-or-more';
const hash = Buffer.alloc(20, 3);
const publish = (t: RunningTracker, n: number) =>
  t.store.publish({
    infoHash: Buffer.alloc(20, n),
    peerId: Buffer.alloc(20, n),
    ip: Buffer.from([10, 0, 0, n]),
    port: 1000 + n,
    name: `t${n}`,
    totalSize: 1,
    fileCount: 1,
  });

it('replicates over TLS and refuses clear-text replicas', async () => {
  const dir = tmp();
  const cert = path.join(dir, 'tls.crt');
  const key = path.join(dir, 'tls.key');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=enjambre-test',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'ignore' },
  );
  const tls = { cert: fs.readFileSync(cert), key: fs.readFileSync(key) };
  const ports = [await freePort(), await freePort()];
  const peersFile = path.join(dir, 'peers.json');
  fs.writeFileSync(
    peersFile,
    JSON.stringify(
      Object.fromEntries(ports.map((p) => [`127.0.0.1:${p}`, { ip: '127.0.0.1', port: p }])),
    ),
  );
  for (const port of ports) {
    running.push(
      await startTracker({
        grpcPort: 0,
        httpPort: null,
        udpPort: null,
        metricsPort: null,
        tls,
        redKey: KEY,
        peersFile,
        logger: pino({ level: 'silent' }),
        plugins: [
          replicationPlugin({ port, advertise: `127.0.0.1:${port}`, catchUpTimeoutMs: 2000 }),
        ],
      }),
    );
  }
  publish(running[0], 3);
  await waitFor(() => running[1].store.scrape([hash])[0].seeders === 1, 'replica 1 over TLS');

  // A clear-text replica cannot even start a KnowMe with a TLS replica.
  const plain = new replication.ReplicationClient(
    `127.0.0.1:${ports[0]}`,
    grpc.credentials.createInsecure(),
  );
  const err = await new Promise<grpc.ServiceError>((resolve) => {
    const call = plain.knowMe({ deadline: Date.now() + 3000 });
    call.on('error', resolve);
    call.on('data', () => resolve(new Error('answered in clear text') as grpc.ServiceError));
    call.write({
      hello: {
        replicaId: Buffer.alloc(16, 1),
        nonce: Buffer.alloc(32, 2),
        advertise: '',
        version: 2,
      },
    });
  });
  plain.close();
  expect([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.INTERNAL]).toContain(
    err.code,
  );
});

it('keeps its replica id across restarts, and is ready only after catching up', async () => {
  const dataDir = tmp();
  const first = loadReplicaId(dataDir);
  expect(loadReplicaId(dataDir)).toEqual(first);
  expect(loadReplicaId(undefined)).not.toEqual(first);

  const ports = [await freePort(), await freePort()];
  const peersFile = path.join(tmp(), 'peers.json');
  fs.writeFileSync(
    peersFile,
    JSON.stringify(
      Object.fromEntries(ports.map((p) => [`127.0.0.1:${p}`, { ip: '127.0.0.1', port: p }])),
    ),
  );
  const start = (port: number, dir?: string) =>
    startTracker({
      grpcPort: 0,
      httpPort: null,
      udpPort: null,
      metricsPort: null,
      dataDir: dir,
      load: dir !== undefined,
      redKey: KEY,
      peersFile,
      logger: pino({ level: 'silent' }),
      plugins: [
        replicationPlugin({ port, advertise: `127.0.0.1:${port}`, catchUpTimeoutMs: 5000 }),
      ],
    });
  const a = await start(ports[0]);
  running.push(a);
  for (let n = 1; n <= 20; n++) publish(a, n);
  a.store.announce({
    infoHash: Buffer.alloc(20, 1),
    peerId: Buffer.alloc(20, 99),
    ip: Buffer.from([10, 9, 9, 9]),
    port: 9,
    event: 'completed',
    uploaded: 0,
    downloaded: 0,
    left: 0,
  });
  // startTracker resolves once ready: by then B must have everything A had.
  const b = await start(ports[1], dataDir);
  running.push(b);
  expect(b.ready).toBe(true);
  expect(b.store.stats().catalogTorrents).toBe(20);
  expect(b.store.scrape([Buffer.alloc(20, 1)])).toEqual(a.store.scrape([Buffer.alloc(20, 1)]));
  // B completes a download too; after a restart of B the counts neither drop nor double.
  b.store.announce({
    infoHash: Buffer.alloc(20, 1),
    peerId: Buffer.alloc(20, 98),
    ip: Buffer.from([10, 9, 9, 8]),
    port: 8,
    event: 'completed',
    uploaded: 0,
    downloaded: 0,
    left: 0,
  });
  await waitFor(() => a.store.scrape([Buffer.alloc(20, 1)])[0].completed === 2, 'A counts both');
  await b.close();
  running.splice(running.indexOf(b), 1);
  const b2 = await start(ports[1], dataDir);
  running.push(b2);
  expect(b2.store.scrape([Buffer.alloc(20, 1)])[0].completed).toBe(2);
  b2.store.announce({
    infoHash: Buffer.alloc(20, 1),
    peerId: Buffer.alloc(20, 97),
    ip: Buffer.from([10, 9, 9, 7]),
    port: 7,
    event: 'completed',
    uploaded: 0,
    downloaded: 0,
    left: 0,
  });
  await waitFor(
    () => a.store.scrape([Buffer.alloc(20, 1)])[0].completed === 3,
    'A counts the third',
  );
  expect(b2.store.scrape([Buffer.alloc(20, 1)])[0].completed).toBe(3);
});
