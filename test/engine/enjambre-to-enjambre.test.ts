import path from 'node:path';
import type { Session } from '@enjambre/engine';
import {
  expectSameFiles,
  makeTorrent,
  removeDir,
  startSession,
  tempDir,
  waitDone,
} from './helpers';

jest.setTimeout(120_000);

let root: string;
const sessions: Session[] = [];
beforeEach(async () => {
  root = await tempDir('e2e');
});
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  await removeDir(root);
});

test('single file: enjambre seeder to enjambre leecher, direct connection', async () => {
  const seedDir = path.join(root, 'seed');
  const t = await makeTorrent(seedDir, 'movie.bin', 3 * 1024 * 1024 + 12345, {
    pieceLength: 256 * 1024,
  });
  const seeder = await startSession(path.join(root, 's'));
  const leecher = await startSession(path.join(root, 'l'));
  sessions.push(seeder, leecher);
  const st = await seeder.add({ torrent: t.torrent }, { downloadDir: seedDir, seedMode: true });
  expect(st.status().state).toBe('seeding');
  const lt = await leecher.add({ torrent: t.torrent }, { downloadDir: path.join(root, 'got') });
  lt.addPeer(`127.0.0.1:${seeder.port}`);
  await waitDone(lt);
  await expectSameFiles(t, path.join(root, 'got'), 'movie.bin', true);
  expect(lt.status().progress).toBe(1);
  expect(lt.status().state).toBe('seeding');
});

test('multi-file with nested folders, the seeder connects to the leecher (incoming side)', async () => {
  const seedDir = path.join(root, 'seed');
  const t = await makeTorrent(
    seedDir,
    'album',
    [
      { path: ['cd1', 'track1.flac'], size: 700_000 },
      { path: ['cd1', 'track2.flac'], size: 1_300_001 },
      { path: ['cd2', 'deep', 'er', 'x.bin'], size: 33 },
      { path: ['cover.jpg'], size: 200_000 },
    ],
    { pieceLength: 64 * 1024 },
  );
  const seeder = await startSession(path.join(root, 's'));
  const leecher = await startSession(path.join(root, 'l'));
  sessions.push(seeder, leecher);
  const lt = await leecher.add({ torrent: t.torrent }, { downloadDir: path.join(root, 'got') });
  const st = await seeder.add({ torrent: t.torrent }, { downloadDir: seedDir, seedMode: true });
  st.addPeer(`127.0.0.1:${leecher.port}`);
  await waitDone(lt);
  await expectSameFiles(t, path.join(root, 'got'), 'album');
  expect(lt.files().every((f) => f.downloaded === f.length)).toBe(true);
});
