import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseTorrent } from '@enjambre/bittorrent';
import { CreateFromPathError, createTorrentFromPath } from './create-from-path';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'enjambre-create-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function piecesOf(data: Buffer, pieceLength: number): Buffer {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += pieceLength) {
    out.push(
      createHash('sha1')
        .update(data.subarray(at, at + pieceLength))
        .digest(),
    );
  }
  return Buffer.concat(out);
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof CreateFromPathError) return e.code;
    throw e;
  }
  throw new Error('expected a CreateFromPathError');
}

test('single file: pieces match the data, dataDir is its folder', async () => {
  const data = randomBytes(300_000);
  const file = path.join(tmp, 'single.bin');
  await writeFile(file, data);
  const r = await createTorrentFromPath(file, { pieceLength: 32768, readSize: 65536 });
  expect(r.metainfo.name).toBe('single.bin');
  expect(r.metainfo.multiFile).toBe(false);
  expect(r.metainfo.pieces).toEqual(piecesOf(data, 32768));
  expect(r.dataDir).toBe(tmp);
  expect(parseTorrent(r.torrent).infoHash).toBe(r.metainfo.infoHash);
});

test('folder: sorted walk, hidden and nested files, symlinks inside, deterministic', async () => {
  const root = path.join(tmp, 'tree');
  await mkdir(path.join(root, 'b', 'deep'), { recursive: true });
  await mkdir(path.join(root, 'empty-dir'));
  const files: [string, Buffer][] = [
    ['.hidden', randomBytes(5000)],
    ['B.txt', randomBytes(70_000)],
    ['a.txt', randomBytes(1)],
    ['b/deep/z.bin', randomBytes(100_000)],
    ['b/zero', Buffer.alloc(0)],
    ['ñ.txt', randomBytes(20_000)],
  ];
  for (const [rel, data] of files) await writeFile(path.join(root, rel), data);
  await symlink(path.join(root, 'a.txt'), path.join(root, 'link-to-a'));

  const progress: number[] = [];
  const r = await createTorrentFromPath(root, {
    pieceLength: 16384,
    announce: ['http://t/announce'],
    onProgress: (n) => progress.push(n),
  });
  // byte order: '.' < 'B' < 'a' < 'b' < 'l' < 'ñ' (0xc3)
  const order = ['.hidden', 'B.txt', 'a.txt', 'b/deep/z.bin', 'b/zero', 'link-to-a', 'ñ.txt'];
  expect(r.metainfo.files.map((f) => f.path.join('/'))).toEqual(order);
  const bytes = new Map(files);
  bytes.set('link-to-a', bytes.get('a.txt')!);
  const all = Buffer.concat(order.map((p) => bytes.get(p)!));
  expect(r.metainfo.totalLength).toBe(all.length);
  expect(r.metainfo.pieces).toEqual(piecesOf(all, 16384));
  expect(progress[progress.length - 1]).toBe(all.length);

  const again = await createTorrentFromPath(root, {
    pieceLength: 16384,
    announce: ['http://t/announce'],
    threads: 2,
    readSize: 20000,
  });
  expect(again.torrent).toEqual(r.torrent);
});

test('refuses what it cannot share faithfully', async () => {
  const outside = path.join(tmp, 'outside.txt');
  await writeFile(outside, 'secret');

  const escaping = path.join(tmp, 'escaping');
  await mkdir(escaping);
  await writeFile(path.join(escaping, 'ok'), 'x');
  await symlink(outside, path.join(escaping, 'leak'));
  expect(await codeOf(createTorrentFromPath(escaping))).toBe('symlink-escapes');

  const dirLink = path.join(tmp, 'dirlink');
  await mkdir(path.join(dirLink, 'sub'), { recursive: true });
  await writeFile(path.join(dirLink, 'sub', 'f'), 'x');
  await symlink(path.join(dirLink, 'sub'), path.join(dirLink, 'loop'));
  expect(await codeOf(createTorrentFromPath(dirLink))).toBe('symlink-not-file');

  const broken = path.join(tmp, 'broken');
  await mkdir(broken);
  await symlink(path.join(tmp, 'nowhere'), path.join(broken, 'dangling'));
  expect(await codeOf(createTorrentFromPath(broken))).toBe('broken-symlink');

  const badName = path.join(tmp, 'badname');
  await mkdir(badName);
  await writeFile(path.join(badName, 'a:b'), 'x');
  expect(await codeOf(createTorrentFromPath(badName))).toBe('unsafe-name');

  const fifo = path.join(tmp, 'fifo');
  await mkdir(fifo);
  execFileSync('mkfifo', [path.join(fifo, 'pipe')]);
  expect(await codeOf(createTorrentFromPath(fifo))).toBe('special-file');

  const empty = path.join(tmp, 'emptyfolder');
  await mkdir(empty);
  expect(await codeOf(createTorrentFromPath(empty))).toBe('empty');

  const zero = path.join(tmp, 'zero.bin');
  await writeFile(zero, '');
  await expect(createTorrentFromPath(zero)).rejects.toThrow(/no data/);
});

test('can be aborted', async () => {
  const file = path.join(tmp, 'abort.bin');
  await writeFile(file, randomBytes(200_000));
  const ac = new AbortController();
  const p = createTorrentFromPath(file, {
    pieceLength: 16384,
    readSize: 16384,
    onProgress: () => ac.abort(),
    threads: 0,
    signal: ac.signal,
  });
  await expect(p).rejects.toThrow(/abort/i);
});

test('worker threads give the same torrent as the calling thread, and can be aborted', async () => {
  const data = randomBytes(1_000_000);
  const file = path.join(tmp, 'threads.bin');
  await writeFile(file, data);
  const inline = await createTorrentFromPath(file, { pieceLength: 16384, threads: 0 });
  const progress: number[] = [];
  const pooled = await createTorrentFromPath(file, {
    pieceLength: 16384,
    threads: 3,
    readSize: 50000,
    onProgress: (n) => progress.push(n),
  });
  expect(pooled.torrent).toEqual(inline.torrent);
  expect(pooled.metainfo.pieces).toEqual(piecesOf(data, 16384));
  expect(Math.max(...progress)).toBe(data.length);

  const ac = new AbortController();
  const aborted = createTorrentFromPath(file, {
    pieceLength: 16384,
    threads: 2,
    readSize: 16384,
    signal: ac.signal,
    onProgress: () => ac.abort(),
  });
  await expect(aborted).rejects.toThrow(/abort/i);

  const throwing = createTorrentFromPath(file, {
    threads: 2,
    onProgress: () => {
      throw new Error('progress callback failed');
    },
  });
  await expect(throwing).rejects.toThrow('progress callback failed');
});
