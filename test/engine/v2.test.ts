/**
 * BitTorrent v2 (BEP 52) transfers with python3-libtorrent 2.0.8, the only v2 peer here, both
 * directions, bytes compared: torrents libtorrent made (v2-only and hybrid, several files whose
 * last pieces are short) and torrents enjambre made. enjambre checks a v2-only torrent's pieces
 * against the files' merkle trees, a hybrid's through its v1 part.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { encodeTorrent, parseTorrent } from '@enjambre/bittorrent';
import { createTorrentFromPath, type Session } from '@enjambre/engine';
import { startLibtorrent, stopAll } from '../peers';
import { removeDir, startSession, tempDir, waitDone } from './helpers';

const run = promisify(execFile);
jest.setTimeout(180_000);

const FILES: Record<string, number> = {
  'a.bin': 1_000_001,
  'sub/b.bin': 70_000,
  'sub/c.bin': 16_384,
  'sub/d.bin': 3,
  'z.bin': 300_000,
};

let root: string;
const sessions: Session[] = [];
beforeEach(async () => {
  root = await tempDir('v2');
});
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  await stopAll();
  await removeDir(root);
});

async function writeShare(dir: string): Promise<Map<string, Buffer>> {
  const data = new Map<string, Buffer>();
  for (const [rel, n] of Object.entries(FILES)) {
    const b = randomBytes(n);
    await mkdir(path.dirname(path.join(dir, 'share', rel)), { recursive: true });
    await writeFile(path.join(dir, 'share', rel), b);
    data.set(rel, b);
  }
  return data;
}

async function libtorrentTorrent(dir: string, format: 'v2' | 'hybrid', pl: number) {
  const script = `
import sys, libtorrent as lt
fs = lt.file_storage()
lt.add_files(fs, sys.argv[1])
t = lt.create_torrent(fs, int(sys.argv[2]), flags=lt.create_torrent.v2_only if sys.argv[3] == 'v2' else 0)
lt.set_piece_hashes(t, sys.argv[4])
open(sys.argv[5], 'wb').write(lt.bencode(t.generate()))
`;
  const file = path.join(root, `lt-${format}.torrent`);
  await run('/usr/bin/python3', [
    '-c',
    script,
    path.join(dir, 'share'),
    String(pl),
    format,
    dir,
    file,
  ]);
  return file;
}

async function expectSameFiles(dir: string, data: Map<string, Buffer>): Promise<void> {
  for (const [rel, b] of data) {
    const got = await readFile(path.join(dir, 'share', rel));
    expect({ rel, same: got.equals(b) }).toEqual({ rel, same: true });
  }
}

test.each([
  ['v2', 16384],
  ['v2', 65536],
  ['hybrid', 32768],
] as const)(
  'enjambre downloads a libtorrent-made %s torrent (pieces of %d) from libtorrent',
  async (format, pl) => {
    const seedDir = path.join(root, 'seed');
    const data = await writeShare(seedDir);
    const file = await libtorrentTorrent(seedDir, format, pl);
    const m = parseTorrent(await readFile(file));
    expect(m.metaVersion).toBe(2);
    const seeder = await startLibtorrent({ role: 'seed', torrentFile: file, dir: seedDir });
    await seeder.waitForComplete(60_000);
    const s = await startSession(path.join(root, 'enj'));
    sessions.push(s);
    const got = path.join(root, 'got');
    const t = await s.add({ torrent: await readFile(file) }, { downloadDir: got });
    expect(t.status().infoHash).toBe(m.infoHash);
    t.addPeer(`127.0.0.1:${seeder.port}`);
    await waitDone(t, 120_000);
    await expectSameFiles(got, data);
    expect(t.status().size).toBe([...data.values()].reduce((n, b) => n + b.length, 0));
    // the .torrent it gives back keeps a v2 torrent's piece layers (a front end re-adds from
    // it); a hybrid's are not kept, enjambre checks its pieces through the v1 part
    const again = parseTorrent(t.torrentFile()!);
    expect(again.infoHash).toBe(m.infoHash);
    if (format === 'hybrid') return;
    expect(again.pieceLayers?.size).toBe(m.pieceLayers?.size);
    for (const [f, layer] of m.pieceLayers ?? []) {
      expect(again.pieceLayers!.get(f)?.equals(layer)).toBe(true);
    }
  },
);

test.each([
  ['v2', 16384],
  ['hybrid', 65536],
] as const)(
  'libtorrent downloads an enjambre-made %s torrent (pieces of %d) from enjambre',
  async (format, pl) => {
    const seedDir = path.join(root, 'seed');
    const data = await writeShare(seedDir);
    const created = await createTorrentFromPath(path.join(seedDir, 'share'), {
      format,
      pieceLength: pl,
      threads: 2,
    });
    const file = path.join(root, `enj-${format}.torrent`);
    await writeFile(file, created.torrent);
    const s = await startSession(path.join(root, 'enj'));
    sessions.push(s);
    // seed mode checks every piece first (v2: against the merkle trees), so a wrong check fails here
    const t = await s.add({ torrent: created.torrent }, { downloadDir: seedDir, seedMode: true });
    expect(t.status().state).toBe('seeding');
    const got = path.join(root, 'got');
    const leecher = await startLibtorrent({
      role: 'leech',
      torrentFile: file,
      dir: got,
      peers: [`127.0.0.1:${s.port}`],
    });
    await leecher.waitForComplete(120_000);
    await expectSameFiles(got, data);
  },
);

test('v2 pieces are checked against the merkle trees: a seeder serving a damaged piece, a recheck', async () => {
  const seedDir = path.join(root, 'seed');
  const data = await writeShare(seedDir);
  const created = await createTorrentFromPath(path.join(seedDir, 'share'), {
    format: 'v2',
    pieceLength: 16384,
  });
  const seeder = await startSession(path.join(root, 'seeder'));
  sessions.push(seeder);
  await seeder.add({ torrent: created.torrent }, { downloadDir: seedDir, seedMode: true });
  // damaged on disk after the seeder checked it: it serves the bad piece as it reads it
  const a = Buffer.from(data.get('a.bin')!);
  a[500_000] ^= 0xff;
  await writeFile(path.join(seedDir, 'share', 'a.bin'), a);
  const leecher = await startSession(path.join(root, 'leecher'));
  sessions.push(leecher);
  const got = path.join(root, 'got');
  const t = await leecher.add({ torrent: created.torrent }, { downloadDir: got });
  t.addPeer(`127.0.0.1:${seeder.port}`);
  const total = t.status().wantedSize;
  // the bad piece fails its v2 check; the seeder that sent it is blamed and dropped
  const deadline = Date.now() + 60_000;
  const connected = () => t.status().seeders + t.status().leechers;
  while (Date.now() < deadline && !(t.status().downloaded > 0 && connected() === 0)) {
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(connected()).toBe(0);
  expect(t.status().downloaded).toBeLessThan(total);
  // a good seeder finishes it, and every byte is right
  const good = await startSession(path.join(root, 'good'));
  sessions.push(good);
  const goodDir = path.join(root, 'good-data');
  await mkdir(path.join(goodDir, 'share', 'sub'), { recursive: true });
  for (const [rel, b] of data) await writeFile(path.join(goodDir, 'share', rel), b);
  await good.add({ torrent: created.torrent }, { downloadDir: goodDir, seedMode: true });
  t.addPeer(`127.0.0.1:${good.port}`);
  await waitDone(t, 60_000);
  await expectSameFiles(got, data);

  // the first seeder's recheck finds the damaged piece by its v2 hash, and only that one
  const st = seeder.get(t.status().infoHash)!;
  await st.recheck();
  expect(st.status().downloaded).toBe(total - 16384);
});

test('a urn:btmh magnet: enjambre gets the metadata (BEP 9) and the piece layers (hash requests) from libtorrent', async () => {
  const seedDir = path.join(root, 'seed');
  const data = await writeShare(seedDir);
  const file = await libtorrentTorrent(seedDir, 'v2', 16384);
  const m = parseTorrent(await readFile(file));
  const seeder = await startLibtorrent({ role: 'seed', torrentFile: file, dir: seedDir });
  await seeder.waitForComplete(60_000);
  const s = await startSession(path.join(root, 'enj'));
  sessions.push(s);
  const got = path.join(root, 'got');
  const magnet = `magnet:?xt=urn:btmh:1220${m.infoHashV2}&x.pe=127.0.0.1:${seeder.port}`;
  const t = await s.add({ magnet }, { downloadDir: got });
  expect(t.status().infoHash).toBe(m.infoHash);
  await waitDone(t, 120_000);
  await expectSameFiles(got, data);
});

test('a urn:btmh magnet: libtorrent gets the metadata and the piece layers from enjambre', async () => {
  const seedDir = path.join(root, 'seed');
  const data = await writeShare(seedDir);
  const created = await createTorrentFromPath(path.join(seedDir, 'share'), {
    format: 'v2',
    pieceLength: 16384,
  });
  const s = await startSession(path.join(root, 'enj'));
  sessions.push(s);
  await s.add({ torrent: created.torrent }, { downloadDir: seedDir, seedMode: true });
  const got = path.join(root, 'got');
  const leecher = await startLibtorrent({
    role: 'leech',
    magnet: `magnet:?xt=urn:btmh:1220${created.metainfo.infoHashV2}`,
    dir: got,
    peers: [`127.0.0.1:${s.port}`],
  });
  await leecher.waitForComplete(120_000);
  await expectSameFiles(got, data);
});

test('a v2 torrent without piece layers whose data the resume record vouches for seeds at once', async () => {
  const seedDir = path.join(root, 'seed');
  await writeShare(seedDir);
  const created = await createTorrentFromPath(path.join(seedDir, 'share'), {
    format: 'v2',
    pieceLength: 16384,
  });
  const s1 = await startSession(path.join(root, 's'));
  await s1.add({ torrent: created.torrent }, { downloadDir: seedDir, seedMode: true });
  await s1.close();
  // as a magnet link leaves it: the info dictionary alone, no layers (no peer to ask here)
  const bare = encodeTorrent(created.metainfo.infoBuffer);
  expect(parseTorrent(bare).pieceLayers?.size).toBe(0);
  const s2 = await startSession(path.join(root, 's'));
  sessions.push(s2);
  const t = await s2.add({ torrent: bare }, { downloadDir: seedDir });
  const deadline = Date.now() + 10_000;
  while (t.status().state !== 'seeding' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(t.status()).toMatchObject({ state: 'seeding', progress: 1 });
});

test('a hybrid seeder takes peers that greet it with the truncated v2 info-hash (libtorrent from a urn:btmh link)', async () => {
  const seedDir = path.join(root, 'seed');
  const data = await writeShare(seedDir);
  const created = await createTorrentFromPath(path.join(seedDir, 'share'), {
    format: 'hybrid',
    pieceLength: 32768,
  });
  const s = await startSession(path.join(root, 'enj'));
  sessions.push(s);
  await s.add({ torrent: created.torrent }, { downloadDir: seedDir, seedMode: true });
  const got = path.join(root, 'got');
  const leecher = await startLibtorrent({
    role: 'leech',
    magnet: `magnet:?xt=urn:btmh:1220${created.metainfo.infoHashV2}`,
    dir: got,
    peers: [`127.0.0.1:${s.port}`],
  });
  await leecher.waitForComplete(120_000);
  await expectSameFiles(got, data);
});
