// Self-test of the real-client harness: Debian's clients swap data over loopback through
// opentracker with the harness's settings (all peers on 127.0.0.1), bytes verified.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import {
  freePort,
  magnetOf,
  makeTestData,
  makeTorrent,
  sha1File,
  startAria2,
  startLibtorrent,
  startOpentracker,
  startTransmission,
  stopAll,
  tempDir,
  removeLater,
  waitForSwarm,
  type Opentracker,
} from './index';

jest.setTimeout(180_000);

const MiB = 1024 * 1024;
let work: string;
let tracker: Opentracker;

beforeAll(async () => {
  work = await tempDir('harness-test');
  removeLater(work);
  tracker = await startOpentracker({ whitelist: [] });
});

afterAll(stopAll);

/** A seeder folder with one deterministic file and its .torrent announcing to opentracker. */
async function seedFolder(name: string, size: number) {
  const seedDir = path.join(work, `${name}-seed`);
  const file = await makeTestData(path.join(seedDir, `${name}.bin`), size, name);
  const torrent = await makeTorrent(file.path, {
    announce: [tracker.httpAnnounce],
    pieceLength: 64 * 1024,
    output: path.join(work, `${name}.torrent`),
  });
  await tracker.allow([torrent.infoHash]);
  return { seedDir, file, torrent };
}

test('utilities: deterministic data, info-hash as transmission-show computes it, free ports', async () => {
  const a = await makeTestData(path.join(work, 'det', 'a.bin'), 3 * MiB + 5, 'same');
  const b = await makeTestData(path.join(work, 'det', 'b.bin'), 3 * MiB + 5, 'same');
  const c = await makeTestData(path.join(work, 'det', 'c.bin'), 3 * MiB + 5, 'other');
  expect(a.sha1).toBe(b.sha1);
  expect(a.sha1).not.toBe(c.sha1);
  expect(await sha1File(a.path)).toBe(a.sha1);

  const torrent = await makeTorrent(path.join(work, 'det'), {
    announce: [
      ['udp://127.0.0.1:1/announce', 'http://127.0.0.1:2/announce'],
      ['http://127.0.0.1:3/announce'],
    ],
    pieceLength: 32 * 1024,
  });
  const { stdout } = await promisify(execFile)('transmission-show', [torrent.torrentFile]);
  expect(stdout).toContain(`Hash: ${torrent.infoHash}`);
  expect(stdout).toMatch(/Tier #2\s+http:\/\/127\.0\.0\.1:3\/announce/);

  const port = await freePort();
  expect(port).toBeGreaterThan(0);
});

test('libtorrent seeder -> aria2 leecher through opentracker', async () => {
  const { seedDir, file, torrent } = await seedFolder('lt-to-aria2', 6 * MiB);
  const seeder = await startLibtorrent({
    role: 'seed',
    torrentFile: torrent.torrentFile,
    dir: seedDir,
  });
  await seeder.waitForComplete(60_000); // verified its data
  await waitForSwarm(tracker.httpAnnounce, torrent.infoHash, { seeders: 1 });
  const leechDir = path.join(work, 'lt-to-aria2-leech');
  const leecher = await startAria2({
    role: 'leech',
    torrentFile: torrent.torrentFile,
    dir: leechDir,
  });
  await leecher.waitForComplete(120_000);
  expect(await sha1File(path.join(leechDir, 'lt-to-aria2.bin'))).toBe(file.sha1);
  // The tracker, not a direct connection, introduced them.
  expect(seeder.alerts.some((a) => a.alert === 'tracker_reply_alert')).toBe(true);
  await Promise.all([seeder.stop(), leecher.stop()]);
});

test('transmission seeder -> libtorrent leecher from a magnet link (metadata over BEP 9)', async () => {
  const { seedDir, file, torrent } = await seedFolder('tr-to-lt', 5 * MiB + 12345);
  const seeder = await startTransmission({
    role: 'seed',
    torrentFile: torrent.torrentFile,
    dir: seedDir,
  });
  await seeder.waitForComplete(60_000);
  // Transmission says "Seeding" before its first announce; start the leecher once the tracker
  // knows the seeder, or the leecher's only announce returns nobody.
  await waitForSwarm(tracker.httpAnnounce, torrent.infoHash, { seeders: 1 });
  const leechDir = path.join(work, 'tr-to-lt-leech');
  const magnet = magnetOf(torrent.infoHash, {
    name: torrent.name,
    trackers: [tracker.httpAnnounce],
  });
  const leecher = await startLibtorrent({ role: 'leech', magnet, dir: leechDir });
  const done = await leecher.waitForComplete(120_000);
  expect(done.state).toMatch(/finished|seeding/);
  expect(await sha1File(path.join(leechDir, 'tr-to-lt.bin'))).toBe(file.sha1);
  expect(leecher.alerts.some((a) => a.alert === 'metadata_received_alert')).toBe(true);
  expect(
    leecher.alerts.some((a) => a.alert === 'tracker_reply_alert' && (a.num_peers ?? 0) > 0),
  ).toBe(true);
  await Promise.all([seeder.stop(), leecher.stop()]);
});

test('aria2 seeder -> transmission leecher through opentracker', async () => {
  const { seedDir, file, torrent } = await seedFolder('aria2-to-tr', 3 * MiB + 1);
  // Transmission never dials a peer at 127.0.0.1, so the seeder must dial it: re-announce often
  // to learn of the leecher.
  const seeder = await startAria2({
    role: 'seed',
    torrentFile: torrent.torrentFile,
    dir: seedDir,
    announceInterval: 2,
  });
  await seeder.waitForComplete(60_000);
  await waitForSwarm(tracker.httpAnnounce, torrent.infoHash, { seeders: 1 });
  const leechDir = path.join(work, 'aria2-to-tr-leech');
  const leecher = await startTransmission({
    role: 'leech',
    torrentFile: torrent.torrentFile,
    dir: leechDir,
  });
  const done = await leecher.waitForComplete(120_000);
  expect(done.state).toBe('seeding'); // transmission-cli keeps running (seeding) once complete
  expect(await sha1File(path.join(leechDir, 'aria2-to-tr.bin'))).toBe(file.sha1);
  await Promise.all([seeder.stop(), leecher.stop()]);
});

test('direct connection without a tracker: aria2 seeder -> libtorrent leecher via connect_peer', async () => {
  const seedDir = path.join(work, 'direct-seed');
  const file = await makeTestData(path.join(seedDir, 'direct.bin'), 2 * MiB, 'direct');
  // A tracker that never answers: only the direct connection can introduce the peers.
  const deadPort = await freePort();
  const torrent = await makeTorrent(file.path, {
    announce: [`http://127.0.0.1:${deadPort}/announce`],
    pieceLength: 32 * 1024,
    output: path.join(work, 'direct.torrent'),
  });
  const seeder = await startAria2({ role: 'seed', torrentFile: torrent.torrentFile, dir: seedDir });
  await seeder.waitForComplete(60_000);
  const leechDir = path.join(work, 'direct-leech');
  const leecher = await startLibtorrent({
    role: 'leech',
    torrentFile: torrent.torrentFile,
    dir: leechDir,
    peers: [`127.0.0.1:${seeder.port}`],
  });
  await leecher.waitForComplete(120_000);
  expect(await sha1File(path.join(leechDir, 'direct.bin'))).toBe(file.sha1);
  await Promise.all([seeder.stop(), leecher.stop()]);
});
