import path from 'node:path';
import type { Torrent } from '@enjambre/engine';
import { sessionWorkspace, expectSameFiles, makeTorrent, startSession, waitDone } from './helpers';

jest.setTimeout(120_000);

const ws = sessionWorkspace('e2e');

/** Polls until the torrent reports no traffic; fails with the last rates after `ms`. */
async function ratesFallToZero(t: Torrent, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const { downloadRate, uploadRate } = t.status();
    const peerRates = t.peers().map((p) => p.downloadRate + p.uploadRate);
    if (downloadRate === 0 && uploadRate === 0 && peerRates.every((r) => r === 0)) return;
    if (Date.now() > until)
      throw new Error(`rates still ${downloadRate}/${uploadRate} (peers ${peerRates.join(',')})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('single file: enjambre seeder to enjambre leecher, direct connection', async () => {
  const seedDir = path.join(ws.root, 'seed');
  const t = await makeTorrent(seedDir, 'movie.bin', 3 * 1024 * 1024 + 12345, {
    pieceLength: 256 * 1024,
  });
  const seeder = await startSession(path.join(ws.root, 's'));
  const leecher = await startSession(path.join(ws.root, 'l'));
  ws.sessions.push(seeder, leecher);
  const st = await seeder.add({ torrent: t.torrent }, { downloadDir: seedDir, seedMode: true });
  expect(st.status().state).toBe('seeding');
  const lt = await leecher.add({ torrent: t.torrent }, { downloadDir: path.join(ws.root, 'got') });
  lt.addPeer(`127.0.0.1:${seeder.port}`);
  await waitDone(lt);
  await expectSameFiles(t, path.join(ws.root, 'got'), 'movie.bin', true);
  expect(lt.status().progress).toBe(1);
  expect(lt.status().state).toBe('seeding');
  // the transfer is over: both sides stop reporting its rate (no stale "638 KiB/s" while idle)
  await ratesFallToZero(lt);
  await ratesFallToZero(st);
});

test('an interested peer takes a free upload slot at once, without a choking round', async () => {
  const seedDir = path.join(ws.root, 'seed');
  const t = await makeTorrent(seedDir, 'movie.bin', 1024 * 1024 + 7, { pieceLength: 64 * 1024 });
  // no choking round runs during the test: only Choker.onInterested can unchoke the leecher
  const hour = 3_600_000;
  const seeder = await startSession(path.join(ws.root, 's'), { chokeIntervalMs: hour });
  const leecher = await startSession(path.join(ws.root, 'l'), { chokeIntervalMs: hour });
  ws.sessions.push(seeder, leecher);
  await seeder.add({ torrent: t.torrent }, { downloadDir: seedDir, seedMode: true });
  const lt = await leecher.add({ torrent: t.torrent }, { downloadDir: path.join(ws.root, 'got') });
  lt.addPeer(`127.0.0.1:${seeder.port}`);
  await waitDone(lt);
  await expectSameFiles(t, path.join(ws.root, 'got'), 'movie.bin', true);
});

test('multi-file with nested folders, the seeder connects to the leecher (incoming side)', async () => {
  const seedDir = path.join(ws.root, 'seed');
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
  const seeder = await startSession(path.join(ws.root, 's'));
  const leecher = await startSession(path.join(ws.root, 'l'));
  ws.sessions.push(seeder, leecher);
  const lt = await leecher.add({ torrent: t.torrent }, { downloadDir: path.join(ws.root, 'got') });
  const st = await seeder.add({ torrent: t.torrent }, { downloadDir: seedDir, seedMode: true });
  st.addPeer(`127.0.0.1:${leecher.port}`);
  await waitDone(lt);
  await expectSameFiles(t, path.join(ws.root, 'got'), 'album');
  expect(lt.files().every((f) => f.downloaded === f.length)).toBe(true);
});
