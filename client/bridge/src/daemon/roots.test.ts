import { mkdir, mkdtemp, rm, symlink, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpError } from './http-error';
import {
  browse,
  checkFolderInsideRoots,
  checkSharePath,
  isInside,
  resolveInsideRoots,
} from './roots';

let base: string;
let root: string;
let outside: string;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'enjambre-roots-'));
  root = join(base, 'root');
  outside = join(base, 'outside');
  await mkdir(join(root, 'sub', 'deeper'), { recursive: true });
  await mkdir(outside);
  await writeFile(join(root, 'a.txt'), 'hello');
  await writeFile(join(outside, 'secret'), 'x');
  await symlink(outside, join(root, 'escape'));
});
afterAll(() => rm(base, { recursive: true, force: true }));

async function status(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (err) {
    if (err instanceof HttpError) return err.statusCode;
    throw err;
  }
}

test('isInside compares whole path components', () => {
  expect(isInside('/home/a', '/home/a')).toBe(true);
  expect(isInside('/home/a', '/home/a/b')).toBe(true);
  expect(isInside('/home/a', '/home/ab')).toBe(false);
  expect(isInside('/home/a', '/home')).toBe(false);
  expect(isInside('/home/a', '/home/a/../b')).toBe(false);
});

test('paths outside the roots are refused, symlinks and dot-dots included', async () => {
  expect(await resolveInsideRoots([root], join(root, 'sub'))).toBe(join(root, 'sub'));
  expect(await status(resolveInsideRoots([root], join(root, '..', 'outside')))).toBe(403);
  expect(await status(resolveInsideRoots([root], join(root, 'escape')))).toBe(403);
  expect(await status(resolveInsideRoots([root], join(root, 'escape', 'secret')))).toBe(403);
  expect(await status(resolveInsideRoots([root], '/etc'))).toBe(403);
  expect(await status(resolveInsideRoots([root], 'relative/path'))).toBe(400);
  expect(await status(resolveInsideRoots([root], join(root, 'missing')))).toBe(404);
});

test('a download folder that does not exist yet is judged by its nearest existing parent', async () => {
  expect(await checkFolderInsideRoots([root], join(root, 'new', 'folder'))).toBe(
    join(root, 'new', 'folder'),
  );
  expect(await status(checkFolderInsideRoots([root], join(outside, 'new')))).toBe(403);
  expect(await status(checkFolderInsideRoots([root], join(root, 'escape', 'new')))).toBe(403);
});

test('a share path may be anywhere the daemon can read', async () => {
  expect(await checkSharePath(join(outside, 'secret'))).toBe(join(outside, 'secret'));
  expect(await status(checkSharePath(join(base, 'nope')))).toBe(404);
  expect(await status(checkSharePath('/dev/null'))).toBe(400);
  if (process.getuid?.() !== 0) {
    const locked = join(base, 'locked');
    await writeFile(locked, 'x');
    await chmod(locked, 0o000);
    expect(await status(checkSharePath(locked))).toBe(403);
  }
});

test('browse lists folders first and offers a parent only inside the roots', async () => {
  const top = await browse([root], root);
  expect(top.path).toBe(root);
  expect(top.parent).toBeUndefined();
  await symlink(join(root, 'sub'), join(root, 'inner-link'));
  expect((await browse([root], root)).entries).toEqual([
    { name: 'inner-link', dir: true, size: 0 },
    { name: 'sub', dir: true, size: 0 },
    { name: 'a.txt', dir: false, size: 5 },
  ]);
  expect(top.entries).toEqual([
    { name: 'sub', dir: true, size: 0 },
    { name: 'a.txt', dir: false, size: 5 },
  ]);
  const sub = await browse([root], join(root, 'sub'));
  expect(sub.parent).toBe(root);
  expect(sub.entries).toEqual([{ name: 'deeper', dir: true, size: 0 }]);
  expect(await status(browse([root], join(root, 'escape')))).toBe(403);
  expect(await status(browse([root], join(root, 'a.txt')))).toBe(400);
});
