/**
 * Debian's transmission-remote 3.00 drives a real daemon through the Transmission RPC: add a
 * .torrent and a magnet, list, inspect, stop, start, verify, file priorities, remove with and
 * without data, a wrong password refused, and a download from a real libtorrent seeder that
 * `-l` shows at 100%.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningDaemon } from '@enjambre/bridge';
import { makeTestData, makeTorrent, sha1File, startLibtorrent, stopAll } from '../peers';
import { removeDir, rpcDaemon, tempDir, transmissionRemote, waitFor } from './helpers';

jest.setTimeout(180_000);

let root: string;
let d: RunningDaemon;
let torrentFile: string;
let infoHash: string;
let sha1Two: string;
const MAGNET_HASH = 'c0ffee'.padEnd(40, '1');
const tr = (...args: string[]) => transmissionRemote(d, args);

/** `-l` rows by name: the columns transmission-remote prints. */
async function list(): Promise<Map<string, Record<string, string>>> {
  const r = await tr('-l');
  expect(r.code).toBe(0);
  const lines = r.out.trimEnd().split('\n');
  expect(lines[0]).toBe(
    '    ID   Done       Have  ETA           Up    Down  Ratio  Status       Name',
  );
  expect(lines[lines.length - 1]).toMatch(/^Sum:/);
  const rows = new Map<string, Record<string, string>>();
  for (const line of lines.slice(1, -1)) {
    // ID, Done, Have (value + unit or None), ETA, Up, Down, Ratio, Status (may be two words), Name
    const m =
      /^\s+(\d+)\*?\s+(\S+)\s+(None|[\d.]+ \S+)\s+(\S+(?: \S+)?)\s+([\d.]+)\s+([\d.]+)\s+(\S+)\s+(Idle|Stopped|Seeding|Downloading|Up & Down|Verifying|Will Verify|Queued|Finished)\s+(.+)$/.exec(
        line,
      );
    if (!m) throw new Error(`unexpected -l row: ${JSON.stringify(line)}`);
    rows.set(m[9], { id: m[1], done: m[2], have: m[3], eta: m[4], ratio: m[7], status: m[8] });
  }
  return rows;
}

beforeAll(async () => {
  root = await tempDir('rpc-tr-remote');
  d = await rpcDaemon(join(root, 'daemon'), { withTracker: true });
  const seedDir = join(root, 'seed');
  await makeTestData(join(seedDir, 'album', 'one.bin'), 700_000, 'one');
  sha1Two = (await makeTestData(join(seedDir, 'album', 'two.bin'), 300_000, 'two')).sha1;
  const t = await makeTorrent(join(seedDir, 'album'), {
    announce: [d.tracker!.http],
    pieceLength: 32768,
    output: join(root, 'album.torrent'),
  });
  torrentFile = t.torrentFile;
  infoHash = t.infoHash;
  const seeder = await startLibtorrent({
    role: 'seed',
    torrentFile,
    dir: seedDir,
    announceInterval: 2,
  });
  await seeder.waitForComplete();
});

afterAll(async () => {
  await d?.close();
  await stopAll();
  await removeDir(root);
});

test('a wrong password is refused and nothing is listed', async () => {
  const r = await transmissionRemote(d, ['-l'], 'someone:wrong-password');
  expect(r.code).not.toBe(0);
  expect(r.out).toMatch(/401|Unauthorized/);
  expect(r.out).not.toContain('ID   Done');
});

test('add a .torrent: it downloads from the real seeder and -l shows 100%', async () => {
  const r = await tr('-a', torrentFile);
  expect(r.code).toBe(0);
  expect(r.out).toContain('responded: "success"');
  const row = await waitFor(
    'the download to complete',
    async () => {
      const rows = await list();
      const x = rows.get('album');
      return x && x.done === '100%' ? x : undefined;
    },
    120_000,
  );
  expect(row.have).toBe('1.00 MB');
  expect(row.eta).toBe('Done');
  expect(await sha1File(join(d.dataDir, 'downloads', 'album', 'two.bin'))).toBe(sha1Two);
});

test('add a magnet: listed with its name and no size yet', async () => {
  const r = await tr('-a', `magnet:?xt=urn:btih:${MAGNET_HASH}&dn=waiting`);
  expect(r.code).toBe(0);
  const rows = await list();
  expect(rows.get('waiting')).toMatchObject({ done: 'n/a', have: 'None' });
  expect(rows.get('album')?.id).not.toBe(rows.get('waiting')?.id);
});

test('-i, -if and -it show the details, files and trackers', async () => {
  const id = (await list()).get('album')!.id;
  const info = await tr('-t', id, '-i');
  expect(info.out).toContain('Name: album');
  expect(info.out).toContain(`Hash: ${infoHash}`);
  expect(info.out).toContain('Percent Done: 100%');
  expect(info.out).toContain(`Location: ${join(d.dataDir, 'downloads')}`);
  expect(info.out).toMatch(/Total size: 1\.00 MB \(1\.00 MB wanted\)/);
  expect(info.out).toContain('Piece Size: 32.00 KiB');
  const files = await tr('-t', id, '-if');
  expect(files.out).toContain('album (2 files):');
  expect(files.out).toMatch(/0: 100% Normal\s+Yes\s+700\.0 kB\s+album\/one\.bin/);
  expect(files.out).toMatch(/1: 100% Normal\s+Yes\s+300\.0 kB\s+album\/two\.bin/);
  const trackers = await tr('-t', id, '-it');
  expect(trackers.out).toContain(`Tracker 0: ${new URL(d.tracker!.http).origin}`);
});

test('file priorities and wanted files are set and shown', async () => {
  const id = (await list()).get('album')!.id;
  expect((await tr('-t', id, '-ph', '0')).code).toBe(0);
  expect((await tr('-t', id, '-G', '1')).code).toBe(0);
  const files = await tr('-t', id, '-if');
  expect(files.out).toMatch(/0: 100% High\s+Yes\s+700\.0 kB/);
  expect(files.out).toMatch(/1: 100% Normal\s+No\s+300\.0 kB/);
  // The REST API reads the same state: one source of truth.
  const rest = d.bridge
    .get(infoHash)
    .files()
    .map((f) => f.priority);
  expect(rest).toEqual([2, 0]);
  expect((await tr('-t', id, '-g', '1', '-pn', '0')).code).toBe(0);
  expect(
    d.bridge
      .get(infoHash)
      .files()
      .map((f) => f.priority),
  ).toEqual([1, 1]);
});

test('stop, start and verify', async () => {
  const id = (await list()).get('album')!.id;
  expect((await tr('-t', id, '-S')).code).toBe(0);
  expect((await list()).get('album')!.status).toBe('Stopped');
  expect(d.bridge.get(infoHash).status().paused).toBe(true);
  expect((await tr('-t', id, '-s')).code).toBe(0);
  expect((await list()).get('album')!.status).not.toBe('Stopped');
  expect((await tr('-t', id, '-v')).code).toBe(0);
  await waitFor('the recheck to finish at 100%', async () => {
    const row = (await list()).get('album');
    return row && row.done === '100%' && row.status !== 'Verifying' ? row : undefined;
  });
});

test('remove keeps the data; remove-and-delete deletes it', async () => {
  const rows = await list();
  expect((await tr('-t', rows.get('waiting')!.id, '-r')).code).toBe(0);
  expect((await list()).has('waiting')).toBe(false);
  const data = join(d.dataDir, 'downloads', 'album');
  expect(existsSync(data)).toBe(true);
  expect((await tr('-t', rows.get('album')!.id, '--remove-and-delete')).code).toBe(0);
  expect((await list()).has('album')).toBe(false);
  await waitFor('the data to be deleted', () => (existsSync(data) ? undefined : true));
});
