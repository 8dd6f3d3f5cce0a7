import { credentials, Metadata } from '@grpc/grpc-js';
import { mkdtemp, rm } from 'node:fs/promises';
import { AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { PublishRequest, TrackerClient } from '@enjambre/proto';
import { RunningTracker, startTracker } from '@enjambre/tracker';
import { CatalogReader } from './catalog';

let tracker: RunningTracker;
let dir: string;
let url: string;
const reader = new CatalogReader();

function publish(req: Partial<PublishRequest>): Promise<void> {
  const client = new TrackerClient(`127.0.0.1:${tracker.grpcPort}`, credentials.createInsecure());
  return new Promise((resolve, reject) =>
    client.publish(
      PublishRequest.fromPartial(req),
      new Metadata(),
      { deadline: Date.now() + 10000 },
      (err) => {
        client.close();
        if (err) reject(err);
        else resolve();
      },
    ),
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'enjambre-catalog-'));
  tracker = await startTracker({
    ip: '127.0.0.1',
    grpcPort: 0,
    httpPort: 0,
    udpPort: 0,
    metricsPort: null,
    dataDir: join(dir, 'db'),
    logger: pino({ level: 'silent' }),
  });
  url = `grpc://127.0.0.1:${tracker.grpcPort}`;
  for (let i = 0; i < 3; i++) {
    await publish({
      infoHash: Buffer.alloc(20, i + 1),
      peerId: Buffer.alloc(20, 0x41 + i),
      port: 6881 + i,
      name: i === 2 ? 'holiday video' : `linux-${i}.iso`,
      totalSize: 1000 * (i + 1),
      fileCount: 1,
    });
  }
});

afterAll(async () => {
  reader.close();
  await tracker.close();
  await rm(dir, { recursive: true, force: true });
});

test('lists a tracker catalog with counts, searches by name and pages', async () => {
  const [all] = await reader.list([url]);
  expect(all.ok).toBe(true);
  expect(all.torrents.map((t) => t.name).sort()).toEqual([
    'holiday video',
    'linux-0.iso',
    'linux-1.iso',
  ]);
  const video = all.torrents.find((t) => t.name === 'holiday video')!;
  expect(video).toMatchObject({
    infoHash: '03'.repeat(20),
    size: 3000,
    fileCount: 1,
    seeders: 1,
    leechers: 0,
  });

  const [found] = await reader.list([url], { search: 'LINUX' });
  expect(found.torrents.map((t) => t.name).sort()).toEqual(['linux-0.iso', 'linux-1.iso']);

  const [page1] = await reader.list([url], { pageSize: 2 });
  expect(page1.torrents).toHaveLength(2);
  expect(page1.nextPageToken).toBeTruthy();
  const [page2] = await reader.list([url], { pageSize: 2, pageToken: page1.nextPageToken });
  expect(page2.torrents).toHaveLength(1);
  expect(page2.nextPageToken).toBeUndefined();
});

test('a dead tracker is reported beside the live one, and non-gRPC trackers are skipped', async () => {
  const dead = 'grpc://127.0.0.1:1';
  const res = await reader.list([url, dead, 'http://127.0.0.1:6969/announce']);
  expect(res.map((r) => r.url)).toEqual([url, dead]);
  expect(res[0].ok).toBe(true);
  expect(res[1]).toMatchObject({ ok: false, torrents: [] });
  expect(res[1].error).toBeTruthy();

  const http = `http://127.0.0.1:${tracker.httpPort}/announce`;
  const udp = `udp://127.0.0.1:${tracker.udpPort}`;
  const closed = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
  const health = await reader.health([url, dead, http, udp, `http://127.0.0.1:${closed}/a`]);
  expect(health[0]).toMatchObject({ url, ok: true, catalogSize: 3 });
  expect(health[1]).toMatchObject({ url: dead, ok: false });
  expect(health[2]).toMatchObject({ url: http, ok: true, latencyMs: expect.any(Number) });
  expect(health[3]).toMatchObject({ url: udp, ok: true, latencyMs: expect.any(Number) });
  expect(health[4]).toMatchObject({ ok: false, error: expect.stringMatching(/ECONNREFUSED/) });
});
