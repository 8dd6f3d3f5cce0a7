/**
 * LSD (BEP 14) between hosts on a LAN: two network namespaces joined by a veth pair, multicast
 * routed to it, no tracker and no DHT. Two enjambre sessions (each in its own process, in its
 * own namespace) share a file; libtorrent finds an enjambre seeder by LSD, and enjambre finds a
 * libtorrent seeder. Bytes are verified.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ManagedProcess, startLibtorrent, stopAll } from '../peers';
import { sha1File, waitFor } from '../peers/util';
import { makeTorrent, removeDir, sha1, tempDir } from '../engine/helpers';
import { collectJson, type JsonLine } from './helpers';
import { LoopbackNamespace } from './netns';

jest.setTimeout(300_000);

const a = new LoopbackNamespace('ejlsdlana');
const b = new LoopbackNamespace('ejlsdlanb');
const A = '10.72.0.1';
const B = '10.72.0.2';
let root: string;

beforeAll(async () => {
  a.create();
  b.create();
  a.link(b, A, B);
  root = await tempDir('lsd-lan');
});
afterAll(async () => {
  await stopAll();
  a.destroy(); // the veth pair goes with it
  b.destroy();
  await removeDir(root);
});

async function fixture(name: string) {
  const seedDir = path.join(root, `${name}-seed`);
  const t = await makeTorrent(seedDir, `${name}.bin`, 1_200_000 + 77, { pieceLength: 32 * 1024 });
  const torrentFile = path.join(root, `${name}.torrent`);
  await writeFile(torrentFile, t.torrent);
  const expected = sha1(t.files[0].data);
  return { seedDir, t, torrentFile, expected, file: `${name}.bin` };
}

interface Child {
  lines: JsonLine[];
  proc: ManagedProcess;
  port: number;
  /** The latest status line. */
  status(): JsonLine | undefined;
}

/** An enjambre Session (session-child.ts) with LSD on and no DHT, inside `ns`. */
async function session(
  ns: LoopbackNamespace,
  ip: string,
  o: {
    name: string;
    torrent: string;
    downloadDir: string;
    seed: boolean;
    uploadRateLimit?: number;
  },
): Promise<Child> {
  const cfg = { dir: path.join(root, `state-${o.name}`), listenHost: ip, lsd: {}, ...o };
  const proc = new ManagedProcess(
    `lsd-session ${o.name}`,
    'ip',
    ns.node(path.join(__dirname, 'session-child.ts'), JSON.stringify(cfg)),
  );
  const lines = collectJson(proc);
  const started = await waitFor(
    () => lines.find((l) => l.type === 'started'),
    30_000,
    `session ${o.name} (${proc.tail()})`,
  );
  expect(started.lsd).toBe(true);
  return {
    lines,
    proc,
    port: started.port as number,
    status: () => lines.filter((l) => l.type === 'status').pop(),
  };
}

const found = (c: Child) => (c.status()?.peersFound ?? {}) as Record<string, number>;

async function completes(c: Child, what: string): Promise<void> {
  await waitFor(
    () => c.status()?.progress === 1,
    120_000,
    `${what} completes (${JSON.stringify(c.status())} ${c.proc.tail()})`,
    250,
  );
}

test('two enjambre sessions on two hosts share a file found by LSD', async () => {
  const f = await fixture('pair');
  const got = path.join(root, 'pair-got');
  // the leecher first: the seeder's announce when its torrent is added reaches it
  const leecher = await session(b, B, {
    name: 'pair-l',
    torrent: f.torrentFile,
    downloadDir: got,
    seed: false,
  });
  await session(a, A, {
    name: 'pair-s',
    torrent: f.torrentFile,
    downloadDir: f.seedDir,
    seed: true,
  });
  await completes(leecher, 'the enjambre leecher');
  expect(await sha1File(path.join(got, f.file))).toBe(f.expected);
  expect(found(leecher).lsd).toBeGreaterThan(0);
  expect(found(leecher).tracker + found(leecher).dht).toBe(0);
});

test('enjambre finds a libtorrent seeder on the LAN by LSD', async () => {
  const f = await fixture('from-lt');
  const got = path.join(root, 'from-lt-got');
  // ours first: its one announce (on add) goes unheard, so libtorrent cannot dial us and the
  // connection comes from us hearing libtorrent's announces (every 2 s)
  const leecher = await session(a, A, {
    name: 'from-lt',
    torrent: f.torrentFile,
    downloadDir: got,
    seed: false,
  });
  const lt = await startLibtorrent({
    role: 'seed',
    torrentFile: f.torrentFile,
    dir: f.seedDir,
    ip: B,
    lsd: true,
    prefix: ['ip', ...b.exec()],
  });
  await completes(leecher, 'the enjambre leecher');
  expect(await sha1File(path.join(got, f.file))).toBe(f.expected);
  expect(found(leecher).lsd).toBeGreaterThan(0);
  await lt.stop();
});

test('libtorrent finds an enjambre seeder on the LAN by LSD', async () => {
  const f = await fixture('to-lt');
  const got = path.join(root, 'to-lt-got');
  // libtorrent announces rarely (its first announce may come before we listen), so it hears our
  // announce (sent as the torrent is added) before we hear one of its own
  const lt = await startLibtorrent({
    role: 'leech',
    torrentFile: f.torrentFile,
    dir: got,
    ip: B,
    lsd: true,
    lsdInterval: 3600,
    prefix: ['ip', ...b.exec()],
  });
  await waitFor(
    async () => (await lt.status()).state === 'downloading',
    30_000,
    'libtorrent started',
  );
  // slow enough that libtorrent's status lines show the connection while it downloads
  const seeder = await session(a, A, {
    name: 'to-lt',
    torrent: f.torrentFile,
    downloadDir: f.seedDir,
    seed: true,
    uploadRateLimit: 400_000,
  });
  const ours = await waitFor(
    () => lt.details?.peers.find((p) => p.ip === A && p.port === seeder.port),
    120_000,
    `libtorrent dials the enjambre seeder (${lt.tail()})`,
    50,
  );
  expect(ours.source).toContain('lsd');
  await lt.waitForComplete(120_000);
  expect(await sha1File(path.join(got, f.file))).toBe(f.expected);
  await lt.stop();
});
