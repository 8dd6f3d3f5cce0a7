// Fault tests of the tracker cluster with real replica processes in network namespaces, configured
// exactly as the Helm chart (the same objects as the kustomize base) configures the StatefulSet's
// pods (see cluster.ts). Clients announce throughout through the agent, each listing all replicas
// as announce-list tiers.
import * as fs from 'node:fs';
import { Cluster, buildTracker, until, type Replica } from './cluster';

jest.setTimeout(180_000);

interface ClientStats {
  peerId: string;
  ok: number;
  failed: number;
  last: { at: number; target: string; peers: number } | null;
  /** Since the last loadMark: announces answered and failed, the fewest peers an answer gave. */
  mark: { ok: number; failed: number; minPeers: number | null };
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
const peerId = (n: number) =>
  Buffer.from(`-EJ0001-client${String(n).padStart(6, '0')}`).toString('hex');

let cluster: Cluster;
let r0: Replica, r1: Replica, r2: Replica;
/** A fresh info-hash per use, so no test sees another's swarm or catalog entry. */
let hashCount = 0;
const freshHash = () => (++hashCount).toString(16).padStart(40, '0');

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

const infoHashes = (r: Replica) => list(r).then((ts) => ts.map((t) => t.infoHash));

async function publish(at: Replica, infoHash: string, name: string): Promise<void> {
  await cluster.call('publish', {
    target: cluster.target(at),
    infoHash,
    peerId: peerId(90),
    port: 7000,
    name,
    totalSize: 1,
    fileCount: 1,
  });
}

/** CLIENTS clients of one swarm announcing every 300 ms, each starting with another replica. */
async function startLoad(infoHash: string, left: number): Promise<void> {
  const clients = Array.from({ length: CLIENTS }, (_, i) => ({
    infoHash,
    peerId: peerId(i),
    port: 6000 + i,
    left,
    periodMs: 300,
    // Announce-list tiers, each client starting with another replica.
    targets: [0, 1, 2].map((k) => cluster.target(cluster.replicas[(i + k) % 3])),
  }));
  await cluster.call('loadStart', { clients });
}

async function liveLinks(replicas: Replica[], n: number): Promise<void> {
  for (const r of replicas) {
    await until(
      `${r.name} has ${n} live links`,
      async () => (await cluster.metric(r, 'enjambre_tracker_replicas_live')) === n,
      90_000,
      logs,
    );
  }
}

/**
 * StatefulSet pod N beyond the manifests' three: the one started before (its data kept, as its
 * PersistentVolumeClaim is), or a new one (`kubectl scale` / the HPA). Ask in ascending order.
 */
function pod(n: number): Replica {
  const name = `${r0.name.slice(0, r0.name.lastIndexOf('-'))}-${n}`;
  const r = cluster.replicas.find((x) => x.name === name) ?? cluster.scaleUp();
  if (r.name !== name) throw new Error(`scaled up to ${r.name}, wanted ${name}`);
  return r;
}

async function knownLinks(replicas: Replica[], n: number): Promise<void> {
  for (const r of replicas) {
    await until(
      `${r.name} knows ${n} replicas`,
      async () => (await cluster.metric(r, 'enjambre_tracker_replicas_known')) === n,
      90_000,
      logs,
    );
  }
}

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

// Every test starts from the same healthy cluster whatever ran before it: the three replicas of the
// manifests up, linked to each other, on the network, with the 3-entry peers file, and no load.
beforeEach(async () => {
  await cluster.call('loadStop');
  for (const name of ['r0', 'r1', 'r2']) cluster.net.setLink(name, true);
  cluster.writePeers(3);
  for (const r of cluster.replicas) if (![r0, r1, r2].includes(r)) await cluster.stop(r);
  for (const r of [r0, r1, r2]) if (r.proc === null) cluster.start(r);
  await allReady([r0, r1, r2]);
  await liveLinks([r0, r1, r2], 2);
});

afterAll(async () => {
  await cluster?.destroy();
});

it('runs the replicas from the manifests, each replicating to the two others by host name', async () => {
  expect(r0.env.ENJAMBRE_TRACKER_ADVERTISE).toBe('enjambre-tracker-0.enjambre-tracker-peers:8169');
  expect(r0.env.ENJAMBRE_TRACKER_IP).toBe('0.0.0.0');
  for (const r of [r0, r1, r2]) {
    expect(await cluster.metric(r, 'enjambre_tracker_replicas_live')).toBe(2);
    expect(await cluster.metric(r, 'enjambre_tracker_replicas_known')).toBe(2);
  }
});

it('copies a Publish to every replica', async () => {
  const published = freshHash();
  await publish(r0, published, 'copied.iso');
  for (const r of [r1, r2]) {
    await until(`${r.name} has the publish`, async () =>
      (await list(r)).some((t) => t.infoHash === published && t.seeders === 1),
    );
  }
});

it('kill -9 of one replica: no client announce fails and every answer lists all other clients', async () => {
  const swarm = freshHash();
  const published = freshHash();
  await publish(r0, published, 'published-before-the-kill.iso');
  await until('r2 has the publish', async () => (await infoHashes(r2)).includes(published));
  // Leechers: a tracker gives a seeder only leechers, a leecher everybody.
  await startLoad(swarm, 1000);
  await completeLists(Date.now());
  const before = await cluster.call<ClientStats[]>('loadStats');
  expect(before.filter((s) => s.last!.target === cluster.target(r1)).length).toBeGreaterThan(0);

  await cluster.call('loadMark');
  await cluster.kill9(r1);
  const killedAt = Date.now();
  const after = await completeLists(killedAt + 1000);
  // Three more rounds each after the failover, so every client has met the dead first tier.
  await until('three announces per client since the kill', async () =>
    (await cluster.call<ClientStats[]>('loadStats')).every((s) => s.mark.ok >= 3),
  );
  const through = await cluster.call<ClientStats[]>('loadStats');
  for (const s of through) {
    expect({ peerId: s.peerId, failed: s.mark.failed }).toEqual({ peerId: s.peerId, failed: 0 });
    expect({ peerId: s.peerId, fewest: s.mark.minPeers }).toEqual({
      peerId: s.peerId,
      fewest: CLIENTS - 1,
    });
  }
  expect(after.every((s) => s.last!.target !== cluster.target(r1))).toBe(true);
  for (const r of [r0, r2]) {
    expect((await scrape(r, [published]))[0].complete).toBe(1);
    expect(await infoHashes(r)).toContain(published);
  }
});

it('a killed replica restarts and catches up before it is ready: nothing the survivors knew is missing', async () => {
  const swarm = freshHash();
  await startLoad(swarm, 1000);
  await completeLists(Date.now());
  await cluster.kill9(r1);
  const whileDown = freshHash();
  await publish(r0, whileDown, 'published-while-r1-was-down.iso');
  await until('r2 has it', async () => (await infoHashes(r2)).includes(whileDown));

  cluster.start(r1);
  await allReady([r1]);
  const log = cluster.log(r1);
  const lastStart = log.lastIndexOf('"replication listening"');
  const caughtUp = log.indexOf('"caught up"', lastStart);
  const listening = log.indexOf('"msg":"listening"', lastStart);
  expect(caughtUp).toBeGreaterThan(0);
  expect(caughtUp).toBeLessThan(listening);
  expect(log.slice(caughtUp - 60, caughtUp)).toMatch(/"answered":2/);

  await cluster.call('loadStop');
  expect(await infoHashes(r1)).toContain(whileDown);
  expect(await list(r1)).toEqual(await list(r0));
  expect(await scrape(r1, [swarm, whileDown])).toEqual(await scrape(r0, [swarm, whileDown]));
  expect((await scrape(r1, [swarm]))[0].incomplete).toBe(CLIENTS);
});

it('a partitioned replica lacks what was published while it was cut off, and converges once the link is back', async () => {
  const swarm = freshHash();
  await startLoad(swarm, 1000);
  await completeLists(Date.now());
  cluster.net.setLink('r2', false);
  const during = freshHash();
  await publish(r0, during, 'published-during-partition.iso');
  await until('r1 has it', async () => (await infoHashes(r1)).includes(during));
  // Asked on its own loopback, the cut-off replica answers, without the entry.
  const cutOff = await cluster.callInside<Torrent[]>(r2, 'list');
  expect(cutOff.length).toBeGreaterThan(0);
  expect(cutOff.map((t) => t.infoHash)).not.toContain(during);
  // Clients of r2 fail over; no announce fails and the lists stay complete.
  await cluster.call('loadMark');
  await completeLists(Date.now());
  await until('three announces per client in the partition', async () =>
    (await cluster.call<ClientStats[]>('loadStats')).every((s) => s.mark.ok >= 3),
  );
  for (const s of await cluster.call<ClientStats[]>('loadStats')) {
    expect([s.mark.failed, s.mark.minPeers]).toEqual([0, CLIENTS - 1]);
  }
  expect((await cluster.callInside<Torrent[]>(r2, 'list')).map((t) => t.infoHash)).not.toContain(
    during,
  );
  // The others show the link to r2 down, per peer.
  await until(
    'r0 shows its link to r2 down',
    async () =>
      (await cluster.metric(r0, 'enjambre_tracker_replicas_live')) === 1 &&
      (await cluster.metric(
        r0,
        `enjambre_tracker_replication_link_up{peer="${r2.env.ENJAMBRE_TRACKER_ADVERTISE}"}`,
      )) === 0,
  );

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
  expect(await scrape(r2, [swarm, during])).toEqual(await scrape(r0, [swarm, during]));
  await liveLinks([r2], 2);
});

it('scales up and down through the peers file without restarts: the replicas follow', async () => {
  const r3 = pod(3);
  cluster.writePeers(4);
  cluster.start(r3);
  await allReady([r3]);
  // r3 caught up from the others before it was ready.
  expect(await list(r3)).toEqual(await list(r0));
  await liveLinks([r0, r1, r2, r3], 3);
  const later = freshHash();
  await publish(r3, later, 'published-at-the-new-replica');
  await until('r0 has it', async () => (await infoHashes(r0)).includes(later));

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
  const swarm = freshHash();
  await publish(r1, freshHash(), 'published-before-two-went-down.iso');
  await startLoad(swarm, 1000);
  await completeLists(Date.now());
  await cluster.call('loadStop');
  await until('r2 has what r0 has', async () =>
    JSON.stringify(await list(r2)) === JSON.stringify(await list(r0)) ? true : null,
  );
  const torrents = await list(r0);
  const hashes = torrents.map((t) => t.infoHash);
  expect(await list(r2)).toEqual(torrents);
  const counts = await scrape(r2, hashes);
  await cluster.kill9(r0);
  await cluster.kill9(r1);
  expect(await list(r2)).toEqual(torrents);
  expect(await scrape(r2, hashes)).toEqual(counts);
  expect((await scrape(r2, [swarm]))[0].incomplete).toBe(CLIENTS);
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

// The HPA or `kubectl scale` adds pods the peers ConfigMap does not list: each has the 3-entry
// list, introduces itself to the listed replicas by KnowMe, and they replicate back to it; the
// listed replicas' Welcome names the other newcomers, and the newcomers link to each other.
describe('replicas beyond the peers ConfigMap (autoscaling)', () => {
  async function joined(extra: Replica[]): Promise<void> {
    for (const r of extra) cluster.start(r);
    await allReady(extra);
    // Each listed replica: the two others and every newcomer; each newcomer: the three listed
    // and the other newcomers.
    await liveLinks([r0, r1, r2], 2 + extra.length);
    await liveLinks(extra, 3 + extra.length - 1);
  }

  const linkOf = (r: Replica) =>
    `enjambre_tracker_replication_link_up{peer="${r.env.ENJAMBRE_TRACKER_ADVERTISE}"}`;
  const linkSeries = async (r: Replica) =>
    (
      await cluster.call<{ text: string }>('http', {
        url: `http://${r.address}:${cluster.metricsPort}/metrics`,
      })
    ).text
      .split('\n')
      .filter((l) => l.startsWith('enjambre_tracker_replication_link_up{'));

  it('a 4th and 5th replica given the 3-entry peers list replicate both ways', async () => {
    const [r3, r4] = [pod(3), pod(4)];
    expect(Object.keys(JSON.parse(fs.readFileSync(cluster.peersFile, 'utf8')))).toHaveLength(3);
    await joined([r3, r4]);
    for (const r of [r3, r4]) {
      expect(cluster.log(r)).toMatch(/"answered":3[,}].*"caught up"/);
      expect(await list(r)).toEqual(await list(r0));
    }
    for (const r of [r0, r1, r2]) expect(cluster.log(r)).toMatch(/replica introduced itself/);

    // Both ways between every listed replica and every newcomer: catalog entries and seeders.
    const seed = async (at: Replica, swarm: string, n: number) =>
      cluster.call('announce', {
        target: cluster.target(at),
        infoHash: swarm,
        peerId: peerId(40 + n),
        port: 6400 + n,
        left: 0,
        event: 'started',
      });
    const has = (r: Replica, entries: string[], swarms: string[]) =>
      until(
        `${r.name} has ${entries.length} entries and ${swarms.length} seeders`,
        async () => {
          const present = await infoHashes(r);
          const counts = await scrape(r, swarms);
          return entries.every((h) => present.includes(h)) && counts.every((c) => c.complete === 1);
        },
        60_000,
        logs,
      );
    const fromOld = [freshHash(), freshHash()];
    await publish(r1, fromOld[0], 'published-at-a-listed-replica');
    await seed(r2, fromOld[1], 1);
    const from3 = [freshHash(), freshHash()];
    const from4 = [freshHash(), freshHash()];
    await publish(r3, from3[0], 'published-at-the-4th');
    await seed(r3, from3[1], 3);
    await publish(r4, from4[0], 'published-at-the-5th');
    await seed(r4, from4[1], 4);
    for (const r of [r0, r1, r2]) {
      await has(r, [fromOld[0], from3[0], from4[0]], [fromOld[1], from3[1], from4[1]]);
    }
    await has(r3, [fromOld[0]], [fromOld[1]]);
    await has(r4, [fromOld[0]], [fromOld[1]]);

    // The newcomers link to each other directly (neither is in the peers file)...
    expect(await linkSeries(r4)).toContain(`${linkOf(r3)} 1`);
    expect(await linkSeries(r3)).toContain(`${linkOf(r4)} 1`);
    // One learned the other from a listed replica's Welcome; the other, from that one's KnowMe.
    expect([r3, r4].some((r) => /replica learned from another/.test(cluster.log(r)))).toBe(true);
    // ...and replicate over that link both ways with every listed replica cut off the network.
    for (const name of ['r0', 'r1', 'r2']) cluster.net.setLink(name, false);
    const direct = [freshHash(), freshHash()];
    await seed(r3, direct[0], 5);
    await seed(r4, direct[1], 6);
    await has(r4, [], [direct[0]]);
    await has(r3, [], [direct[1]]);
    const clientOf = (at: Replica, swarm: string) =>
      cluster.call<{ peers: string[] }>('announce', {
        target: cluster.target(at),
        infoHash: swarm,
        peerId: peerId(60),
        port: 6600,
        left: 10,
        event: 'started',
      });
    expect((await clientOf(r4, direct[0])).peers.some((p) => p.endsWith(':6405'))).toBe(true);
    expect((await clientOf(r3, direct[1])).peers.some((p) => p.endsWith(':6406'))).toBe(true);
  });

  it("a scaled-down replica's links are dropped by the others", async () => {
    const [r3, r4] = [pod(3), pod(4)];
    await joined([r3, r4]);
    for (const r of [r0, r1, r2]) {
      expect(await linkSeries(r)).toEqual(
        expect.arrayContaining([`${linkOf(r3)} 1`, `${linkOf(r4)} 1`]),
      );
    }
    // The StatefulSet removes the highest ordinal first.
    await cluster.stop(r4);
    await knownLinks([r0, r1, r2, r3], 3);
    await liveLinks([r0, r1, r2, r3], 3);
    expect(await linkSeries(r3)).not.toContainEqual(expect.stringContaining(linkOf(r4)));
    await cluster.stop(r3);
    await knownLinks([r0, r1, r2], 2);
    await liveLinks([r0, r1, r2], 2);
    // Per peer: the listed replicas up, the dropped ones gone (not left at 0).
    for (const r of [r0, r1, r2]) {
      const others = [r0, r1, r2].filter((x) => x !== r);
      expect((await linkSeries(r)).sort()).toEqual(others.map((x) => `${linkOf(x)} 1`).sort());
    }
  });

  it('a rolling restart one by one (highest ordinal first, one down at a time as the PDB allows) loses no seeder', async () => {
    const r3 = pod(3);
    await joined([r3]);
    const all = [r0, r1, r2, r3];
    const swarm = freshHash();
    const entry = freshHash();
    await publish(r0, entry, 'published-before-the-rollout');
    await startLoad(swarm, 0);
    await until(
      'every replica has every seeder',
      async () =>
        (await Promise.all(all.map((r) => scrape(r, [swarm])))).every(
          ([s]) => s.complete === CLIENTS,
        ),
      60_000,
      logs,
    );
    // Nobody re-announces during the rollout: only what the replicas hold counts.
    await cluster.call('loadStop');
    const seeders = async (r: Replica) => (await scrape(r, [swarm]))[0].complete;
    for (const r of [r3, r2, r1, r0]) {
      await cluster.stop(r);
      for (const live of all.filter((x) => x !== r)) expect(await seeders(live)).toBe(CLIENTS);
      cluster.start(r);
      await allReady([r]);
      expect(await seeders(r)).toBe(CLIENTS);
      expect(await infoHashes(r)).toContain(entry);
      await liveLinks([r], 3);
    }
    for (const r of all) expect(await list(r)).toEqual(await list(r0));
  });
});
