import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { waitFor } from '../peers';
import { makeTorrent, sessionWorkspace, startSession, waitDone } from './helpers';

jest.setTimeout(120_000);

const ws = sessionWorkspace('err');

test('a file that cannot be written puts the torrent (not the process) in the error state', async () => {
  const seedDir = path.join(ws.root, 'seed');
  const t = await makeTorrent(seedDir, 'pack', [{ path: ['sub', 'a.bin'], size: 300_000 }], {
    pieceLength: 64 * 1024,
  });
  const seeder = await startSession(path.join(ws.root, 's'));
  const leecher = await startSession(path.join(ws.root, 'l'));
  ws.sessions.push(seeder, leecher);
  await seeder.add({ torrent: t.torrent }, { downloadDir: seedDir, seedMode: true });
  const got = path.join(ws.root, 'got');
  await mkdir(path.join(got, 'pack'), { recursive: true });
  await writeFile(path.join(got, 'pack', 'sub'), 'a file where the torrent needs a folder');
  const lt = await leecher.add({ torrent: t.torrent }, { downloadDir: got, skipCheck: true });
  const done = lt.whenDone();
  lt.addPeer(`127.0.0.1:${seeder.port}`);
  await expect(done).rejects.toThrow();
  await waitFor(() => lt.status().state === 'error', 30_000, 'error state');
  expect(lt.status().error).toMatch(/folder|ENOTDIR|EEXIST|file/i);
  // the session is still alive and serves other torrents
  const other = await makeTorrent(seedDir, 'ok.bin', 100_000, { pieceLength: 32 * 1024 });
  await seeder.add({ torrent: other.torrent }, { downloadDir: seedDir, seedMode: true });
  const ot = await leecher.add(
    { torrent: other.torrent },
    { downloadDir: path.join(ws.root, 'got2') },
  );
  ot.addPeer(`127.0.0.1:${seeder.port}`);
  await waitDone(ot);
});

test('a bad .torrent is refused with a clear error', async () => {
  const s = await startSession(path.join(ws.root, 's'));
  ws.sessions.push(s);
  await expect(s.add({ torrent: Buffer.from('d4:infoi1ee') })).rejects.toThrow(/info/);
  await expect(s.add({ magnet: 'magnet:?xt=urn:btih:nothex' })).rejects.toThrow();
  await expect(s.add({ infoHash: 'xyz' })).rejects.toThrow(/40 hex/);
});

test('createFileReadStream streams a byte range, fetching its pieces first', async () => {
  const seedDir = path.join(ws.root, 'seed');
  const t = await makeTorrent(
    seedDir,
    'media',
    [
      { path: ['intro.txt'], size: 50_000 },
      { path: ['video.bin'], size: 2_000_000 },
    ],
    { pieceLength: 64 * 1024 },
  );
  const seeder = await startSession(path.join(ws.root, 's'), { uploadRateLimit: 2 * 1024 * 1024 });
  const leecher = await startSession(path.join(ws.root, 'l'));
  ws.sessions.push(seeder, leecher);
  await seeder.add({ torrent: t.torrent }, { downloadDir: seedDir, seedMode: true });
  const lt = await leecher.add({ torrent: t.torrent }, { downloadDir: path.join(ws.root, 'got') });
  lt.addPeer(`127.0.0.1:${seeder.port}`);
  const start = 1_500_000;
  const end = 1_700_000;
  const chunks: Buffer[] = [];
  for await (const c of lt.createFileReadStream(1, { start, end })) chunks.push(c as Buffer);
  expect(Buffer.concat(chunks).equals(t.files[1].data.subarray(start, end + 1))).toBe(true);
  await waitDone(lt);
});
