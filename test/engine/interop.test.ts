/**
 * enjambre against the real world's clients (python3-libtorrent, transmission-cli, aria2c), both
 * directions, through our tracker (HTTP front end) and through opentracker; bytes verified by SHA-1.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startTracker, type RunningTracker } from '@enjambre/tracker';
import type { Session } from '@enjambre/engine';
import {
  makeTestData,
  makeTorrent,
  removeDir,
  sha1File,
  startAria2,
  startLibtorrent,
  startOpentracker,
  startTransmission,
  stopAll,
  tempDir,
  waitForSwarm,
  type Opentracker,
  type Peer,
} from '../peers';
import { startSession, waitDone } from './helpers';

jest.setTimeout(240_000);

type Client = 'libtorrent' | 'transmission' | 'aria2';
type TrackerKind = 'enjambre' | 'opentracker';

let ours: RunningTracker;
let ot: Opentracker;
const sessions: Session[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  ours = await startTracker({
    grpcPort: 0,
    httpPort: 0,
    udpPort: 0,
    metricsPort: null,
    logLevel: 'silent',
  });
  ot = await startOpentracker({ whitelist: [] });
});
afterAll(async () => {
  await ours.close();
  await stopAll();
});
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  await Promise.all(dirs.splice(0).map((d) => removeDir(d)));
});

function announceUrl(kind: TrackerKind): string {
  return kind === 'enjambre' ? `http://127.0.0.1:${ours.httpPort}/announce` : ot.httpAnnounce;
}

function startClient(
  client: Client,
  role: 'seed' | 'leech',
  torrentFile: string,
  dir: string,
): Promise<Peer> {
  if (client === 'libtorrent')
    return startLibtorrent({ role, torrentFile, dir, announceInterval: 2 });
  if (client === 'aria2') return startAria2({ role, torrentFile, dir, announceInterval: 2 });
  return startTransmission({ role, torrentFile, dir });
}

async function fixture(kind: TrackerKind, name: string) {
  const root = await tempDir('interop');
  dirs.push(root);
  const seedDir = path.join(root, 'seed');
  const data = await makeTestData(path.join(seedDir, name), 5 * 1024 * 1024 + 777, name);
  const t = await makeTorrent(data.path, {
    announce: [announceUrl(kind)],
    pieceLength: 256 * 1024,
    output: path.join(root, `${name}.torrent`),
  });
  if (kind === 'opentracker') await ot.allow([t.infoHash]);
  return { root, seedDir, data, t, torrent: await readFile(t.torrentFile) };
}

const cases: Array<[Client, TrackerKind]> = [];
for (const c of ['libtorrent', 'transmission', 'aria2'] as Client[]) {
  for (const k of ['enjambre', 'opentracker'] as TrackerKind[]) cases.push([c, k]);
}

describe.each(cases)('%s through %s tracker', (client, kind) => {
  test(`enjambre downloads from a ${client} seeder`, async () => {
    const f = await fixture(kind, `from-${client}-${kind}.bin`);
    const seeder = await startClient(client, 'seed', f.t.torrentFile, f.seedDir);
    await seeder.waitForComplete(120_000);
    await waitForSwarm(announceUrl(kind), f.t.infoHash, { seeders: 1 }, 60_000);
    const s = await startSession(path.join(f.root, 'enj'));
    sessions.push(s);
    const got = path.join(f.root, 'got');
    const t = await s.add({ torrent: f.torrent }, { downloadDir: got });
    await waitDone(t, 180_000);
    expect(await sha1File(path.join(got, f.t.name))).toBe(f.data.sha1);
    await seeder.stop();
  });
});

// transmission-cli 3.00 as a leecher discards tracker peers at 127.x ("martian" addresses), so it
// needs a seeder that dials it or a real address: transmission-leecher.test.ts covers it, in a
// network namespace and on loopback.
const leechCases = cases.filter(([c]) => c !== 'transmission');

describe.each(leechCases)('%s through %s tracker', (client, kind) => {
  test(`a ${client} leecher downloads from an enjambre seeder`, async () => {
    const f = await fixture(kind, `to-${client}-${kind}.bin`);
    const s = await startSession(path.join(f.root, 'enj'));
    sessions.push(s);
    const t = await s.add({ torrent: f.torrent }, { downloadDir: f.seedDir, seedMode: true });
    expect(t.status().state).toBe('seeding');
    await waitForSwarm(announceUrl(kind), f.t.infoHash, { seeders: 1 }, 60_000);
    const got = path.join(f.root, 'got');
    const leecher = await startClient(client, 'leech', f.t.torrentFile, got);
    await leecher.waitForComplete(180_000);
    expect(await sha1File(path.join(got, f.t.name))).toBe(f.data.sha1);
    expect(t.status().uploadedTotal).toBeGreaterThanOrEqual(f.data.size);
    await leecher.stop();
  });
});

test('swarm: one enjambre seeder, two enjambre leechers and an aria2 leecher all complete', async () => {
  const f = await fixture('enjambre', 'swarm.bin');
  const url = announceUrl('enjambre');
  const seeder = await startSession(path.join(f.root, 'seeder'));
  sessions.push(seeder);
  await seeder.add({ torrent: f.torrent }, { downloadDir: f.seedDir, seedMode: true });
  await waitForSwarm(url, f.t.infoHash, { seeders: 1 }, 60_000);
  const leechers = await Promise.all([1, 2].map((i) => startSession(path.join(f.root, `l${i}`))));
  sessions.push(...leechers);
  const aria = await startAria2({
    role: 'leech',
    torrentFile: f.t.torrentFile,
    dir: path.join(f.root, 'aria'),
    announceInterval: 2,
  });
  const ts = await Promise.all(
    leechers.map((l, i) =>
      l.add({ torrent: f.torrent }, { downloadDir: path.join(f.root, `got${i}`) }),
    ),
  );
  await Promise.all([...ts.map((t) => waitDone(t, 180_000)), aria.waitForComplete(180_000)]);
  for (const dir of ['got0', 'got1', 'aria']) {
    expect(await sha1File(path.join(f.root, dir, f.t.name))).toBe(f.data.sha1);
  }
  await aria.stop();
});

test('magnet link download from a libtorrent seeder (metadata over BEP 9)', async () => {
  const f = await fixture('opentracker', 'magnet-lt.bin');
  const lt = await startLibtorrent({ role: 'seed', torrentFile: f.t.torrentFile, dir: f.seedDir });
  await lt.waitForComplete(120_000);
  await waitForSwarm(ot.httpAnnounce, f.t.infoHash, { seeders: 1 }, 60_000);
  const s = await startSession(path.join(f.root, 'enj'));
  sessions.push(s);
  const got = path.join(f.root, 'got');
  const magnet = `magnet:?xt=urn:btih:${f.t.infoHash}&tr=${encodeURIComponent(ot.httpAnnounce)}`;
  const t = await s.add({ magnet }, { downloadDir: got });
  await waitDone(t, 180_000);
  expect(t.status().name).toBe(f.t.name);
  expect(await sha1File(path.join(got, f.t.name))).toBe(f.data.sha1);
  await lt.stop();
});
