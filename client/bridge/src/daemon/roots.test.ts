import { mkdir, mkdtemp, rm, symlink, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpError } from './http-error';
import { AllowedFolders, isInside, resolvePath } from './roots';

let base: string;
let root: string;
let outside: string;
let folders: AllowedFolders;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'enjambre-roots-'));
  root = join(base, 'root');
  outside = join(base, 'outside');
  await mkdir(join(root, 'sub', 'deeper'), { recursive: true });
  await mkdir(join(root, '.hidden', 'inner'), { recursive: true });
  await mkdir(join(root, 'data'), { recursive: true });
  await mkdir(outside);
  await writeFile(join(root, 'a.txt'), 'hello');
  await writeFile(join(root, '.env'), 'secret');
  await writeFile(join(outside, 'secret'), 'x');
  await symlink(outside, join(root, 'escape'));
  await symlink(join(base, 'nowhere'), join(root, 'dangling'));
  folders = await AllowedFolders.create({ folders: [root], dataDir: join(root, 'data') });
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

test('resolvePath follows links and dot-dots the way the kernel and mkdir -p would', async () => {
  expect(await resolvePath(join(root, 'sub', '.', 'deeper'))).toEqual({
    path: join(root, 'sub', 'deeper'),
    exists: true,
  });
  expect(await resolvePath(`${root}/missing/../../outside/new`)).toEqual({
    path: join(outside, 'new'),
    exists: false,
  });
  // `..` after a link climbs from where the link points.
  expect((await resolvePath(`${root}/escape/../root/a.txt`)).path).toBe(join(root, 'a.txt'));
  expect((await resolvePath(`${root}/escape/new/../secret`)).path).toBe(join(outside, 'secret'));
  expect(await status(resolvePath(join(root, 'dangling', 'x')))).toBe(403);
  expect(await status(resolvePath(join(root, 'a.txt', 'x')))).toBe(400);
  expect(await status(resolvePath('relative/path'))).toBe(400);
  expect(await status(resolvePath(`${root}/a\0b`))).toBe(400);
});

test('download folders: inside the allowed folders, new ones judged by where they would be', async () => {
  expect(await folders.downloadFolder(join(root, 'new', 'folder'))).toBe(
    join(root, 'new', 'folder'),
  );
  expect(await folders.downloadFolder(`${root}/new/../sub`)).toBe(join(root, 'sub'));
  for (const p of [
    join(outside, 'new'),
    join(root, 'escape', 'new'),
    `${root}/missing/../../outside`,
    `${root}/missing/../../root/escape`,
    join(root, 'dangling'),
    '/etc',
    '/',
    join(root, 'data'),
    join(root, 'data', 'engine'),
    // It would hold the daemon's data folder.
    root,
  ]) {
    expect([p, await status(folders.downloadFolder(p))]).toEqual([p, 403]);
  }
});

test('share sources: existing, readable, inside the folders, never the data folder', async () => {
  expect(await folders.shareSource(join(root, 'a.txt'))).toBe(join(root, 'a.txt'));
  expect(await folders.shareSource(join(root, 'sub'))).toBe(join(root, 'sub'));
  expect(await status(folders.shareSource(join(outside, 'secret')))).toBe(403);
  expect(await status(folders.shareSource(join(root, 'escape', 'secret')))).toBe(403);
  expect(await status(folders.shareSource(`${root}/sub/../../outside/secret`))).toBe(403);
  expect(await status(folders.shareSource(join(root, 'nope')))).toBe(404);
  expect(await status(folders.shareSource(root))).toBe(403);
  expect(await status(folders.shareSource(join(root, 'data')))).toBe(403);
  const devFolders = await AllowedFolders.create({ folders: ['/dev'], dataDir: root });
  expect(await status(devFolders.shareSource('/dev/null'))).toBe(400);
  if (process.getuid?.() !== 0) {
    const locked = join(root, 'locked');
    await writeFile(locked, 'x');
    await chmod(locked, 0o000);
    expect(await status(folders.shareSource(locked))).toBe(403);
    await rm(locked);
  }
});

test('browse lists folders first, hides dot-entries unless asked, stays inside', async () => {
  const top = await folders.browse(root);
  expect(top.path).toBe(root);
  expect(top.parent).toBeUndefined();
  // No dot-entries, no link out, no dangling link, no data folder.
  expect(top.entries).toEqual([
    { name: 'sub', dir: true, size: 0 },
    { name: 'a.txt', dir: false, size: 5 },
  ]);
  await symlink(join(root, 'sub'), join(root, 'inner-link'));
  expect((await folders.browse(root)).entries.map((e) => e.name)).toEqual([
    'inner-link',
    'sub',
    'a.txt',
  ]);
  expect((await folders.browse(root, { hidden: true })).entries.map((e) => e.name)).toEqual([
    '.hidden',
    'inner-link',
    'sub',
    '.env',
    'a.txt',
  ]);
  expect(await status(folders.browse(join(root, '.hidden')))).toBe(403);
  expect(await status(folders.browse(join(root, 'sub', '..', '.hidden', 'inner')))).toBe(403);
  expect((await folders.browse(join(root, '.hidden'), { hidden: true })).entries).toEqual([
    { name: 'inner', dir: true, size: 0 },
  ]);
  const sub = await folders.browse(join(root, 'sub'));
  expect(sub.parent).toBe(root);
  expect(sub.entries).toEqual([{ name: 'deeper', dir: true, size: 0 }]);
  expect(await status(folders.browse(join(root, 'escape')))).toBe(403);
  expect(await status(folders.browse(`${root}/nope/../../outside`))).toBe(403);
  expect(await status(folders.browse(join(root, 'data'), { hidden: true }))).toBe(403);
  expect(await status(folders.browse(join(root, 'a.txt')))).toBe(400);
  expect(await status(folders.browse(join(root, 'nope')))).toBe(404);
});
