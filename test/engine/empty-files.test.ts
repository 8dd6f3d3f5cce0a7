/**
 * Zero-length files of a multi-file torrent: no piece writes them, so the engine creates them when
 * the torrent completes, as libtorrent does; through the storage's safe-path rules (a symlink
 * planted at such a path is not followed).
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createTorrentFromPath, type Session } from '@enjambre/engine';
import { removeDir, startSession, tempDir, waitDone } from './helpers';

jest.setTimeout(60_000);

let root: string;
const sessions: Session[] = [];
beforeEach(async () => {
  root = await tempDir('empty');
});
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  await removeDir(root);
});

const FILES: Record<string, number> = {
  'a.bin': 70_000,
  'empty.txt': 0,
  'sub/also-empty': 0,
  'sub/b.bin': 20_000,
};

/** Polls until `p` exists (the files are created just after completion). */
async function exists(p: string, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (
      await stat(p).then(
        () => true,
        () => false,
      )
    )
      return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function seedAndLeech(
  format: 'v1' | 'v2' | 'hybrid',
  before?: (got: string) => Promise<void>,
) {
  const seedDir = path.join(root, 'seed');
  const data = new Map<string, Buffer>();
  for (const [rel, n] of Object.entries(FILES)) {
    const b = randomBytes(n);
    await mkdir(path.dirname(path.join(seedDir, 'share', rel)), { recursive: true });
    await writeFile(path.join(seedDir, 'share', rel), b);
    data.set(rel, b);
  }
  const created = await createTorrentFromPath(path.join(seedDir, 'share'), {
    format,
    pieceLength: 16384,
  });
  expect(created.metainfo.files.filter((f) => f.length === 0 && !f.pad)).toHaveLength(2);
  const seeder = await startSession(path.join(root, 'seeder'));
  sessions.push(seeder);
  await seeder.add({ torrent: created.torrent }, { downloadDir: seedDir, seedMode: true });
  const leecher = await startSession(path.join(root, 'leecher'));
  sessions.push(leecher);
  const got = path.join(root, 'got');
  await before?.(got);
  const t = await leecher.add({ torrent: created.torrent }, { downloadDir: got });
  t.addPeer(`127.0.0.1:${seeder.port}`);
  await waitDone(t, 30_000);
  return { got, data };
}

test.each(['v1', 'v2', 'hybrid'] as const)(
  'a downloaded %s torrent has its empty files on disk',
  async (format) => {
    const { got, data } = await seedAndLeech(format);
    for (const [rel, b] of data) {
      const p = path.join(got, 'share', rel);
      expect({ rel, exists: await exists(p) }).toEqual({ rel, exists: true });
      expect((await readFile(p)).equals(b)).toBe(true);
    }
  },
);

test('a symlink planted where an empty file goes is not followed', async () => {
  const outside = path.join(root, 'outside.txt');
  const { got } = await seedAndLeech('v1', async (dir) => {
    await mkdir(path.join(dir, 'share'), { recursive: true });
    await symlink(outside, path.join(dir, 'share', 'empty.txt'));
  });
  // the other empty file is created; the planted link is left as it was, its target never made
  expect(await exists(path.join(got, 'share', 'sub', 'also-empty'))).toBe(true);
  expect((await lstat(path.join(got, 'share', 'empty.txt'))).isSymbolicLink()).toBe(true);
  expect(await exists(outside, 0)).toBe(false);
});
