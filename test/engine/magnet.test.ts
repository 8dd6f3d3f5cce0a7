import path from 'node:path';
import { formatMagnet } from '@enjambre/bittorrent';
import { sessionWorkspace, expectSameFiles, makeTorrent, startSession, waitDone } from './helpers';

jest.setTimeout(120_000);

const ws = sessionWorkspace('magnet');

test('a magnet link fetches the metadata over BEP 9 from an enjambre seeder, then the data', async () => {
  const seedDir = path.join(ws.root, 'seed');
  const t = await makeTorrent(
    seedDir,
    'photos',
    [
      { path: ['a', 'one.jpg'], size: 900_000 },
      { path: ['b', 'two.jpg'], size: 1_100_000 },
    ],
    { pieceLength: 32 * 1024 }, // many pieces: the info dict spans several 16 KiB metadata pieces
  );
  const seeder = await startSession(path.join(ws.root, 's'));
  const leecher = await startSession(path.join(ws.root, 'l'));
  ws.sessions.push(seeder, leecher);
  await seeder.add({ torrent: t.torrent }, { downloadDir: seedDir, seedMode: true });
  const magnet = formatMagnet({
    infoHash: t.infoHash,
    name: 'photos',
    peers: [{ host: '127.0.0.1', port: seeder.port }],
  });
  const lt = await leecher.add({ magnet }, { downloadDir: path.join(ws.root, 'got') });
  const gotMetadata = new Promise<void>((resolve) => lt.once('metadata', () => resolve()));
  await gotMetadata;
  expect(lt.status().pieceCount).toBeGreaterThan(0);
  await waitDone(lt);
  await expectSameFiles(t, path.join(ws.root, 'got'), 'photos');
  // the metadata we assembled is the same info dictionary: the .torrent we produce has the hash
  expect(lt.torrentFile()).toBeDefined();
  expect(lt.status().name).toBe('photos');
});
