// Web seeds beside real peers: python3-libtorrent as the peer, and as a second opinion on the
// BEP 19 URL layout (it fetches from the same server; both must ask for the same files).
import path from 'node:path';
import { startLibtorrent, stopAll, waitFor } from '../peers';
import {
  expectSameFiles,
  makeTorrent,
  sessionWorkspace,
  startSession,
  waitDone,
  type FileSpec,
} from './helpers';
import { startSeedServer } from './webseed-servers';
import { writeFile } from 'node:fs/promises';

jest.setTimeout(180_000);

const ws = sessionWorkspace('webseed-peers');
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
  await stopAll();
});

test('a private torrent: a web seed and a libtorrent seeder together complete it', async () => {
  const served = path.join(ws.root, 'www');
  // slow enough that the peer has its share of the pieces
  const server = await startSeedServer(served, 'range', { bytesPerSecond: 1024 * 1024 });
  closers.push(server.close);
  const files: FileSpec[] = [
    { path: ['a.bin'], size: 2_500_000 },
    { path: ['sub', 'b.bin'], size: 1_700_001 },
  ];
  const t = await makeTorrent(served, 'set', files, {
    pieceLength: 64 * 1024,
    private: true,
    urlList: [server.url],
  });
  const torrentFile = path.join(ws.root, 'set.torrent');
  await writeFile(torrentFile, t.torrent);
  const seeder = await startLibtorrent({ role: 'seed', torrentFile, dir: served });
  await waitFor(async () => (await seeder.status()).progress === 1, 60_000, 'libtorrent seeding');
  const session = await startSession(path.join(ws.root, 'l'));
  ws.sessions.push(session);
  const dir = path.join(ws.root, 'got');
  const lt = await session.add({ torrent: t.torrent }, { downloadDir: dir });
  lt.addPeer(`127.0.0.1:${seeder.port}`);
  await waitDone(lt);
  await expectSameFiles(t, dir, 'set');
  const st = lt.status();
  const fromSeed = st.webSeeds[0].downloaded;
  expect(fromSeed).toBeGreaterThan(0);
  expect(st.downloadedTotal - fromSeed).toBeGreaterThan(0); // the rest came from the peer
});

test('libtorrent and enjambre ask a web seed for the same files (BEP 19 layout)', async () => {
  const served = path.join(ws.root, 'www');
  const server = await startSeedServer(served, 'range');
  closers.push(server.close);
  const files: FileSpec[] = [
    { path: ['cd 1', 'track #1 (live).flac'], size: 100_000 },
    { path: ['ñandú 100%', 'a+b=c;d,e.txt'], size: 40_000 },
    { path: ["it's [x] {y}.bin"], size: 30_000 },
  ];
  const t = await makeTorrent(served, 'Álbum & more', files, {
    pieceLength: 16 * 1024,
    urlList: [server.url.slice(0, -1)],
  });
  const torrentFile = path.join(ws.root, 'album.torrent');
  await writeFile(torrentFile, t.torrent);
  const ltDir = path.join(ws.root, 'lt');
  const leecher = await startLibtorrent({ role: 'leech', torrentFile, dir: ltDir });
  await waitFor(async () => (await leecher.status()).progress === 1, 60_000, 'libtorrent done');
  await expectSameFiles(t, ltDir, 'Álbum & more');
  const byLibtorrent = new Set(server.requests.map((r) => r.path));
  server.requests.length = 0;

  const session = await startSession(path.join(ws.root, 'l'));
  ws.sessions.push(session);
  const dir = path.join(ws.root, 'got');
  const lt = await session.add({ torrent: t.torrent }, { downloadDir: dir });
  await waitDone(lt);
  await expectSameFiles(t, dir, 'Álbum & more');
  const byUs = new Set(server.requests.map((r) => r.path));
  expect([...byUs].sort()).toEqual([...byLibtorrent].sort());
  expect(byUs.size).toBe(files.length);
});
