// Red team, end to end: a real enjambre session downloads from a real seeder (python3-libtorrent)
// into a download folder where symlinks to outside were planted at the torrent's paths. The
// download stops in the error state naming the link, and the test looks at the outside target:
// nothing written, created or deleted there.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encode, parseTorrent } from '@enjambre/bittorrent';
import { makeTestData, makeTorrent, startLibtorrent, stopAll, waitFor } from '../peers';
import { sessionWorkspace, startSession, waitDone } from '../engine/helpers';

jest.setTimeout(120_000);

const ws = sessionWorkspace('sec-e2e');
afterAll(stopAll);

async function listAll(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const p = path.join(e.parentPath ?? e.path, e.name);
    out[path.relative(dir, p)] = e.isFile()
      ? await readFile(p, 'utf8')
      : e.isDirectory()
        ? '/'
        : '?';
  }
  return out;
}

test('a download into planted symlinks writes nothing outside its folder', async () => {
  const seedDir = path.join(ws.root, 'seed');
  for (const [i, rel] of ['a.bin', 'sub/b.bin', 'c.bin'].entries()) {
    await makeTestData(path.join(seedDir, 'evil', rel), 300_000 + i, `evil-${i}`);
  }
  const t = await makeTorrent(path.join(seedDir, 'evil'), {
    announce: [],
    pieceLength: 32 * 1024,
    output: path.join(ws.root, 'evil.torrent'),
  });
  const seeder = await startLibtorrent({ role: 'seed', torrentFile: t.torrentFile, dir: seedDir });
  await seeder.waitForComplete(30_000);

  const outside = path.join(ws.root, 'outside');
  await mkdir(outside);
  await writeFile(path.join(outside, 'b.bin'), 'precious');
  const before = await listAll(outside);
  const dl = path.join(ws.root, 'dl');
  await mkdir(path.join(dl, 'evil'), { recursive: true });
  await symlink(path.join(outside, 'planted'), path.join(dl, 'evil', 'a.bin')); // dangling
  await symlink(outside, path.join(dl, 'evil', 'sub')); // a folder that leads out

  const leecher = await startSession(path.join(ws.root, 'l'));
  ws.sessions.push(leecher);
  const lt = await leecher.add({ torrent: await readFile(t.torrentFile) }, { downloadDir: dl });
  lt.whenDone().catch(() => undefined);
  lt.addPeer(`127.0.0.1:${seeder.port}`);
  await waitFor(() => lt.status().state === 'error', 60_000, 'the error state');
  expect(lt.status().error).toMatch(/symbolic link/);
  expect(lt.status().error).toContain(path.join(dl, 'evil'));
  expect(await listAll(outside)).toEqual(before);

  // a recheck and a restart of the torrent go through the same walk
  await lt.recheck().catch(() => undefined);
  await lt.resume().catch(() => undefined);
  await leecher.remove(lt.infoHash, { deleteData: true });
  expect(await listAll(outside)).toEqual(before);
  await seeder.stop();
});

test('a torrent whose names climb out ("..", absolute) downloads inside its folder only', async () => {
  // names as a hostile .torrent gives them, with the data each file holds
  const hostile: Array<{ path: string[]; data: Buffer }> = [
    { path: ['..', '..', 'escape.bin'], data: randomBytes(70_000) },
    { path: ['/tmp', 'abs.bin'], data: randomBytes(40_000) },
    { path: ['sub', '..', '..', '..', 'deep.bin'], data: randomBytes(50_000) },
    { path: ['..\\..\\win.bin'], data: randomBytes(10_000) },
  ];
  const pieceLength = 32 * 1024;
  const all = Buffer.concat(hostile.map((f) => f.data));
  const pieces = [];
  for (let at = 0; at < all.length; at += pieceLength) {
    pieces.push(
      createHash('sha1')
        .update(all.subarray(at, at + pieceLength))
        .digest(),
    );
  }
  const torrent = encode({
    info: {
      name: 'evil',
      'piece length': pieceLength,
      pieces: Buffer.concat(pieces),
      files: hostile.map((f) => ({ length: f.data.length, path: f.path })),
    },
  });
  const meta = parseTorrent(torrent);
  expect(meta.files.map((f) => f.path.join('/'))).toEqual([
    'escape.bin',
    'tmp/abs.bin',
    'sub/deep.bin',
    '....win.bin',
  ]);
  // the seeder (libtorrent) finds its data where libtorrent sanitizes the names to: the same
  const seedDir = path.join(ws.root, 'seed');
  for (const [i, f] of meta.files.entries()) {
    await mkdir(path.join(seedDir, 'evil', ...f.path.slice(0, -1)), { recursive: true });
    await writeFile(path.join(seedDir, 'evil', ...f.path), hostile[i].data);
  }
  const torrentFile = path.join(ws.root, 'evil.torrent');
  await writeFile(torrentFile, torrent);
  const seeder = await startLibtorrent({ role: 'seed', torrentFile, dir: seedDir });
  await seeder.waitForComplete(30_000);

  const top = path.join(ws.root, 'a', 'b');
  const dl = path.join(top, 'dl');
  await mkdir(dl, { recursive: true });
  const before = await listAll(path.join(ws.root, 'a'));
  const leecher = await startSession(path.join(ws.root, 'l'));
  ws.sessions.push(leecher);
  const lt = await leecher.add({ torrent }, { downloadDir: dl });
  lt.addPeer(`127.0.0.1:${seeder.port}`);
  await waitDone(lt);
  for (const [i, f] of meta.files.entries()) {
    expect(await readFile(path.join(dl, 'evil', ...f.path))).toEqual(hostile[i].data);
  }
  // nothing appeared next to the download folder, above it, or at the absolute path
  const after = await listAll(path.join(ws.root, 'a'));
  expect(Object.keys(after).filter((k) => !k.startsWith(path.join('b', 'dl', 'evil')))).toEqual(
    Object.keys(before),
  );
  await expect(stat('/tmp/abs.bin')).rejects.toThrow();
  await seeder.stop();
});
