// Red team: a download folder with traps laid in it (symlinks that lead out, swapped in after the
// first open) and torrents that name paths outside. The engine's storage must write, create,
// read and delete nothing outside the download folder; each test looks at the outside target.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FileStorage } from '../../client/engine/src/storage/file-storage';
import { FdCache } from '../../client/engine/src/storage/fd-cache';
import { metaFromFiles } from '../../client/engine/src/test-meta';
import { pieceSize } from '../../client/engine/src/meta';
import { removeDir, tempDir } from '../peers/util';

let dl: string;
let outside: string;
beforeEach(async () => {
  dl = await tempDir('ej-sec-dl-');
  outside = await tempDir('ej-sec-outside-');
  await writeFile(path.join(outside, 'victim'), 'precious');
});
afterEach(async () => {
  await removeDir(dl);
  await removeDir(outside);
});

/** What the attacker's target holds now: every file under `outside`, with its contents. */
async function outsideState(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p, `${rel}${e.name}/`);
      else out[rel + e.name] = await readFile(p, 'utf8');
    }
  };
  await walk(outside, '');
  return out;
}
const untouched = { victim: 'precious' };

function album() {
  return metaFromFiles(
    'album',
    [
      { path: ['a.bin'], data: randomBytes(20_000) },
      { path: ['sub', 'b.bin'], data: randomBytes(20_000) },
    ],
    16384,
  );
}

async function writeAll(st: FileStorage, meta: ReturnType<typeof album>['meta'], data: Buffer) {
  const results = [];
  for (let i = 0; i < meta.pieceCount; i++) {
    const off = i * meta.pieceLength;
    results.push(
      await st.writePiece(i, Buffer.from(data.subarray(off, off + pieceSize(meta, i)))).then(
        () => 'ok',
        (err: Error) => err.message,
      ),
    );
  }
  return results;
}

test('a dangling symlink at a file path: the write is refused, its target never created', async () => {
  const { meta, data } = album();
  await mkdir(path.join(dl, 'album'));
  await symlink(path.join(outside, 'planted'), path.join(dl, 'album', 'a.bin'));
  const st = new FileStorage(meta, { downloadDir: dl });
  const results = await writeAll(st, meta, data);
  expect(results.some((r) => /symbolic link/.test(r))).toBe(true);
  await st.close();
  expect(await outsideState()).toEqual(untouched);
});

test('a symlink at a file path to an existing file outside: never written, truncated or read', async () => {
  const { meta, data } = album();
  await mkdir(path.join(dl, 'album'));
  await symlink(path.join(outside, 'victim'), path.join(dl, 'album', 'a.bin'));
  const st = new FileStorage(meta, { downloadDir: dl });
  await writeAll(st, meta, data);
  await expect(st.readPiece(0)).rejects.toThrow(/symbolic link/);
  expect((await st.fileStats())[0]).toBeNull();
  await st.deleteData();
  await st.close();
  expect(await outsideState()).toEqual(untouched);
});

test('a symlinked parent folder pointing outside: no file and no folder is made through it', async () => {
  const { meta, data } = metaFromFiles(
    'album',
    [
      { path: ['sub', 'deep', 'er', 'b.bin'], data: randomBytes(20_000) },
      { path: ['sub', 'victim'], data: randomBytes(100) },
    ],
    16384,
  );
  await mkdir(path.join(dl, 'album'));
  await symlink(outside, path.join(dl, 'album', 'sub'));
  const st = new FileStorage(meta, { downloadDir: dl });
  const results = await writeAll(st, meta, data);
  expect(results.every((r) => /symbolic link/.test(r))).toBe(true);
  await expect(st.readPiece(meta.pieceCount - 1)).rejects.toThrow(/symbolic link/);
  await st.deleteData(); // must not delete outside/victim through the link
  await st.close();
  expect(await outsideState()).toEqual(untouched);
});

test('the torrent folder itself a symlink to outside: refused for writes and reads', async () => {
  const { meta, data } = album();
  await symlink(outside, path.join(dl, 'album'));
  const st = new FileStorage(meta, { downloadDir: dl });
  const results = await writeAll(st, meta, data);
  expect(results.every((r) => /symbolic link/.test(r))).toBe(true);
  expect(await st.fileStats()).toEqual([null, null]);
  await st.close();
  expect(await outsideState()).toEqual(untouched);
});

test('a symlink swapped in after the first open: later opens refuse it, the old fd writes in place', async () => {
  const { meta, data } = album();
  const fds = new FdCache(64);
  const st = new FileStorage(meta, { downloadDir: dl, fds });
  expect(await writeAll(st, meta, data)).toEqual(['ok', 'ok', 'ok']);
  const a = path.join(dl, 'album', 'a.bin');
  // the file and a folder are moved away and symlinks to outside take their places, while
  // their fds are cached
  await rename(a, path.join(dl, 'album', 'moved'));
  await symlink(path.join(outside, 'victim'), a);
  await rename(path.join(dl, 'album', 'sub'), path.join(dl, 'album', 'sub-moved'));
  await symlink(outside, path.join(dl, 'album', 'sub'));
  expect(await writeAll(st, meta, data)).toEqual(['ok', 'ok', 'ok']); // the moved files
  expect(await outsideState()).toEqual(untouched);
  // once the fds are gone (eviction, pause, restart), every new open refuses the links
  await st.close();
  const again = new FileStorage(meta, { downloadDir: dl, fds });
  for (const i of [0, 2]) {
    await expect(again.readPiece(i)).rejects.toThrow(/symbolic link/); // recheck, serving
  }
  expect(await again.fileStats()).toEqual([null, null]); // resume: the files count as missing
  const results = await writeAll(again, meta, data);
  expect(results.every((r) => /symbolic link/.test(r))).toBe(true);
  await again.close();
  await fds.closeAll();
  expect(await outsideState()).toEqual(untouched);
});

test('names with "..", absolute paths and separators are refused before anything is created', async () => {
  const hostile: string[][] = [
    ['..', '..', 'victim'],
    ['a', '..', '..', '..', 'victim'],
    [outside, 'victim'],
    ['/etc/passwd'],
    ['sub/../../victim'],
    ['..\\..\\victim'],
    ['.'],
    [''],
  ];
  for (const p of hostile) {
    const { meta } = metaFromFiles('album', [{ path: p, data: randomBytes(100) }], 16384);
    expect(() => new FileStorage(meta, { downloadDir: dl })).toThrow(/unsafe|escapes/);
  }
  // the torrent's name too (single-file and multi-file)
  for (const name of ['..', outside, '../victim']) {
    const single = metaFromFiles(name, [{ path: [name], data: randomBytes(100) }], 16384, true);
    expect(() => new FileStorage(single.meta, { downloadDir: dl })).toThrow(/unsafe|escapes/);
    const multi = metaFromFiles(name, [{ path: ['x'], data: randomBytes(100) }], 16384);
    expect(() => new FileStorage(multi.meta, { downloadDir: dl })).toThrow(/unsafe|escapes/);
  }
  expect(await readdir(dl)).toEqual([]);
  expect(await outsideState()).toEqual(untouched);
  await expect(stat(path.join(dl, '..', 'victim'))).rejects.toThrow();
});
