import { randomBytes, createHash } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, symlink, mkdir, writeFile } from 'node:fs/promises';
import { closeSync, openSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { metaFromFiles } from '../test-meta';
import { pieceSize } from '../meta';
import { FileStorage } from './file-storage';
import { joinInside } from './safe-path';
import { WorkerHasher, SyncHasher, TimedHasher, allocPieceBuffer } from './hasher';
import { createIoStats } from '../util/io-stats';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ej-storage-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('multi-file torrent with nested folders and a pad file round-trips piece by piece', async () => {
  const { meta, data } = metaFromFiles(
    'album',
    [
      { path: ['a.bin'], data: randomBytes(10_000) },
      { path: ['.pad', '6384'], data: Buffer.alloc(6384), pad: true },
      { path: ['sub', 'deeper', 'b.bin'], data: randomBytes(40_000) },
      { path: ['empty.txt'], data: Buffer.alloc(0) },
      { path: ['c.bin'], data: randomBytes(5) },
    ],
    16384,
  );
  const st = new FileStorage(meta, { downloadDir: dir });
  for (let i = meta.pieceCount - 1; i >= 0; i--) {
    const off = i * meta.pieceLength;
    await st.writePiece(i, Buffer.from(data.subarray(off, off + pieceSize(meta, i))));
  }
  expect(await readFile(path.join(dir, 'album', 'a.bin'))).toEqual(data.subarray(0, 10_000));
  expect(await readFile(path.join(dir, 'album', 'sub', 'deeper', 'b.bin'))).toEqual(
    data.subarray(16384, 56384),
  );
  expect(await readFile(path.join(dir, 'album', 'c.bin'))).toEqual(data.subarray(56384));
  await expect(stat(path.join(dir, 'album', '.pad'))).rejects.toThrow();
  for (let i = 0; i < meta.pieceCount; i++) {
    const piece = await st.readPiece(i);
    expect(createHash('sha1').update(piece).digest()).toEqual(
      meta.pieceHashes.subarray(i * 20, i * 20 + 20),
    );
  }
  expect(await st.readBlock(1, 100, 50)).toEqual(data.subarray(16384 + 100, 16384 + 150));
  const stats = await st.fileStats();
  expect(stats[1]).toBeNull();
  expect(stats[2]?.size).toBe(40_000);
  await st.deleteData();
  await expect(stat(path.join(dir, 'album'))).rejects.toThrow();
  await st.close();
});

test('files are created sparse at their full length on the first write', async () => {
  const { meta, data } = metaFromFiles(
    'one.bin',
    [{ path: ['one.bin'], data: randomBytes(100_000) }],
    32768,
    true,
  );
  const st = new FileStorage(meta, { downloadDir: dir });
  await st.writePiece(3, Buffer.from(data.subarray(3 * 32768)));
  const s = await stat(path.join(dir, 'one.bin'));
  expect(s.size).toBe(100_000);
  expect((await st.readPiece(0)).equals(Buffer.alloc(32768))).toBe(true);
  await st.close();
});

test('hostile paths are refused', () => {
  expect(() => joinInside(dir, ['..', 'x'])).toThrow(/unsafe/);
  expect(() => joinInside(dir, ['a/../../b'])).toThrow(/unsafe/);
  expect(() => joinInside(dir, ['a\0b'])).toThrow(/unsafe/);
  expect(joinInside(dir, ['a', 'b'])).toBe(path.join(dir, 'a', 'b'));
});

test('a symlinked folder that leaves the download folder is refused', async () => {
  const outside = await mkdtemp(path.join(os.tmpdir(), 'ej-outside-'));
  try {
    await mkdir(path.join(dir, 'evil'), { recursive: true });
    await symlink(outside, path.join(dir, 'evil', 'sub'));
    const { meta, data } = metaFromFiles(
      'evil',
      [{ path: ['sub', 'x.bin'], data: randomBytes(1000) }],
      16384,
    );
    const st = new FileStorage(meta, { downloadDir: dir });
    await expect(st.writePiece(0, Buffer.from(data))).rejects.toThrow(/symbolic link/);
    await expect(stat(path.join(outside, 'x.bin'))).rejects.toThrow();
    await st.close();
  } finally {
    await rm(outside, { recursive: true, force: true });
  }
});

test('write errors surface (EACCES on a read-only folder)', async () => {
  if (process.getuid?.() === 0) {
    // root ignores permissions; use a path under a regular file instead (ENOTDIR)
    const { meta } = metaFromFiles('f', [{ path: ['x'], data: randomBytes(10) }], 16384);
    await writeFile(path.join(dir, 'f'), 'not a folder');
    const st = new FileStorage(meta, { downloadDir: dir });
    await expect(st.writePiece(0, randomBytes(10))).rejects.toThrow();
    await st.close();
    return;
  }
  await chmod(dir, 0o500);
  const { meta } = metaFromFiles('f', [{ path: ['x'], data: randomBytes(10) }], 16384);
  const st = new FileStorage(meta, { downloadDir: dir });
  await expect(st.writePiece(0, randomBytes(10))).rejects.toThrow(/EACCES/);
  await chmod(dir, 0o700);
  await st.close();
});

test('worker hasher matches the main-thread hash and hands the buffer back', async () => {
  const h = new WorkerHasher(2);
  const s = new SyncHasher();
  try {
    const bufs = Array.from({ length: 8 }, () => {
      const b = allocPieceBuffer(256 * 1024);
      randomBytes(256 * 1024).copy(b);
      return b;
    });
    const want = bufs.map((b) => createHash('sha1').update(b).digest());
    const copies = bufs.map((b) => Buffer.from(b));
    const got = await Promise.all(bufs.map((b) => h.hash(b)));
    got.forEach((r, i) => {
      expect(r.digest).toEqual(want[i]);
      expect(r.buf.equals(copies[i])).toBe(true);
    });
    // a slice of a shared buffer is copied, not transferred
    const big = randomBytes(1000);
    const r = await h.hash(big.subarray(10, 500));
    expect(r.digest).toEqual((await s.hash(big.subarray(10, 500))).digest);
  } finally {
    await h.close();
  }
});

test('piece reads and writes are counted in the session stats', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ej-stats-'));
  try {
    const { meta, data } = metaFromFiles(
      'stats.bin',
      [{ path: ['stats.bin'], data: randomBytes(40_000) }],
      16384,
      true,
    );
    const stats = createIoStats();
    const st = new FileStorage(meta, { downloadDir: dir, stats });
    const piece0 = data.subarray(0, pieceSize(meta, 0));
    await st.writePiece(0, piece0);
    expect(await st.readPiece(0)).toEqual(piece0);
    expect(stats.diskWrite).toMatchObject({ bytes: piece0.length, operations: 1 });
    expect(stats.diskRead).toMatchObject({ bytes: piece0.length, operations: 1 });
    expect(stats.diskWrite.seconds).toBeGreaterThan(0);
    await st.close();

    const hasher = new TimedHasher(new SyncHasher(), stats);
    const { digest } = await hasher.hash(Buffer.from(piece0));
    expect(digest).toEqual(createHash('sha1').update(piece0).digest());
    expect(stats.hash).toMatchObject({ bytes: piece0.length, operations: 1 });

    // verify-and-write counts its hashing as hashing and its writes as disk writes
    const st2 = new FileStorage(meta, { downloadDir: dir });
    const piece1 = data.subarray(pieceSize(meta, 0), pieceSize(meta, 0) + pieceSize(meta, 1));
    const r = await st2.withWriteTargets(1, piece1.length, (targets) =>
      hasher.verifyAndWrite(
        Buffer.from(piece1),
        createHash('sha1').update(piece1).digest(),
        targets,
      ),
    );
    expect(r.ok).toBe(true);
    expect(stats.hash).toMatchObject({ bytes: piece0.length + piece1.length, operations: 2 });
    expect(stats.diskWrite).toMatchObject({ bytes: piece0.length + piece1.length, operations: 2 });
    await st2.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

describe('verify and write on the hashing thread', () => {
  // a piece across three files (one a pad file), so it has two write targets
  const files = () =>
    metaFromFiles(
      'vw',
      [
        { path: ['a.bin'], data: randomBytes(20_000) },
        { path: ['.pad', '1'], data: Buffer.alloc(1000), pad: true },
        { path: ['b.bin'], data: randomBytes(40_000) },
      ],
      65536,
    );

  for (const [name, make] of [
    ['worker pool', () => new WorkerHasher(2)],
    ['main thread', () => new SyncHasher()],
  ] as const) {
    test(`${name}: a matching piece is written to every file it spans, a bad one nowhere`, async () => {
      const { meta, data } = files();
      const st = new FileStorage(meta, { downloadDir: dir });
      const h = make();
      try {
        const size = pieceSize(meta, 0);
        const good = allocPieceBuffer(size);
        data.copy(good, 0, 0, size);
        const expected = createHash('sha1').update(good).digest();
        const bad = allocPieceBuffer(size);
        data.copy(bad, 0, 0, size);
        bad[30_000] ^= 1; // in b.bin's span

        const r1 = await st.withWriteTargets(0, size, (targets) => {
          expect(targets).toHaveLength(2);
          return h.verifyAndWrite(bad, expected, targets);
        });
        expect(r1.ok).toBe(false);
        expect(r1.buf[30_000]).toBe(data[30_000] ^ 1);
        // created sparse by prepare, but nothing written: all zeros
        expect((await readFile(st.filePath(0))).equals(Buffer.alloc(20_000))).toBe(true);

        const r2 = await st.withWriteTargets(0, size, (targets) =>
          h.verifyAndWrite(good, expected, targets),
        );
        expect(r2.ok).toBe(true);
        expect(r2.buf.equals(data.subarray(0, size))).toBe(true);
        expect(await readFile(st.filePath(0))).toEqual(data.subarray(0, 20_000));
        expect((await readFile(st.filePath(2))).subarray(0, size - 21_000)).toEqual(
          data.subarray(21_000, size),
        );
        expect(await st.readPiece(0)).toEqual(data.subarray(0, size));
      } finally {
        await h.close();
        await st.close();
      }
    });
  }

  test('a write error rejects with its code and the pool keeps working', async () => {
    const { meta, data } = files();
    const h = new WorkerHasher(1);
    const size = pieceSize(meta, 0);
    const piece = Buffer.from(data.subarray(0, size));
    const expected = createHash('sha1').update(piece).digest();
    const file = path.join(dir, 'ro.bin');
    await writeFile(file, '');
    const ro = openSync(file, 'r');
    try {
      await expect(
        h.verifyAndWrite(piece, expected, [{ fd: ro, offset: 0, length: size, position: 0 }]),
      ).rejects.toMatchObject({ code: 'EBADF' });
      const again = Buffer.from(data.subarray(0, size));
      expect((await h.hash(again)).digest).toEqual(expected);
    } finally {
      closeSync(ro);
      await h.close();
    }
  });
});
