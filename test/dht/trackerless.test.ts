/**
 * Trackerless swarms: two enjambre sessions with no tracker at all meet only through the DHT
 * (bootstrapped from a python3-libtorrent node on another loopback address), and the leecher
 * downloads from a bare info-hash magnet: the DHT finds the seeder, BEP 9 fetches the metadata,
 * then the pieces, also when the magnet was added before the seeder announced. A swarm whose
 * every tracker is down keeps working through the DHT. A private torrent never reaches the DHT.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { stopAll } from '../peers/process';
import { freePort, waitFor } from '../peers/util';
import { makeTorrent, sessionWorkspace, startSession, waitDone } from '../engine/helpers';
import { startLtDht, type LtDhtNode } from './libtorrent-dht';

jest.setTimeout(200_000);

const NET = '127.0.64';
const ws = sessionWorkspace('trackerless');
let router: LtDhtNode;

beforeAll(async () => {
  router = await startLtDht({ ip: `${NET}.2` });
});
afterAll(async () => {
  await stopAll();
});

async function dhtSession(sub: string, host: string) {
  const s = await startSession(path.join(ws.root, sub), {
    listenHost: host,
    dht: { bootstrap: [router.address], queryTimeoutMs: 1500 },
  });
  ws.sessions.push(s);
  return s;
}

const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');

test('a bare info-hash magnet downloads from a seeder found only through the DHT', async () => {
  const seedDir = path.join(ws.root, 'seed');
  const t = await makeTorrent(seedDir, 'no-tracker.bin', 600_000, { pieceLength: 32 * 1024 });
  const seeder = await dhtSession('s', `${NET}.10`);
  await seeder.add({ torrent: t.torrent }, { downloadDir: seedDir, seedMode: true });

  const leecher = await dhtSession('l', `${NET}.11`);
  const hash = Buffer.from(t.infoHash, 'hex');
  // the seeder's announce has reached the DHT before the leecher asks
  await waitFor(
    async () =>
      (await leecher.dht!.lookup(hash)).peers.some(
        (p) => p.ip === `${NET}.10` && p.port === seeder.port,
      ),
    40_000,
    'the seeder announced on the DHT',
    500,
  );
  const got = path.join(ws.root, 'got');
  const lt = await leecher.add(
    { magnet: `magnet:?xt=urn:btih:${t.infoHash}` },
    { downloadDir: got },
  );
  await waitDone(lt);
  expect(sha1(await readFile(path.join(got, 'no-tracker.bin')))).toBe(sha1(t.files[0].data));
  const status = lt.status();
  expect(status.peersFound.dht).toBeGreaterThan(0);
  expect(status.peersFound.tracker).toBe(0);
});

test('a bare magnet added before its seeder announced completes once the seeder is on the DHT', async () => {
  const seedDir = path.join(ws.root, 'seed');
  const t = await makeTorrent(seedDir, 'early-magnet.bin', 400_000, { pieceLength: 32 * 1024 });
  const leecher = await dhtSession('l', `${NET}.41`);
  const got = path.join(ws.root, 'got');
  // its first lookup finds nobody: the seeder is not there yet
  const lt = await leecher.add(
    { magnet: `magnet:?xt=urn:btih:${t.infoHash}` },
    { downloadDir: got },
  );
  const seeder = await dhtSession('s', `${NET}.40`);
  await seeder.add({ torrent: t.torrent }, { downloadDir: seedDir, seedMode: true });
  // a later lookup (sooner than the 15-minute round) finds it
  await waitDone(lt, 150_000);
  expect(sha1(await readFile(path.join(got, 'early-magnet.bin')))).toBe(sha1(t.files[0].data));
  expect(lt.status().peersFound.dht).toBeGreaterThan(0);
});

test('a leecher whose only trackers are down completes through the DHT', async () => {
  // nothing listens on these: the HTTP announce is refused, the UDP one never answered
  const dead = [
    `http://127.0.0.1:${await freePort()}/announce`,
    `udp://127.0.0.1:${await freePort()}`,
  ];
  const seedDir = path.join(ws.root, 'seed');
  const t = await makeTorrent(seedDir, 'dead-trackers.bin', 700_000, {
    pieceLength: 32 * 1024,
    announce: dead,
  });
  const seeder = await dhtSession('s', `${NET}.30`);
  await seeder.add({ torrent: t.torrent }, { downloadDir: seedDir, seedMode: true });
  const leecher = await dhtSession('l', `${NET}.31`);
  await waitFor(
    async () =>
      (await leecher.dht!.lookup(Buffer.from(t.infoHash, 'hex'))).peers.some(
        (p) => p.ip === `${NET}.30` && p.port === seeder.port,
      ),
    40_000,
    'the seeder announced on the DHT',
    500,
  );
  const got = path.join(ws.root, 'got');
  const lt = await leecher.add({ torrent: t.torrent }, { downloadDir: got });
  await waitDone(lt);
  expect(sha1(await readFile(path.join(got, 'dead-trackers.bin')))).toBe(sha1(t.files[0].data));
  const status = lt.status();
  expect(status.peersFound).toMatchObject({ tracker: 0, manual: 0 });
  expect(status.peersFound.dht).toBeGreaterThan(0);
  // the trackers were really asked, and failed
  expect(
    lt
      .trackers()
      .map((tr) => tr.url)
      .sort(),
  ).toEqual([...dead].sort());
  await waitFor(
    () => lt.trackers().some((tr) => tr.status === 'error'),
    30_000,
    `a tracker announce failed (${JSON.stringify(lt.trackers())})`,
  );
  expect(lt.trackers().some((tr) => tr.status === 'working')).toBe(false);
});

test('a private torrent is never announced on the DHT', async () => {
  const seedDir = path.join(ws.root, 'seed');
  const t = await makeTorrent(seedDir, 'private.bin', 100_000, { private: true });
  const seeder = await dhtSession('s', `${NET}.20`);
  await seeder.add({ torrent: t.torrent }, { downloadDir: seedDir, seedMode: true });
  const pub = await makeTorrent(seedDir, 'public.bin', 100_000);
  await seeder.add({ torrent: pub.torrent }, { downloadDir: seedDir, seedMode: true });

  const probe = await dhtSession('p', `${NET}.21`);
  // the public torrent shows up (so announces work in this run) ...
  await waitFor(
    async () => (await probe.dht!.lookup(Buffer.from(pub.infoHash, 'hex'))).peers.length > 0,
    40_000,
    'the public torrent announced',
    500,
  );
  // ... the private one, added first, does not
  const r = await probe.dht!.lookup(Buffer.from(t.infoHash, 'hex'));
  expect(r.peers).toEqual([]);
});
