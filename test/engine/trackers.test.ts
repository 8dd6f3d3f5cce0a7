import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { encodeTorrent, parseTorrent } from '@enjambre/bittorrent';
import { startTracker, type RunningTracker } from '@enjambre/tracker';
import { startOpentracker, stopAll, waitFor, type Opentracker } from '../peers';
import { sessionWorkspace, expectSameFiles, makeTorrent, startSession, waitDone } from './helpers';

jest.setTimeout(180_000);

const ws = sessionWorkspace('trk');
let tracker: RunningTracker;
let ot: Opentracker;

beforeAll(async () => {
  tracker = await startTracker({
    grpcPort: 0,
    httpPort: 0,
    udpPort: 0,
    metricsPort: null,
    logLevel: 'silent',
  });
  ot = await startOpentracker({ whitelist: [] });
});
afterAll(async () => {
  await tracker.close();
  await stopAll();
});

async function swarmThrough(announce: string[][], name: string, allowOt = false) {
  const seedDir = path.join(ws.root, 'seed');
  const t = await makeTorrent(seedDir, name, 2_000_000, { pieceLength: 64 * 1024 });
  if (allowOt) await ot.allow([t.infoHash]);
  const seeder = await startSession(path.join(ws.root, 's'));
  const leecher = await startSession(path.join(ws.root, 'l'));
  ws.sessions.push(seeder, leecher);
  // the announce list comes with the torrent: rebuild it with the tiers under test
  const torrent = encodeTorrent(parseTorrent(t.torrent).infoBuffer, { announce });
  const s = await seeder.add({ torrent }, { downloadDir: seedDir, seedMode: true });
  const l = await leecher.add({ torrent }, { downloadDir: path.join(ws.root, 'got') });
  // how the leecher met the peers it downloads from (connections may end once it seeds)
  const sources = new Set<string>();
  l.on('piece', () => l.peers().forEach((p) => sources.add(p.source)));
  await waitDone(l);
  await expectSameFiles(t, path.join(ws.root, 'got'), name, true);
  return { s, l, t, sources };
}

test('through our tracker over gRPC: announce, publish on seeding, catalog entry', async () => {
  const url = `grpc://127.0.0.1:${tracker.grpcPort}`;
  const { s, l, t } = await swarmThrough([[url]], 'grpc.bin');
  expect(l.trackers()[0].status).toBe('working');
  expect(s.trackers()[0].status).toBe('working');
  // the seeder published the torrent: it is in the tracker's catalog with its name and size
  const deadline = Date.now() + 30_000;
  let item;
  while (!item && Date.now() < deadline) {
    item = tracker.store
      .listTorrents({ pageSize: 50 })
      .torrents.find((x) => x.infoHash.toString('hex') === t.infoHash);
    if (!item) await new Promise((r) => setTimeout(r, 200));
  }
  expect(item?.name).toBe('grpc.bin');
  expect(item?.totalSize).toBe(2_000_000);
  expect(item?.fileCount).toBe(1);
});

test('through our tracker over HTTP, after failing over from a dead tracker in the same tier', async () => {
  const dead = 'http://127.0.0.1:9/announce'; // discard port: connection refused
  const url = `http://127.0.0.1:${tracker.httpPort}/announce`;
  const { l } = await swarmThrough([[dead, url]], 'http.bin');
  const st = l.trackers();
  expect(st.find((x) => x.url === url)?.status).toBe('working');
});

test('through our tracker over UDP', async () => {
  const url = `udp://127.0.0.1:${tracker.udpPort}/announce`;
  const { l, sources } = await swarmThrough([[url]], 'udp.bin');
  expect(l.trackers()[0].status).toBe('working');
  expect([...sources]).toEqual(['tracker']);
  expect(l.trackers()[0].seeders).toBeGreaterThanOrEqual(1);
});

test('through opentracker over HTTP and UDP (two tiers)', async () => {
  const { l } = await swarmThrough([[ot.httpAnnounce], [ot.udpAnnounce]], 'ot.bin', true);
  // both tiers are announced to (the download may finish before the second answers)
  await waitFor(
    () => l.trackers().every((x) => x.status === 'working'),
    30_000,
    'both tiers working',
  );
  expect(
    l
      .trackers()
      .map((x) => x.url)
      .sort(),
  ).toEqual([ot.httpAnnounce, ot.udpAnnounce].sort());
});

test('reannounce asks the tracker again at once, long before its interval', async () => {
  // a tracker that asks for half an hour between announces, and counts them
  let announces = 0;
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith('/announce')) announces++;
    res.end('d8:intervali1800e5:peers0:e');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/announce`;
    const seedDir = path.join(ws.root, 'seed');
    const t = await makeTorrent(seedDir, 'again.bin', 100_000, { announce: [url] });
    const s = await startSession(path.join(ws.root, 's'));
    ws.sessions.push(s);
    const torrent = await s.add({ torrent: t.torrent }, { downloadDir: seedDir, seedMode: true });
    await waitFor(() => torrent.trackers()[0]?.status === 'working', 30_000, 'first announce');
    const before = announces;
    torrent.reannounce();
    await waitFor(() => announces > before, 10_000, 'the announce asked for');
  } finally {
    server.close();
  }
});
