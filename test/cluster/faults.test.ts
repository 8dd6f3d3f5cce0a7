// Fault tests of the tracker cluster with real replica processes in network namespaces, configured
// exactly as the Helm chart (the same objects as the kustomize base) configures the StatefulSet's
// pods (see cluster.ts). Clients announce throughout through the agent, each listing all replicas
// as announce-list tiers.
import { Cluster, buildTracker, until, type Replica } from './cluster';

jest.setTimeout(180_000);

interface ClientStats {
  peerId: string;
  ok: number;
  failed: number;
  last: { at: number; target: string; peers: number } | null;
}
interface Torrent {
  infoHash: string;
  name: string;
  seeders: number;
}
interface Scrape {
  complete: number;
  downloaded: number;
  incomplete: number;
}

const CLIENTS = 6;
const swarm = 'ab'.repeat(20);
const published = 'cd'.repeat(20);
const peerId = (n: number) =>
  Buffer.from(`-EJ0001-client${String(n).padStart(6, '0')}`).toString('hex');

let cluster: Cluster;
let r0: Replica, r1: Replica, r2: Replica;

/**
 * Retries a query while the replica cannot be reached yet (a client channel still backing off from
 * the replica's downtime, on a loaded machine); any answer, or any other error, is final.
 */
async function reach<T>(query: () => Promise<T>): Promise<T> {
  const end = Date.now() + 30_000;
  for (;;) {
    try {
      return await query();
    } catch (e) {
      const transport = /No connection established|UNAVAILABLE|ECONNREFUSED|Deadline exceeded/i;
      if (!transport.test(String(e)) || Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
const list = (r: Replica) =>
  reach(() => cluster.call<Torrent[]>('list', { target: cluster.target(r) }));
const scrape = (r: Replica, hashes: string[]) =>
  reach(() => cluster.call<Scrape[]>('scrape', { target: cluster.target(r), infoHashes: hashes }));
const logs = () =>
  cluster.replicas.map((r) => `--- ${r.name}\n${cluster.log(r).slice(-3000)}`).join('\n');

async function allReady(replicas: Replica[]): Promise<void> {
  await until(
    'replicas ready',
    async () => (await Promise.all(replicas.map((r) => cluster.ready(r)))).every(Boolean),
    90_000,
    logs,
  );
}

/** Every client has announced since `since` and got every other client as a peer. */
async function completeLists(since: number): Promise<ClientStats[]> {
  return until(
    'complete peer lists',
    async () => {
      const stats = await cluster.call<ClientStats[]>('loadStats');
      return stats.every(
        (s) => s.last !== null && s.last.at > since && s.last.peers === CLIENTS - 1,
      )
        ? stats
        : null;
    },
    60_000,
    logs,
  );
}

beforeAll(async () => {
  buildTracker();
  cluster = new Cluster(`ejc${process.pid % 100000}`);
  [r0, r1, r2] = cluster.replicas;
  for (const r of cluster.replicas) cluster.start(r);
  cluster.startAgent();
  await allReady([r0, r1, r2]);
});

afterAll(async () => {
  await cluster?.destroy();
});

it('runs the replicas from the manifests, each replicating to the two others by host name', async () => {
  expect(r0.env.ENJAMBRE_TRACKER_ADVERTISE).toBe('enjambre-tracker-0.enjambre-tracker-peers:8169');
  expect(r0.env.ENJAMBRE_TRACKER_IP).toBe('0.0.0.0');
  for (const r of [r0, r1, r2]) {
    await until(
      `${r.name} live links`,
      async () => (await cluster.metric(r, 'enjambre_tracker_replicas_live')) === 2,
      60_000,
      logs,
    );
  }
});

it('copies a Publish to every replica', async () => {
  await cluster.call('publish', {
    target: cluster.target(r0),
    infoHash: published,
    peerId: peerId(99),
    port: 7000,
    name: 'published-before-faults.iso',
    totalSize: 4096,
    fileCount: 1,
  });
  for (const r of [r1, r2]) {
    await until(`${r.name} has the publish`, async () =>
      (await list(r)).some((t) => t.infoHash === published && t.seeders === 1),
    );
  }
});

it('kill -9 of one replica: clients keep complete peer lists, survivors answer for the Publish', async () => {
  const clients = Array.from({ length: CLIENTS }, (_, i) => ({
    infoHash: swarm,
    peerId: peerId(i),
    port: 6000 + i,
    // Leechers: a tracker gives a seeder only leechers, a leecher everybody.
    left: 1000,
    periodMs: 300,
    // Announce-list tiers, each client starting with another replica.
    targets: [0, 1, 2].map((k) => cluster.target(cluster.replicas[(i + k) % 3])),
  }));
  await cluster.call('loadStart', { clients });
  await completeLists(Date.now());
  const before = await cluster.call<ClientStats[]>('loadStats');
  expect(before.filter((s) => s.last!.target === cluster.target(r1)).length).toBeGreaterThan(0);

  await cluster.kill9(r1);
  const killedAt = Date.now();
  const after = await completeLists(killedAt + 1000);
  expect(after.every((s) => s.last!.target !== cluster.target(r1))).toBe(true);
  for (const r of [r0, r2]) {
    expect((await scrape(r, [published]))[0].complete).toBe(1);
    expect((await list(r)).map((t) => t.infoHash)).toContain(published);
  }
});

it('the killed replica restarts and catches up before it is ready: nothing the survivors knew is missing', async () => {
  cluster.start(r1);
  await allReady([r1]);
  const log = cluster.log(r1);
  const lastStart = log.lastIndexOf('"replication listening"');
  const caughtUp = log.indexOf('"caught up"', lastStart);
  const listening = log.indexOf('"msg":"listening"', lastStart);
  expect(caughtUp).toBeGreaterThan(0);
  expect(caughtUp).toBeLessThan(listening);
  expect(log.slice(caughtUp - 60, caughtUp)).toMatch(/"answered":2/);

  expect(await list(r1)).toEqual(await list(r0));
  expect(await scrape(r1, [swarm, published])).toEqual(await scrape(r0, [swarm, published]));
  await completeLists(Date.now());
});

it('a partitioned replica (link down) converges once the link is back', async () => {
  cluster.net.setLink('r2', false);
  const during = 'ef'.repeat(20);
  await cluster.call('publish', {
    target: cluster.target(r0),
    infoHash: during,
    peerId: peerId(98),
    port: 7001,
    name: 'published-during-partition.iso',
    totalSize: 1,
    fileCount: 1,
  });
  await until('r1 has it', async () => (await list(r1)).some((t) => t.infoHash === during));
  // Clients of r2 fail over; the lists stay complete.
  await completeLists(Date.now());
  cluster.net.setLink('r2', true);
  await until(
    'r2 converged',
    async () => {
      const [a, b] = await Promise.all([list(r2), list(r0)]);
      return JSON.stringify(a) === JSON.stringify(b) && a.some((t) => t.infoHash === during);
    },
    90_000,
    logs,
  );
  expect(await scrape(r2, [swarm, published, during])).toEqual(
    await scrape(r0, [swarm, published, during]),
  );
  await until(
    'r2 links back',
    async () => (await cluster.metric(r2, 'enjambre_tracker_replicas_live')) === 2,
    90_000,
    logs,
  );
});

it('scales up and down without restarts: the peers file changes, the replicas follow', async () => {
  const r3 = cluster.scaleUp();
  cluster.writePeers(4);
  cluster.start(r3);
  await allReady([r3]);
  // r3 caught up from the others before it was ready.
  expect(await list(r3)).toEqual(await list(r0));
  for (const r of [r0, r1, r2, r3]) {
    await until(
      `${r.name} links to the three others`,
      async () => (await cluster.metric(r, 'enjambre_tracker_replicas_live')) === 3,
      60_000,
      logs,
    );
  }
  const later = '12'.repeat(20);
  await cluster.call('publish', {
    target: cluster.target(r3),
    infoHash: later,
    peerId: peerId(96),
    port: 7003,
    name: 'published-at-the-new-replica',
    totalSize: 1,
    fileCount: 1,
  });
  await until('r0 has it', async () => (await list(r0)).some((t) => t.infoHash === later));

  cluster.writePeers(3);
  await cluster.stop(r3);
  for (const r of [r0, r1, r2]) {
    await until(
      `${r.name} dropped it`,
      async () => (await cluster.metric(r, 'enjambre_tracker_replicas_known')) === 2,
      60_000,
      logs,
    );
  }
  expect(await cluster.metric(r0, 'enjambre_tracker_replicas_live')).toBe(2);
});

it('refuses a replica with the wrong network key: nothing travels either way', async () => {
  const bad = cluster.addReplica('bad', 30, {
    ENJAMBRE_TRACKER_RED_KEY: 'not-the-network-key-of-this-cluster',
  });
  const authBefore = await cluster.metric(
    r0,
    'enjambre_tracker_replication_failures_total{reason="auth"}',
  );
  cluster.start(bad);
  await allReady([bad]);
  const secret = 'aa'.repeat(20);
  await cluster.call('publish', {
    target: cluster.target(bad),
    infoHash: secret,
    peerId: peerId(97),
    port: 7002,
    name: 'from-the-wrong-network',
    totalSize: 1,
    fileCount: 1,
  });
  await until(
    'r0 refused it',
    async () =>
      (await cluster.metric(r0, 'enjambre_tracker_replication_failures_total{reason="auth"}')) >=
      authBefore + 2,
    60_000,
    logs,
  );
  expect(await cluster.metric(bad, 'enjambre_tracker_replicas_live')).toBe(0);
  expect((await list(bad)).map((t) => t.infoHash)).toEqual([secret]);
  expect((await list(r0)).map((t) => t.infoHash)).not.toContain(secret);
  await cluster.stop(bad);
});

it('refuses a replayed KnowMe', async () => {
  const key = r0.env.ENJAMBRE_TRACKER_RED_KEY;
  const legit = await cluster.call<{ welcomed: boolean }>('knowMeCapture', {
    target: cluster.replicationTarget(r0),
    key,
  });
  expect(legit.welcomed).toBe(true);
  const replayed = await cluster.call<{ code: number; details: string; welcomed: boolean }>(
    'knowMeReplay',
    { target: cluster.replicationTarget(r0) },
  );
  expect(replayed.welcomed).toBe(false);
  expect(replayed.code).toBe(7); // PERMISSION_DENIED
  expect(replayed.details).toMatch(/replayed/);
});

it('with two of three replicas down, the last one serves everything', async () => {
  await cluster.call('loadStop');
  const torrents = await list(r0);
  const hashes = torrents.map((t) => t.infoHash);
  expect(await list(r2)).toEqual(torrents);
  const counts = await scrape(r2, hashes);
  await cluster.kill9(r0);
  await cluster.kill9(r1);
  expect(await list(r2)).toEqual(torrents);
  expect(await scrape(r2, hashes)).toEqual(counts);
  const probe = await cluster.call<{ peers: string[] }>('announce', {
    target: cluster.target(r2),
    infoHash: swarm,
    peerId: peerId(50),
    port: 6500,
    left: 10,
    event: 'started',
  });
  expect(probe.peers).toHaveLength(CLIENTS);
});
