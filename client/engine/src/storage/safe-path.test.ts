import { execFileSync } from 'node:child_process';
import { closeSync, fstatSync, writeSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  UnsafePathError,
  joinInside,
  openInside,
  parentsInside,
  removeInside,
  statInside,
} from './safe-path';

let root: string;
let outside: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'ej-safe-'));
  outside = await mkdtemp(path.join(os.tmpdir(), 'ej-safe-outside-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

test('joinInside refuses hostile segments', () => {
  for (const bad of [[], ['..'], ['a', '.'], ['a', ''], ['a/b'], ['a\\b'], ['a\0']]) {
    expect(() => joinInside(root, bad)).toThrow(UnsafePathError);
  }
  expect(joinInside(root, ['t', 'a'])).toBe(path.join(root, 't', 'a'));
});

test('a write creates its folders one level at a time and the file itself', async () => {
  const fd = await openInside(root, ['t', 'a', 'b', 'f.bin'], true);
  writeSync(fd, Buffer.from('hi'), 0, 2, 0);
  closeSync(fd);
  expect(await readFile(path.join(root, 't', 'a', 'b', 'f.bin'), 'utf8')).toBe('hi');
  // reopening keeps the data (no O_TRUNC)
  const again = await openInside(root, ['t', 'a', 'b', 'f.bin'], true);
  expect(fstatSync(again).size).toBe(2);
  closeSync(again);
});

test('a dangling symlink at the file path is refused and its target never created', async () => {
  await mkdir(path.join(root, 't'));
  await symlink(path.join(outside, 'created'), path.join(root, 't', 'f.bin'));
  await expect(openInside(root, ['t', 'f.bin'], true)).rejects.toThrow(/symbolic link/);
  await expect(openInside(root, ['t', 'f.bin'], false)).rejects.toThrow(/symbolic link/);
  expect(await readdir(outside)).toEqual([]);
});

test('a symlinked folder on the way is refused and nothing is created under it', async () => {
  await mkdir(path.join(root, 't'));
  await symlink(outside, path.join(root, 't', 'sub'));
  await expect(openInside(root, ['t', 'sub', 'x', 'y', 'f.bin'], true)).rejects.toThrow(
    UnsafePathError,
  );
  expect(await readdir(outside)).toEqual([]);
  // the torrent's own folder as a symlink too
  await symlink(outside, path.join(root, 'u'));
  await expect(openInside(root, ['u', 'f.bin'], true)).rejects.toThrow(UnsafePathError);
  await expect(openInside(root, ['u', 'f.bin'], false)).rejects.toThrow(UnsafePathError);
  expect(await readdir(outside)).toEqual([]);
});

test('a file where a folder should be, a folder or a FIFO where a file should be, are refused', async () => {
  await mkdir(path.join(root, 't', 'dir'), { recursive: true });
  await writeFile(path.join(root, 't', 'file'), 'x');
  await expect(openInside(root, ['t', 'file', 'f.bin'], true)).rejects.toThrow(/not a folder/);
  await expect(openInside(root, ['t', 'dir'], false)).rejects.toThrow();
  execFileSync('mkfifo', [path.join(root, 't', 'fifo')]);
  // O_NONBLOCK: the open returns at once instead of waiting for a writer
  await expect(openInside(root, ['t', 'fifo'], false)).rejects.toThrow(/not a regular file/);
  await expect(openInside(root, ['t', 'fifo'], true)).rejects.toThrow(/not a regular file/);
});

test('a read follows a file symlink only when it stays inside the torrent folder', async () => {
  await mkdir(path.join(root, 't'));
  await writeFile(path.join(root, 't', 'real.bin'), 'inside');
  await writeFile(path.join(outside, 'secret'), 'secret');
  await symlink('real.bin', path.join(root, 't', 'in.bin'));
  await symlink(path.join(outside, 'secret'), path.join(root, 't', 'out.bin'));
  const fd = await openInside(root, ['t', 'in.bin'], false);
  expect(fstatSync(fd).size).toBe(6);
  closeSync(fd);
  await expect(openInside(root, ['t', 'out.bin'], false)).rejects.toThrow(/leaves/);
  await expect(statInside(root, ['t', 'out.bin'])).rejects.toThrow(UnsafePathError);
  // writes never go through a symlink, even one inside
  await expect(openInside(root, ['t', 'in.bin'], true)).rejects.toThrow(/symbolic link/);
});

test('a missing file reads as ENOENT and stats as null, without creating folders', async () => {
  await expect(openInside(root, ['t', 'a', 'f'], false)).rejects.toMatchObject({
    code: 'ENOENT',
  });
  expect(await statInside(root, ['t', 'a', 'f'])).toBeNull();
  expect(await readdir(root)).toEqual([]);
});

test('removal never goes through a symlinked folder', async () => {
  await mkdir(path.join(root, 't'));
  await writeFile(path.join(outside, 'keep'), 'keep');
  await symlink(outside, path.join(root, 't', 'sub'));
  expect(await parentsInside(root, ['t', 'sub', 'keep'])).toBe(false);
  expect(await removeInside(root, ['t', 'sub', 'keep'])).toBe(false);
  expect(await readFile(path.join(outside, 'keep'), 'utf8')).toBe('keep');
  // a symlink at the file's own path is removed itself, its target stays
  await symlink(path.join(outside, 'keep'), path.join(root, 't', 'link'));
  expect(await removeInside(root, ['t', 'link'])).toBe(true);
  expect(await readdir(path.join(root, 't'))).toEqual(['sub']);
  expect(await readFile(path.join(outside, 'keep'), 'utf8')).toBe('keep');
});
