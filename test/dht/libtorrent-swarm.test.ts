/**
 * Whole downloads with python3-libtorrent over the DHT and no tracker at all: each peer on its
 * own loopback address, every DHT node joined through a libtorrent router node on another one.
 * enjambre downloads from a libtorrent seeder (from the .torrent, and from a bare info-hash
 * magnet whose metadata libtorrent sends by BEP 9), and a libtorrent leecher downloads from an
 * enjambre seeder it found through the DHT. Bytes are verified.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SessionOptions } from '@enjambre/engine';
import { startLibtorrent, stopAll, type LibtorrentPeer } from '../peers';
import { sha1File, waitFor } from '../peers/util';
import { makeTorrent, sessionWorkspace, sha1, startSession, waitDone } from '../engine/helpers';
import { startLtDht, type LtDhtNode } from './libtorrent-dht';

jest.setTimeout(300_000);

const NET = '127.0.69';
const ws = sessionWorkspace('lt-swarm');
let router: LtDhtNode;
const peers: LibtorrentPeer[] = [];

beforeAll(async () => {
  router = await startLtDht({ ip: `${NET}.2` });
});
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.stop()));
});
afterAll(async () => {
  await stopAll();
});

async function dhtSession(sub: string, host: string, extra: Partial<SessionOptions> = {}) {
  const s = await startSession(path.join(ws.root, sub), {
    ...extra,
    listenHost: host,
    dht: { bootstrap: [router.address], queryTimeoutMs: 1500 },
  });
  ws.sessions.push(s);
  return s;
}

/** A random file and its .torrent (no announce URL) under the test's folder. */
async function fixture(name: string) {
  const seedDir = path.join(ws.root, 'seed');
  const t = await makeTorrent(seedDir, name, 1_500_000 + 333, { pieceLength: 64 * 1024 });
  const torrentFile = path.join(ws.root, `${name}.torrent`);
  await writeFile(torrentFile, t.torrent);
  return { seedDir, t, torrentFile };
}

/** Until a get_peers lookup from `from` returns `ip:port` for the torrent. */
async function announced(
  from: { lookup(h: Buffer): Promise<{ peers: Array<{ ip: string; port: number }> }> },
  infoHash: string,
  ip: string,
  port: number,
): Promise<void> {
  const h = Buffer.from(infoHash, 'hex');
  await waitFor(
    async () => (await from.lookup(h)).peers.some((p) => p.ip === ip && p.port === port),
    90_000,
    `${ip}:${port} announced ${infoHash} on the DHT`,
    500,
  );
}

describe.each(['torrent', 'magnet'] as const)('from a libtorrent seeder (%s)', (kind) => {
  test(`enjambre downloads, having found the seeder only through the DHT`, async () => {
    const f = await fixture(`from-lt-${kind}.bin`);
    const ip = `${NET}.${kind === 'torrent' ? 3 : 4}`;
    const seeder = await startLibtorrent({
      role: 'seed',
      torrentFile: f.torrentFile,
      dir: f.seedDir,
      ip,
      dhtNodes: [router.address],
    });
    peers.push(seeder);
    await seeder.waitForComplete(60_000); // data checked
    const leecher = await dhtSession('l', `${NET}.${kind === 'torrent' ? 11 : 12}`);
    // libtorrent's announce has reached the DHT before the torrent is added (its own lookup
    // runs once at start, then every 15 minutes)
    await announced(leecher.dht!, f.t.infoHash, ip, seeder.port);
    const got = path.join(ws.root, 'got');
    const torrent = await leecher.add(
      kind === 'torrent'
        ? { torrent: f.t.torrent }
        : { magnet: `magnet:?xt=urn:btih:${f.t.infoHash}` },
      { downloadDir: got },
    );
    await waitDone(torrent, 120_000);
    expect(await sha1File(path.join(got, f.t.files[0].path[0]))).toBe(sha1(f.t.files[0].data));
    const status = torrent.status();
    expect(status.peersFound.dht).toBeGreaterThan(0);
    expect(status.peersFound.tracker).toBe(0);
    expect(status.peersFound.manual).toBe(0);
  });
});

test('a libtorrent leecher downloads from an enjambre seeder it found only through the DHT', async () => {
  const f = await fixture('to-lt.bin');
  // slow enough that libtorrent's status lines show the connection while it downloads
  const seeder = await dhtSession('s', `${NET}.20`, { uploadRateLimit: 400_000 });
  await seeder.add({ torrent: f.t.torrent }, { downloadDir: f.seedDir, seedMode: true });
  const probe = await dhtSession('p', `${NET}.22`);
  await announced(probe.dht!, f.t.infoHash, `${NET}.20`, seeder.port);

  const got = path.join(ws.root, 'lt-got');
  const leecher = await startLibtorrent({
    role: 'leech',
    torrentFile: f.torrentFile,
    dir: got,
    ip: `${NET}.21`,
    dhtNodes: [router.address],
  });
  peers.push(leecher);
  // libtorrent records where it learnt of a peer: the DHT named us (nobody else could)
  const ours = await waitFor(
    () => leecher.details?.peers.find((p) => p.ip === `${NET}.20` && p.port === seeder.port),
    120_000,
    'libtorrent connects to the enjambre seeder',
    50,
  );
  expect(ours.source).toContain('dht');
  await leecher.waitForComplete(120_000);
  expect(await sha1File(path.join(got, f.t.files[0].path[0]))).toBe(sha1(f.t.files[0].data));
});
