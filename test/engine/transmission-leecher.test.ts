/**
 * transmission-cli 3.00 downloading from an enjambre seeder, through our tracker and through
 * opentracker, bytes verified by SHA-1.
 *
 * Transmission 3.00 never dials a peer at 127.0.0.1 (it drops loopback addresses from trackers as
 * "martian"), so on loopback it only gets data when the seeder connects to it. The main case therefore puts Transmission in its own network
 * namespace behind a veth pair (10.79.0.2 inside, 10.79.0.1 on the host, where the tracker and
 * the enjambre seeder listen): Transmission learns the seeder from the tracker and dials it, as
 * it would on a LAN. The loopback case checks the other real path: the enjambre seeder learns of
 * the leecher from the tracker and dials it. Needs root (CI runs the suite as root).
 */
import { execFileSync } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { startTracker, type RunningTracker } from '@enjambre/tracker';
import type { Session, Torrent } from '@enjambre/engine';
import {
  freePort,
  makeTestData,
  makeTorrent,
  removeDir,
  sha1File,
  startOpentracker,
  startTransmission,
  stopAll,
  tempDir,
  waitForSwarm,
  type Opentracker,
  type Peer,
} from '../peers';
import { startSession } from './helpers';

jest.setTimeout(180_000);

type TrackerKind = 'enjambre' | 'opentracker';

const HOST_IP = '10.79.0.1';
const NS_IP = '10.79.0.2';
/** Namespace and veth names carry our pid, so a crashed run's leftovers can be told apart. */
const NS_PREFIX = 'ejtx';
const ns = `${NS_PREFIX}${process.pid}`;
const hostVeth = `${NS_PREFIX}h${process.pid}`;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Removes namespaces (and with them their veths) left by a run whose process is gone. */
function removeStaleNamespaces(): void {
  const list = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  for (const line of list.split('\n')) {
    const m = new RegExp(`^${NS_PREFIX}(\\d+)\\b`).exec(line);
    if (!m || isAlive(Number(m[1]))) continue;
    try {
      ip('netns', 'del', `${NS_PREFIX}${m[1]}`);
    } catch {
      // Already gone.
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function createNamespace(): void {
  removeStaleNamespaces();
  ip('netns', 'add', ns);
  ip('link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', `${NS_PREFIX}n${process.pid}`);
  ip('link', 'set', `${NS_PREFIX}n${process.pid}`, 'netns', ns);
  ip('addr', 'add', `${HOST_IP}/24`, 'dev', hostVeth);
  ip('link', 'set', hostVeth, 'up');
  ip('-n', ns, 'link', 'set', `${NS_PREFIX}n${process.pid}`, 'name', 'eth0');
  ip('-n', ns, 'addr', 'add', `${NS_IP}/24`, 'dev', 'eth0');
  ip('-n', ns, 'link', 'set', 'eth0', 'up');
  ip('-n', ns, 'link', 'set', 'lo', 'up');
}

/** Deleting the namespace deletes the veth pair, and with it the host's 10.79.0.1. */
function destroyNamespace(): void {
  try {
    ip('netns', 'del', ns);
  } catch {
    // Never created, or already gone.
  }
}

interface Trackers {
  ours: RunningTracker;
  ot: Opentracker;
  announce: Record<TrackerKind, string>;
}

async function startTrackers(host: string): Promise<Trackers> {
  const ours = await startTracker({
    ip: host,
    grpcPort: 0,
    httpPort: 0,
    udpPort: 0,
    metricsPort: null,
    logLevel: 'silent',
  });
  // The harness's opentracker always listens on 127.0.0.1 (its readiness probe goes there);
  // another listen line on the same port adds the namespace-facing address.
  const port = await freePort();
  const ot = await startOpentracker({
    whitelist: [],
    port,
    extraConfig: host === '127.0.0.1' ? [] : [`listen.tcp_udp ${host}:${port}`],
  });
  return {
    ours,
    ot,
    announce: {
      enjambre: `http://${host}:${ours.httpPort}/announce`,
      opentracker: `http://${host}:${port}/announce`,
    },
  };
}

const sessions: Session[] = [];
const leechers: Peer[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(leechers.splice(0).map((p) => p.stop()));
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  await Promise.all(dirs.splice(0).map((d) => removeDir(d)));
});

async function fixture(trackers: Trackers, kind: TrackerKind, name: string) {
  const root = await tempDir('tx-leech');
  dirs.push(root);
  const seedDir = path.join(root, 'seed');
  const data = await makeTestData(path.join(seedDir, name), 5 * 1024 * 1024 + 777, name);
  const t = await makeTorrent(data.path, {
    announce: [trackers.announce[kind]],
    pieceLength: 256 * 1024,
    output: path.join(root, `${name}.torrent`),
  });
  if (kind === 'opentracker') await trackers.ot.allow([t.infoHash]);
  return { root, seedDir, data, t, torrent: await readFile(t.torrentFile) };
}

async function seed(root: string, listenHost: string, torrent: Buffer, dir: string) {
  const s = await startSession(path.join(root, 'enj'), { listenHost });
  sessions.push(s);
  const t = await s.add({ torrent }, { downloadDir: dir, seedMode: true });
  expect(t.status().state).toBe('seeding');
  return t;
}

/**
 * Waits for the leecher to complete and checks its bytes; returns every peer the seeder was
 * connected to meanwhile ("address source client"), sampled since complete peers hang up.
 */
async function finish(t: Torrent, leecher: Peer, got: string, sha1: string): Promise<string[]> {
  const seen = new Set<string>();
  const sample = () => {
    for (const p of t.peers()) seen.add(`${p.address} ${p.source} ${p.client}`);
  };
  const timer = setInterval(sample, 100);
  try {
    await leecher.waitForComplete(120_000);
  } finally {
    clearInterval(timer);
  }
  sample();
  expect(await sha1File(got)).toBe(sha1);
  expect(t.status().uploadedTotal).toBeGreaterThanOrEqual((await stat(got)).size);
  return [...seen];
}

const kinds: TrackerKind[] = ['enjambre', 'opentracker'];

/**
 * Runs the case through both trackers at once (separate torrents, seeders and leechers; most of
 * a case is Transmission's timers, not work) and reports every failure with its tracker.
 */
async function throughBothTrackers(run: (kind: TrackerKind) => Promise<void>): Promise<void> {
  const results = await Promise.allSettled(kinds.map(run));
  const failures = results.flatMap((r, i) =>
    r.status === 'rejected' ? [`through ${kinds[i]} tracker: ${(r.reason as Error).message}`] : [],
  );
  if (failures.length > 0) throw new Error(failures.join('\n\n'));
}

describe('transmission-cli leecher in its own network namespace', () => {
  let trackers: Trackers | undefined;

  beforeAll(async () => {
    createNamespace();
    trackers = await startTrackers(HOST_IP);
  });
  afterAll(async () => {
    await trackers?.ours.close();
    await stopAll();
    destroyNamespace();
  });

  test('dials the enjambre seeder it learns from our tracker and from opentracker, and downloads the bytes', () =>
    throughBothTrackers(async (kind) => {
      const tr = trackers!;
      const f = await fixture(tr, kind, `netns-${kind}.bin`);
      const t = await seed(f.root, HOST_IP, f.torrent, f.seedDir);
      await waitForSwarm(tr.announce[kind], f.t.infoHash, { seeders: 1 }, 60_000);
      const got = path.join(f.root, 'got');
      const leecher = await startTransmission({
        role: 'leech',
        torrentFile: f.t.torrentFile,
        dir: got,
        bindAddress: NS_IP,
        prefix: ['ip', 'netns', 'exec', ns],
      });
      leechers.push(leecher);
      const seen = await finish(t, leecher, path.join(got, f.t.name), f.data.sha1);
      // Transmission dialled the seeder: it is an incoming peer from the namespace.
      expect(seen).toContainEqual(
        expect.stringMatching(
          new RegExp(`^${NS_IP.replace(/\./g, '\\.')}:\\d+ incoming Transmission`),
        ),
      );
    }));
});

describe('transmission-cli leecher on loopback', () => {
  let trackers: Trackers | undefined;

  beforeAll(async () => {
    trackers = await startTrackers('127.0.0.1');
  });
  afterAll(async () => {
    await trackers?.ours.close();
    await stopAll();
  });

  test('the enjambre seeder learns of it from our tracker and from opentracker, dials it, and it downloads the bytes', () =>
    throughBothTrackers(async (kind) => {
      const tr = trackers!;
      const f = await fixture(tr, kind, `lo-${kind}.bin`);
      // The leecher first, so the seeder's first announce returns it (the engine clamps the
      // tracker's interval to at least 30 s, so a seeder that came first would learn of the
      // leecher only at its re-announce, 30 s later).
      const got = path.join(f.root, 'got');
      const leecher = await startTransmission({
        role: 'leech',
        torrentFile: f.t.torrentFile,
        dir: got,
      });
      leechers.push(leecher);
      await waitForSwarm(tr.announce[kind], f.t.infoHash, { leechers: 1 }, 60_000);
      const t = await seed(f.root, '127.0.0.1', f.torrent, f.seedDir);
      const seen = await finish(t, leecher, path.join(got, f.t.name), f.data.sha1);
      // The seeder dialled Transmission's listen port, which it had from the tracker.
      expect(seen).toContainEqual(
        expect.stringMatching(new RegExp(`^127\\.0\\.0\\.1:${leecher.port} tracker Transmission`)),
      );
    }));
});
