/**
 * A v2 torrent started from a `urn:btmh` magnet learns its piece layers from peers (BEP 52 hash
 * requests). They are saved with its resume record: after a restart, with the peer that gave
 * them gone, the torrent seeds at once and answers another peer's hash requests itself.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { encodeTorrent, parseTorrent } from '@enjambre/bittorrent';
import type { Session } from '@enjambre/engine';
import { startLibtorrent, stopAll } from '../peers';
import { removeDir, startSession, tempDir, waitDone } from './helpers';

const run = promisify(execFile);
jest.setTimeout(180_000);

let root: string;
const sessions: Session[] = [];
beforeEach(async () => {
  root = await tempDir('v2layers');
});
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  await stopAll();
  await removeDir(root);
});

test('piece layers learned from peers survive a restart: the torrent serves them to the next peer', async () => {
  const seedDir = path.join(root, 'seed');
  // files of many 16 KiB pieces: each has a piece layer outside the info dictionary
  const data = new Map([
    ['a.bin', randomBytes(600_001)],
    ['sub/b.bin', randomBytes(100_000)],
  ]);
  for (const [rel, b] of data) {
    await mkdir(path.dirname(path.join(seedDir, 'share', rel)), { recursive: true });
    await writeFile(path.join(seedDir, 'share', rel), b);
  }
  const file = path.join(root, 'lt.torrent');
  await run('/usr/bin/python3', [
    '-c',
    `import sys, libtorrent as lt
fs = lt.file_storage()
lt.add_files(fs, sys.argv[1])
t = lt.create_torrent(fs, 16384, flags=lt.create_torrent.v2_only)
lt.set_piece_hashes(t, sys.argv[2])
open(sys.argv[3], 'wb').write(lt.bencode(t.generate()))`,
    path.join(seedDir, 'share'),
    seedDir,
    file,
  ]);
  const m = parseTorrent(await readFile(file));
  const seeder = await startLibtorrent({ role: 'seed', torrentFile: file, dir: seedDir });
  await seeder.waitForComplete(60_000);

  const got = path.join(root, 'got');
  const s1 = await startSession(path.join(root, 'enj'));
  const t1 = await s1.add(
    { magnet: `magnet:?xt=urn:btmh:1220${m.infoHashV2}&x.pe=127.0.0.1:${seeder.port}` },
    { downloadDir: got },
  );
  await waitDone(t1, 120_000);
  // the .torrent it gives now carries the layers it learned, as the original does
  const exported = parseTorrent(t1.torrentFile()!);
  expect(exported.pieceLayers?.size).toBe(m.pieceLayers!.size);
  for (const [f, layer] of m.pieceLayers!)
    expect(exported.pieceLayers!.get(f)?.equals(layer)).toBe(true);
  // added again as the magnet left it, the info dictionary alone: the resume record has the layers
  const saved = encodeTorrent(m.infoBuffer);
  expect(parseTorrent(saved).pieceLayers?.size ?? 0).toBe(0);
  await s1.close();
  await seeder.stop();

  const s2 = await startSession(path.join(root, 'enj'));
  sessions.push(s2);
  const t2 = await s2.add({ torrent: saved }, { downloadDir: got });
  expect(t2.status()).toMatchObject({ state: 'seeding', progress: 1 });
  // an enjambre leecher holds back every piece until it has its layer, and only t2 can answer
  // (libtorrent is no judge here: it checks a whole file against its root without any layer)
  const s3 = await startSession(path.join(root, 'leech'));
  sessions.push(s3);
  const again = path.join(root, 'again');
  const t3 = await s3.add(
    { magnet: `magnet:?xt=urn:btmh:1220${m.infoHashV2}&x.pe=127.0.0.1:${s2.port}` },
    { downloadDir: again },
  );
  await waitDone(t3, 90_000);
  for (const [rel, b] of data) {
    expect((await readFile(path.join(again, 'share', rel))).equals(b)).toBe(true);
  }
});
