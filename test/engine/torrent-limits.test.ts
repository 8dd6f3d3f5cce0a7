/**
 * A torrent's own rate limits, on top of the session's (Transmission's per-torrent speed limits,
 * qBittorrent's setUploadLimit / setDownloadLimit): real sessions over loopback. The bound
 * checked is an upper one (bytes moved never exceed the limit's allowance for the time that
 * passed, whatever the machine's load), then lifting the limit lets the download finish.
 */
import path from 'node:path';
import { waitFor } from '../peers';
import { makeTorrent, sessionWorkspace, startSession, waitDone } from './helpers';

jest.setTimeout(120_000);

const ws = sessionWorkspace('torrent-limits');
const LIMIT = 64 * 1024;
// the bucket's burst (a quarter second of the rate plus one block) and blocks already in flight
const SLACK = LIMIT / 4 + 16384 + 64 * 16384;

async function swarm() {
  const seedDir = path.join(ws.root, 'seed');
  const t = await makeTorrent(seedDir, 'limited.bin', 4_000_000, { pieceLength: 64 * 1024 });
  const s = await startSession(path.join(ws.root, 's'));
  const l = await startSession(path.join(ws.root, 'l'));
  ws.sessions.push(s, l);
  const seeding = await s.add({ torrent: t.torrent }, { downloadDir: seedDir, seedMode: true });
  await waitFor(() => seeding.status().state === 'seeding', 30_000, 'seeding');
  return { s, l, t, seeding };
}

async function expectHeldBelow(bytes: () => number, startedAt: number) {
  await new Promise((r) => setTimeout(r, 2500));
  const allowance = (LIMIT * (Date.now() - startedAt)) / 1000 + SLACK;
  expect(bytes()).toBeGreaterThan(0);
  expect(bytes()).toBeLessThan(allowance);
}

test("a torrent's download limit holds its bytes down, and lifting it lets it finish", async () => {
  const { s, l, t } = await swarm();
  const got = path.join(ws.root, 'got');
  const lt = await l.add({ torrent: t.torrent }, { downloadDir: got, paused: true });
  lt.setRateLimits({ download: LIMIT });
  expect(lt.rateLimits()).toEqual({ upload: 0, download: LIMIT });
  const startedAt = Date.now();
  await lt.resume();
  lt.addPeer(`127.0.0.1:${s.port}`);
  await expectHeldBelow(() => lt.status().downloadedTotal, startedAt);
  lt.setRateLimits({ download: 0 });
  await waitDone(lt);
});

test("a torrent's upload limit holds what the seeder sends", async () => {
  const { l, t, s, seeding } = await swarm();
  seeding.setRateLimits({ upload: LIMIT });
  const got = path.join(ws.root, 'got');
  const startedAt = Date.now();
  const lt = await l.add({ torrent: t.torrent }, { downloadDir: got });
  lt.addPeer(`127.0.0.1:${s.port}`);
  await expectHeldBelow(() => seeding.status().uploadedTotal, startedAt);
  seeding.setRateLimits({ upload: 0 });
  await waitDone(lt);
});
