import path from 'node:path';
import { formatMagnet } from '@enjambre/bittorrent';
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
  root = await tempDir('magnet');
});
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  await removeDir(root);
});

test('a magnet link fetches the metadata over BEP 9 from an enjambre seeder, then the data', async () => {
  const seedDir = path.join(root, 'seed');
  const t = await makeTorrent(
    seedDir,
    'photos',
    [
      { path: ['a', 'one.jpg'], size: 900_000 },
      { path: ['b', 'two.jpg'], size: 1_100_000 },
    ],
    { pieceLength: 32 * 1024 }, // many pieces: the info dict spans several 16 KiB metadata pieces
  );
  const seeder = await startSession(path.join(root, 's'));
  const leecher = await startSession(path.join(root, 'l'));
  sessions.push(seeder, leecher);
  await seeder.add({ torrent: t.torrent }, { downloadDir: seedDir, seedMode: true });
  const magnet = formatMagnet({
    infoHash: t.infoHash,
    name: 'photos',
    peers: [{ host: '127.0.0.1', port: seeder.port }],
  });
  const lt = await leecher.add({ magnet }, { downloadDir: path.join(root, 'got') });
  const gotMetadata = new Promise<void>((resolve) => lt.once('metadata', () => resolve()));
  await gotMetadata;
  expect(lt.status().pieceCount).toBeGreaterThan(0);
  await waitDone(lt);
  await expectSameFiles(t, path.join(root, 'got'), 'photos');
  // the metadata we assembled is the same info dictionary: the .torrent we produce has the hash
  expect(lt.torrentFile()).toBeDefined();
  expect(lt.status().name).toBe('photos');
});
