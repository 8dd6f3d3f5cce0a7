// Replicas in one process, each with its own gRPC server on 127.0.0.1 and its own store: real
// sockets, real KnowMe, real streams. The fault tests with separate processes are in test/cluster.
import * as grpc from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Registry } from 'prom-client';
import { replication } from '@enjambre/proto';
import { MemorySwarmStore } from '../store/memory';
import type { AnnounceInput } from '../store/types';
import {
  NONCE_LENGTH,
  NonceLedger,
  SessionSender,
  proofFor,
  sessionKey as deriveSessionKey,
} from './auth';
import {
  PROTOCOL_VERSION,
  callKnowMe,
  callerTranscript,
  serveKnowMe,
  sessionMetadata,
} from './handshake';
import { Replicator } from './replicator';

const silent = { info: () => {}, warn: () => {}, error: () => {} };
const dirs: string[] = [];
const replicas: Replica[] = [];

interface Replica {
  store: MemorySwarmStore;
  replicator: Replicator;
  registry: Registry;
  port: number;
  target: string;
  peersFile: string;
  server: grpc.Server;
  close(): Promise<void>;
}

function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'enjambre-repl-'));
  dirs.push(d);
  return d;
}

async function bind(server: grpc.Server): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) =>
      err ? reject(err) : resolve(port),
    ),
  );
}

function writePeers(file: string, ports: number[]): void {
  const peers: Record<string, { ip: string; port: number }> = {};
  for (const p of ports) peers[`127.0.0.1:${p}`] = { ip: '127.0.0.1', port: p };
  // Atomic replace, as a ConfigMap update swaps the file.
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(peers));
  fs.renameSync(`${file}.tmp`, file);
}

/** Binds a server; the replicator starts once `start` is called (ports known first). */
const KEY = 'test-network-key-of-at-least-32-bytes';

async function replica(
  key = KEY,
  maxPendingKnowMe?: number,
  gossipMs = 200,
): Promise<Replica & { start(ports: number[]): Promise<void> }> {
  const server = new grpc.Server();
  const store = new MemorySwarmStore({ limits: { interval: 60, grace: 30 } });
  const registry = new Registry();
  const port = await bind(server);
  const peersFile = path.join(tmpDir(), 'peers.json');
  const replicator = new Replicator({
    store,
    networkKey: key,
    replicaId: randomBytes(16),
    storeOrigin: 'local',
    advertise: `127.0.0.1:${port}`,
    credentials: grpc.credentials.createInsecure(),
    logger: silent,
    registry,
    peersFile,
    peersPollMs: 100,
    maxPendingKnowMe,
    gossipMs,
  });
  server.addService(replication.ReplicationService, replicator.service());
  const r = {
    store,
    replicator,
    registry,
    port,
    target: `127.0.0.1:${port}`,
    peersFile,
    server,
    async start(ports: number[]) {
      writePeers(peersFile, ports);
      await replicator.start();
    },
    async close() {
      replicator.close();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    },
  };
  replicas.push(r);
  return r;
}

afterEach(async () => {
  await Promise.all(replicas.splice(0).map((r) => r.close()));
});
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function waitFor(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const hash = (n: number) => Buffer.alloc(20, n);
const peerId = (n: number) => Buffer.from(`-EJ0001-${String(n).padStart(12, '0')}`);
const ann = (n: number, over: Partial<AnnounceInput> = {}): AnnounceInput => ({
  infoHash: hash(1),
  peerId: peerId(n),
  ip: Buffer.from([10, 0, 0, n]),
  port: 6881,
  event: 'started',
  uploaded: 0,
  downloaded: 0,
  left: 100,
  ...over,
});
const counts = (r: Replica, n = 1) => r.store.scrape([hash(n)])[0];
const metric = async (r: Replica, name: string) =>
  (await r.registry.getSingleMetric(name)!.get()).values;

it('replicates publishes, announces, completions and leaves both ways', async () => {
  const a = await replica();
  const b = await replica();
  await a.start([a.port, b.port]);
  await b.start([a.port, b.port]);
  await waitFor(() => Object.values(a.replicator.linkStates()).includes('live'), 'A linked');
  await waitFor(() => Object.values(b.replicator.linkStates()).includes('live'), 'B linked');

  a.store.publish({
    infoHash: hash(1),
    peerId: peerId(1),
    ip: Buffer.from([10, 0, 0, 1]),
    port: 6881,
    name: 'debian.iso',
    totalSize: 1000,
    fileCount: 1,
  });
  await waitFor(() => b.store.listTorrents({ pageSize: 10 }).torrents.length === 1, 'catalog at B');
  expect(b.store.listTorrents({ pageSize: 10 }).torrents[0]).toMatchObject({
    name: 'debian.iso',
    seeders: 1,
  });

  b.store.announce(ann(2));
  await waitFor(() => counts(a).leechers === 1, 'leecher at A');
  // A peer announcing to A gets B's peer too: the full list from either replica.
  const res = a.store.announce(ann(3, { numwant: 50 }));
  expect(res.peers4.length / 6).toBe(2);

  b.store.announce(ann(2, { event: 'completed', left: 0 }));
  a.store.announce(ann(3, { event: 'completed', left: 0 }));
  await waitFor(() => counts(a).completed === 2 && counts(b).completed === 2, 'completed sums');
  expect(counts(a)).toEqual(counts(b));

  a.store.announce(ann(3, { event: 'stopped', left: 0 }));
  await waitFor(() => counts(b).seeders === 2, 'leave at B');
  expect(counts(a)).toEqual({ seeders: 2, leechers: 0, completed: 2 });
  expect(counts(b)).toEqual(counts(a));

  const sent = await metric(a, 'enjambre_tracker_replication_messages_total');
  expect(sent.find((v) => v.labels.direction === 'sent')!.value).toBeGreaterThan(0);
  const lag = await metric(b, 'enjambre_tracker_replication_lag_seconds');
  expect(
    lag.find((v) => (v as { metricName?: string }).metricName?.endsWith('_count'))!.value,
  ).toBeGreaterThan(0);
  expect((await metric(a, 'enjambre_tracker_replicas_live'))[0].value).toBe(1);
  expect((await metric(a, 'enjambre_tracker_replicas_known'))[0].value).toBe(1);
});

it('a starting replica catches up from a live one before anything else', async () => {
  const a = await replica();
  await a.start([a.port]);
  for (let i = 1; i <= 30; i++) a.store.announce(ann(i, { infoHash: hash(i % 3), left: i % 2 }));
  a.store.publish({
    infoHash: hash(9),
    peerId: peerId(99),
    ip: Buffer.from([10, 0, 0, 99]),
    port: 1,
    name: 'x',
    totalSize: 1,
    fileCount: 1,
  });
  const c = await replica();
  writePeers(c.peersFile, [a.port, c.port]);
  await c.replicator.start();
  expect(await c.replicator.catchUp(10_000)).toBe(1);
  for (const n of [0, 1, 2, 9]) expect(counts(c, n)).toEqual(counts(a, n));
  expect(c.store.listTorrents({ pageSize: 10 }).torrents.map((t) => t.name)).toEqual(['x']);
});

it('refuses a replica with a different network key, and replicates nothing to or from it', async () => {
  const a = await replica('the-right-network-key-32-bytes-long');
  const bad = await replica('a-wrong-network-key-32-bytes-long!');
  await a.start([a.port, bad.port]);
  await bad.start([a.port, bad.port]);
  bad.store.announce(ann(5));
  a.store.announce(ann(6));
  await waitFor(() => {
    const m = (
      a.registry.getSingleMetric('enjambre_tracker_replication_failures_total') as unknown as {
        hashMap: Record<string, { labels: { reason: string }; value: number }>;
      }
    ).hashMap;
    return Object.values(m).some((v) => v.labels.reason === 'auth' && v.value >= 2);
  }, 'auth failures at A');
  expect(await bad.replicator.catchUp(5_000)).toBe(0);
  expect(counts(a).leechers).toBe(1);
  expect(counts(bad).leechers).toBe(1);
  expect(Object.values(a.replicator.linkStates())).not.toContain('live');
});

/** A KnowMe exchange as a replica that knows the key performs it, with its messages recorded. */
async function legitKnowMe(client: replication.ReplicationClient, key: Buffer, id: Buffer) {
  const sent: replication.KnowMeRequest[] = [];
  const call = client.knowMe();
  const nonce = randomBytes(NONCE_LENGTH);
  const hello = { hello: { replicaId: id, nonce, advertise: '', version: PROTOCOL_VERSION } };
  let sessionKey: Buffer | null = null;
  const welcome = await new Promise<replication.Welcome>((resolve, reject) => {
    call.on('error', reject);
    call.on('data', (m: replication.KnowMeResponse) => {
      if (m.challenge) {
        const t = callerTranscript(id, '', nonce, m.challenge);
        const proof = { proof: { proof: proofFor(key, 'caller', t) } };
        sent.push(proof);
        sessionKey = deriveSessionKey(key, t);
        call.write(proof);
      }
      if (m.welcome) resolve(m.welcome);
    });
    sent.push(hello);
    call.write(hello);
  });
  call.end();
  return { sent, welcome, sessionKey: sessionKey as unknown as Buffer };
}

function replay(
  client: replication.ReplicationClient,
  messages: replication.KnowMeRequest[],
): Promise<grpc.ServiceError> {
  return new Promise((resolve, reject) => {
    const call = client.knowMe();
    call.on('data', (m: replication.KnowMeResponse) => {
      if (m.welcome) reject(new Error('a replayed KnowMe got a session'));
    });
    call.on('error', (err) => resolve(err as grpc.ServiceError));
    for (const m of messages) call.write(m);
  });
}

it('refuses a replayed KnowMe and replayed or forged RePublish batches', async () => {
  const a = await replica(KEY);
  await a.start([a.port]);
  const client = new replication.ReplicationClient(a.target, grpc.credentials.createInsecure());
  try {
    const id = randomBytes(16);
    const captured = await legitKnowMe(client, Buffer.from(KEY), id);
    expect(captured.welcome.sessionId.length).toBe(16);

    // The captured Hello and Proof, replayed as they are.
    const err1 = await replay(client, captured.sent);
    expect(err1.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(err1.details).toMatch(/replayed/);
    // A fresh nonce with the captured proof: the callee's nonce is new, so the proof is wrong.
    const hello = { hello: { ...captured.sent[0].hello!, nonce: randomBytes(NONCE_LENGTH) } };
    const err2 = await replay(client, [hello, captured.sent[1]]);
    expect(err2.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(err2.details).toMatch(/network key/);

    // A batch signed on the captured session, then replayed on it and on another session.
    const payload = Buffer.from(
      replication.ChangeBatch.encode({
        peers: [
          {
            infoHash: hash(7),
            peerId: peerId(7),
            ip: Buffer.from([10, 0, 0, 7]),
            port: 7,
            left: 1,
            uploaded: 0,
            downloaded: 0,
            updatedAtMs: Date.now(),
            origin: id,
            removed: false,
          },
        ],
        torrents: [],
        completed: [],
        fullState: false,
      }).finish(),
    );
    const signed = new SessionSender(captured.sessionKey, 'c2s').sign(payload);
    const send = (session: Buffer, batches: replication.SignedBatch[]) =>
      new Promise<{ err: grpc.ServiceError | null; res?: replication.RePublishResponse }>(
        (resolve) => {
          const call = client.rePublish(
            sessionMetadata({ id: session, key: Buffer.alloc(0), peerId: id, peerAdvertise: '' }),
            (err, res) => resolve({ err, res }),
          );
          for (const b of batches) call.write({ batch: b });
          call.end();
        },
      );
    const dup = await send(captured.welcome.sessionId, [signed, signed]);
    expect(dup.err?.details).toMatch(/replayed/);
    expect(counts(a, 7).leechers).toBe(1);

    const other = await legitKnowMe(client, Buffer.from(KEY), id);
    const forged = await send(other.welcome.sessionId, [signed]);
    expect(forged.err?.details).toMatch(/bad-mac/);
    // The session id alone is worth nothing without its key, and is consumed by one call.
    const reuse = await send(other.welcome.sessionId, []);
    expect(reuse.err?.code).toBe(grpc.status.UNAUTHENTICATED);
  } finally {
    client.close();
  }
});

it('follows the peers file: a replica added later is linked, a removed one dropped, itself skipped', async () => {
  const a = await replica();
  const b = await replica();
  const c = await replica();
  await a.start([a.port, b.port]);
  await b.start([a.port, b.port, c.port]);
  await c.start([b.port, c.port]);
  await waitFor(() => a.replicator.linkStates()[b.target] === 'live', 'A to B');
  expect(a.replicator.linkStates()[a.target]).toBe('self');
  a.store.announce(ann(1, { infoHash: hash(4) }));
  await waitFor(() => counts(b, 4).leechers === 1, 'B has it');

  writePeers(a.peersFile, [a.port, b.port, c.port]);
  await waitFor(
    () => a.replicator.linkStates()[c.target] === 'live',
    'A to C after the file changed',
  );
  await waitFor(() => counts(c, 4).leechers === 1, 'C has A state');

  writePeers(a.peersFile, [a.port, c.port]);
  await waitFor(() => a.replicator.linkStates()[b.target] === undefined, 'A dropped B');
  a.store.announce(ann(2, { infoHash: hash(4) }));
  await waitFor(() => counts(c, 4).leechers === 2, 'C still gets A changes');
});

it('replicas beyond the peers file learn each other from a listed replica and link directly', async () => {
  const [a, b, c] = [await replica(), await replica(), await replica()];
  await a.start([]);
  // Both list only `a`, and start at once: neither is live at `a` when the other's first Welcome
  // comes, so the later ask finds it.
  await Promise.all([b.start([a.port]), c.start([a.port])]);
  await waitFor(
    () =>
      b.replicator.linkStates()[c.target] === 'live' &&
      c.replicator.linkStates()[b.target] === 'live',
    'b and c linked to each other',
  );
  // The direct link carries b's changes to c with `a` gone.
  await a.close();
  b.store.announce(ann(7, { infoHash: hash(7) }));
  await waitFor(() => c.store.scrape([hash(7)])[0].leechers === 1, "b's peer at c");
  // Each knows a, b or c once: no link to itself, none twice.
  expect(Object.keys(b.replicator.linkStates()).sort()).toEqual([a.target, c.target].sort());
});

it('refuses a Welcome whose list of replicas was altered on the way', async () => {
  const server = new grpc.Server();
  let alter = false;
  server.addService(replication.ReplicationService, {
    knowMe: (call: Parameters<typeof serveKnowMe>[0]) => {
      const write = call.write.bind(call);
      // A man in the middle (no TLS) swapping in an address of his own.
      call.write = ((m: replication.KnowMeResponse) => {
        if (alter && m.welcome) m.welcome.known = ['10.66.0.1:8169'];
        return write(m);
      }) as typeof call.write;
      const me = { replicaId: randomBytes(16), networkKey: Buffer.from(KEY), advertise: 'x:1' };
      serveKnowMe(
        call,
        me,
        new NonceLedger(60_000, 100),
        () => {},
        () => {},
        () => ['y:2'],
      );
    },
    rePublish: () => {},
    snapshot: () => {},
  } as unknown as replication.ReplicationServer);
  const port = await bind(server);
  const client = new replication.ReplicationClient(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
  );
  const me = { replicaId: randomBytes(16), networkKey: Buffer.from(KEY), advertise: 'z:3' };
  try {
    expect((await callKnowMe(client, me, 5000)).known).toEqual(['y:2']);
    alter = true;
    await expect(callKnowMe(client, me, 5000)).rejects.toMatchObject({ reason: 'auth' });
  } finally {
    client.close();
    server.forceShutdown();
  }
});

it('converges whatever the order: a leave that overtakes the join it follows wins', async () => {
  // Slow gossip: A, once it drops C from its peers file, must not learn C again from B's list
  // before the test relinks it (the relink is what makes A's whole state travel again).
  const a = await replica(KEY, undefined, 60_000);
  const b = await replica(KEY, undefined, 60_000);
  const c = await replica(KEY, undefined, 60_000);
  // A and B list only C (they may learn each other from C's Welcome).
  await a.start([c.port]);
  await b.start([c.port]);
  await c.start([]);
  await waitFor(
    () =>
      a.replicator.linkStates()[c.target] === 'live' &&
      b.replicator.linkStates()[c.target] === 'live',
    'links to C',
  );
  b.store.announce(ann(1, { event: 'started' }));
  await waitFor(() => counts(c).leechers === 1, 'join at C');
  // The same peer leaves through B; then an older record of it arrives from A.
  b.store.announce(ann(1, { event: 'stopped' }));
  await waitFor(() => counts(c).leechers === 0, 'leave at C');
  const stale = Date.now() - 5_000;
  a.store.apply({
    kind: 'peer',
    infoHash: hash(1),
    event: 'none',
    peer: {
      ip: Buffer.from([10, 0, 0, 1]),
      port: 6881,
      peerId: peerId(1),
      left: 100,
      uploaded: 0,
      downloaded: 0,
      lastSeen: stale,
    },
  });
  // A forwards only its own changes; make A's whole state travel again by relinking.
  writePeers(a.peersFile, []);
  await waitFor(() => a.replicator.linkStates()[c.target] === undefined, 'A unlinked');
  writePeers(a.peersFile, [c.port]);
  await waitFor(() => a.replicator.linkStates()[c.target] === 'live', 'A relinked');
  await new Promise((r) => setTimeout(r, 300));
  expect(counts(c).leechers).toBe(0);
});

it('copies what it sends: a front end may reuse its request buffers at once', async () => {
  const a = await replica();
  const b = await replica();
  await a.start([b.port]);
  await b.start([]);
  await waitFor(() => a.replicator.linkStates()[b.target] === 'live', 'A to B');
  const scratch = Buffer.alloc(20);
  for (let n = 1; n <= 50; n++) {
    scratch.fill(n);
    a.store.announce(ann(n, { infoHash: scratch }));
  }
  scratch.fill(0);
  await waitFor(() => b.store.stats().leechers === 50, 'all at B');
  for (let n = 1; n <= 50; n++) expect(counts(b, n).leechers).toBe(1);
});

it('bounds the KnowMe handshakes in progress: callers that never prove cannot pile up', async () => {
  const a = await replica(KEY, 2);
  await a.start([]);
  const client = new replication.ReplicationClient(a.target, grpc.credentials.createInsecure());
  const open = (): Promise<{
    call: grpc.ClientDuplexStream<replication.KnowMeRequest, replication.KnowMeResponse>;
    first: string;
  }> =>
    new Promise((resolve) => {
      const call = client.knowMe();
      call.on('data', (m: replication.KnowMeResponse) =>
        resolve({ call, first: m.challenge ? 'challenge' : 'other' }),
      );
      call.on('error', (err: grpc.ServiceError) => resolve({ call, first: grpc.status[err.code] }));
      call.write({
        hello: {
          replicaId: randomBytes(16),
          nonce: randomBytes(NONCE_LENGTH),
          advertise: '',
          version: PROTOCOL_VERSION,
        },
      });
    });
  try {
    const held = [await open(), await open()];
    expect(held.map((h) => h.first)).toEqual(['challenge', 'challenge']);
    expect((await open()).first).toBe('RESOURCE_EXHAUSTED');
    // One gives up: its place is free again.
    held[0].call.cancel();
    await waitFor(
      () => (a.replicator as unknown as { pendingKnowMe: number }).pendingKnowMe === 1,
      'freed',
    );
    const next = await open();
    expect(next.first).toBe('challenge');
    next.call.cancel();
    held[1].call.cancel();
  } finally {
    client.close();
  }
});
