/**
 * The real `enjambre start` as a child process: state survives kill -9 and a clean stop, and the
 * CLI commands that talk to the daemon work.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createTorrentFromPath, FileStatus, TorrentStatus } from '@enjambre/engine';
import { api, removeDir, tempDir, waitFor } from './helpers';
import { requireBuild, run, spawnJson, Spawned } from './cli-helpers';

jest.setTimeout(180_000);

let root: string;
const running: Spawned[] = [];

beforeAll(async () => {
  requireBuild();
  root = await tempDir('bridge-persist');
});
afterAll(async () => {
  for (const s of running) s.child.kill('SIGKILL');
  await Promise.all(running.map((s) => s.exited));
  await removeDir(root);
});

async function start(
  dataDir: string,
  extra: string[] = [],
): Promise<{ d: Spawned; X: ReturnType<typeof api> }> {
  const d = await spawnJson([
    'start',
    '--data-dir',
    dataDir,
    '--download-dir',
    join(dataDir, 'downloads'),
    '--api-port',
    '0',
    '--port',
    '0',
    '--listen-host',
    '127.0.0.1',
    '--web-root',
    join(dataDir, 'no-web'),
    '--json',
    ...extra,
  ]);
  running.push(d);
  expect(d.first).toMatchObject({ event: 'started', apiPort: expect.any(Number) });
  expect(String(d.first.url)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
  const token = (await readFile(join(dataDir, 'token'), 'utf8')).trim();
  return { d, X: api({ apiPort: d.first.apiPort as number, token }) };
}

test('kill -9 and a restart bring every torrent back in its state', async () => {
  const dataDir = join(root, 'daemon');
  const dl = join(dataDir, 'downloads');
  await mkdir(join(dl, 'album'), { recursive: true });
  await writeFile(join(dl, 'album', 'one.bin'), randomBytes(200_000));
  await writeFile(join(dl, 'album', 'two.bin'), randomBytes(100_000));
  const created = await createTorrentFromPath(join(dl, 'album'), {
    announce: ['http://127.0.0.1:1/announce'],
  });

  let { d, X } = await start(dataDir);
  const cli = (args: string[]) => run([...args, '--data-dir', dataDir]);

  // Through the CLI: add a magnet paused, list, and a .torrent file.
  const magnetHash = 'ab'.repeat(20);
  const added = await cli([
    'add',
    `magnet:?xt=urn:btih:${magnetHash}&dn=later`,
    '--paused',
    '--json',
  ]);
  expect(added.code).toBe(0);
  expect(JSON.parse(added.stdout)).toMatchObject({ infoHash: magnetHash, paused: true });
  const torrentFile = join(root, 'album.torrent');
  await writeFile(torrentFile, created.torrent);
  expect((await cli(['add', torrentFile])).code).toBe(0);
  const id = created.metainfo.infoHash;
  await waitFor('the album to verify', async () => {
    const t = (await X.get<TorrentStatus>(`/api/torrents/${id}`)).body;
    return t.state === 'seeding' ? t : undefined;
  });
  expect((await X.put(`/api/torrents/${id}/sequential`, { sequential: true })).status).toBe(200);
  expect((await X.put(`/api/torrents/${id}/files/1/priority`, { priority: 0 })).status).toBe(200);
  expect((await cli(['pause', id.slice(0, 10)])).code).toBe(0);
  const ls = await cli(['ls', '--json']);
  expect(
    ls.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).infoHash)
      .sort(),
  ).toEqual([magnetHash, id].sort());

  d.child.kill('SIGKILL');
  expect(await d.exited).toBeNull();
  // The daemon file is left behind by kill -9; the CLI sees that no daemon runs.
  const none = await cli(['ls']);
  expect(none.code).toBe(1);
  expect(none.stderr).toMatch(/^enjambre: no enjambre daemon is running/);

  ({ d, X } = await start(dataDir));
  const list = (await X.get<TorrentStatus[]>('/api/torrents')).body;
  expect(list.map((t) => t.infoHash).sort()).toEqual([magnetHash, id].sort());
  const album = list.find((t) => t.infoHash === id)!;
  expect(album).toMatchObject({ paused: true, sequential: true, state: 'paused' });
  const files = (await X.get<FileStatus[]>(`/api/torrents/${id}/files`)).body;
  expect(files.map((f) => f.priority)).toEqual([1, 0]);
  expect(list.find((t) => t.infoHash === magnetHash)).toMatchObject({ paused: true });

  // Resume, remove one, stop cleanly: the next start has exactly what is left.
  expect((await cli(['resume', id])).code).toBe(0);
  expect((await cli(['rm', magnetHash])).code).toBe(0);
  d.child.kill('SIGTERM');
  expect(await d.exited).toBe(0);
  ({ d, X } = await start(dataDir));
  const after = (await X.get<TorrentStatus[]>('/api/torrents')).body;
  expect(after.map((t) => t.infoHash)).toEqual([id]);
  expect(after[0].paused).toBe(false);
  d.child.kill('SIGTERM');
  expect(await d.exited).toBe(0);
});

test('a second daemon on the same data dir is refused in one line', async () => {
  const dataDir = join(root, 'twice');
  const { d } = await start(dataDir);
  const second = await run(['start', '--data-dir', dataDir, '--api-port', '0']);
  expect(second.code).toBe(1);
  expect(second.stderr).toBe(
    `enjambre: another enjambre daemon is running with the data dir ${dataDir}\n`,
  );
  d.child.kill('SIGTERM');
  expect(await d.exited).toBe(0);
});

test('share and catalog through the daemon from the command line', async () => {
  const dataDir = join(root, 'sharing');
  const mine = join(root, 'mine');
  const { d } = await start(dataDir, ['--with-tracker', '--allow-folder', mine]);
  const file = join(mine, 'report.pdf');
  await mkdir(mine, { recursive: true });
  await writeFile(file, randomBytes(50_000));
  // Only the allowed folders can be shared (and the download folder).
  await writeFile(join(root, 'elsewhere.txt'), 'not in an allowed folder');
  const refused = await run(['share', join(root, 'elsewhere.txt'), '--data-dir', dataDir]);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/^enjambre: .*outside the allowed folders.*\n$/);
  const shared = await run(['share', file, '--data-dir', dataDir]);
  expect(shared.code).toBe(0);
  expect(shared.stdout).toMatch(/^magnet:\?xt=urn:btih:[0-9a-f]{40}&dn=report\.pdf&tr=grpc/);
  const hash = /btih:([0-9a-f]{40})/.exec(shared.stdout)![1];
  const listed = await waitFor('the catalog entry', async () => {
    const c = await run(['catalog', '--search', 'REPORT', '--json', '--data-dir', dataDir]);
    const entries = c.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    return entries.find((e) => e.infoHash === hash);
  });
  expect(listed).toMatchObject({ name: 'report.pdf', size: 50_000, seeders: 1 });
  // Removing a share with its data keeps the user's own file; --delete-originals does not.
  const rm = await run(['rm', hash.slice(0, 8), '--delete-data', '--data-dir', dataDir]);
  expect(rm.code).toBe(0);
  expect(rm.stdout).toMatch(/kept/);
  expect((await readFile(file)).length).toBe(50_000);
  await run(['share', file, '--data-dir', dataDir]);
  const gone = await run(['rm', hash, '--delete-originals', '--data-dir', dataDir]);
  expect(gone.code).toBe(0);
  await expect(readFile(file)).rejects.toThrow();
  d.child.kill('SIGTERM');
  expect(await d.exited).toBe(0);
});

test('add takes many files in one call; one that fails does not stop the others', async () => {
  const dataDir = join(root, 'many');
  const { d, X } = await start(dataDir);
  const dl = join(dataDir, 'downloads');
  await mkdir(dl, { recursive: true });
  const files: string[] = [];
  const hashes: string[] = [];
  for (let i = 0; i < 12; i++) {
    await writeFile(join(dl, `part-${i}.bin`), randomBytes(2_000));
    const created = await createTorrentFromPath(join(dl, `part-${i}.bin`), {
      announce: ['http://127.0.0.1:1/announce'],
    });
    const file = join(root, `part-${i}.torrent`);
    await writeFile(file, created.torrent);
    files.push(file);
    hashes.push(created.metainfo.infoHash);
  }
  const missing = join(root, 'missing.torrent');
  const added = await run(['add', ...files, missing, '--data-dir', dataDir]);
  expect(added.code).toBe(1);
  expect(added.stdout.trim().split('\n')).toHaveLength(12);
  expect(added.stderr).toContain('missing.torrent');
  expect(added.stderr).toMatch(/1 of 13 could not be added/);
  const list = (await X.get<TorrentStatus[]>('/api/torrents')).body;
  expect(list.map((t) => t.infoHash).sort()).toEqual([...hashes].sort());
  // Two of them again: each is refused as already added, and says so.
  const again = await run(['add', ...files.slice(0, 2), '--data-dir', dataDir]);
  expect(again.code).toBe(1);
  expect(again.stderr).toMatch(/already added/);
  d.child.kill('SIGTERM');
  expect(await d.exited).toBe(0);
});
