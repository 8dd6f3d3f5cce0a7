import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { sessionWorkspace, expectSameFiles, makeTorrent, startSession, waitDone } from './helpers';

jest.setTimeout(120_000);

const ws = sessionWorkspace('prio');

test('skipped files are not downloaded beyond the pieces they share with wanted files', async () => {
  const seedDir = path.join(ws.root, 'seed');
  const pl = 64 * 1024;
  const t = await makeTorrent(
    seedDir,
    'mix',
    [
      { path: ['wanted1.bin'], size: 300_000 },
      { path: ['skipped.bin'], size: 1_000_000 },
      { path: ['wanted2.bin'], size: 200_000 },
    ],
    { pieceLength: pl },
  );
  const seeder = await startSession(path.join(ws.root, 's'));
  const leecher = await startSession(path.join(ws.root, 'l'));
  ws.sessions.push(seeder, leecher);
  await seeder.add({ torrent: t.torrent }, { downloadDir: seedDir, seedMode: true });
  const got = path.join(ws.root, 'got');
  const lt = await leecher.add(
    { torrent: t.torrent },
    { downloadDir: got, filePriorities: [1, 0, 2] },
  );
  lt.addPeer(`127.0.0.1:${seeder.port}`);
  await waitDone(lt);
  const files = lt.files();
  expect(files[0].downloaded).toBe(300_000);
  expect(files[2].downloaded).toBe(200_000);
  // only the two pieces at the skipped file's edges (shared with wanted files) were fetched
  const sharedBytes = pl - (300_000 % pl) + ((300_000 + 1_000_000) % pl);
  expect(files[1].downloaded).toBe(sharedBytes);
  const status = lt.status();
  expect(status.wantedSize).toBe(500_000);
  expect(status.progress).toBe(1);
  expect(status.downloadedTotal).toBeLessThanOrEqual(500_000 + 2 * pl);
  await expectSameFiles({ ...t, files: [t.files[0], t.files[2]] }, got, 'mix');

  // asking for the skipped file later fetches it too
  lt.setFilePriority(1, 1);
  await waitDone(lt);
  await expectSameFiles(t, got, 'mix');
});

test('recheck finds data corrupted on disk and the torrent downloads it again', async () => {
  const seedDir = path.join(ws.root, 'seed');
  const t = await makeTorrent(seedDir, 'doc.bin', 1_000_000, { pieceLength: 64 * 1024 });
  const seeder = await startSession(path.join(ws.root, 's'));
  const leecher = await startSession(path.join(ws.root, 'l'));
  ws.sessions.push(seeder, leecher);
  await seeder.add({ torrent: t.torrent }, { downloadDir: seedDir, seedMode: true });
  const got = path.join(ws.root, 'got');
  const lt = await leecher.add({ torrent: t.torrent }, { downloadDir: got });
  lt.addPeer(`127.0.0.1:${seeder.port}`);
  await waitDone(lt);

  await lt.pause();
  const fh = await open(path.join(got, 'doc.bin'), 'r+');
  await fh.write(Buffer.from('garbage!'), 0, 8, 5 * 64 * 1024 + 100); // inside piece 5
  await fh.close();
  await lt.recheck();
  expect(lt.status().state).toBe('paused');
  const bits = lt.bitfield();
  expect(bits[0] & (0x80 >> 5)).toBe(0);
  expect(lt.status().progress).toBeLessThan(1);
  await lt.resume();
  await waitDone(lt);
  await expectSameFiles(t, got, 'doc.bin', true);
  expect((await stat(path.join(got, 'doc.bin'))).size).toBe(1_000_000);
});
