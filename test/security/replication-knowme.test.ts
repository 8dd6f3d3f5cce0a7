// Red team against KnowMe and the calls it authorises, on real replica processes: a replica with
// the wrong key gets nothing and gives nothing; an attacker without the key gets nothing derived
// from the key out of the callee (no offline guessing oracle); a captured KnowMe cannot be
// replayed; RePublish and Snapshot need a session and a key-derived MAC on every message.
import * as grpc from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  PublishRequest,
  TrackerClient,
  replication,
  type ListTorrentsResponse,
} from '@enjambre/proto';
import {
  SessionSender,
  knownMac,
  proofFor,
  sessionKey,
  type Transcript,
} from '../../services/tracker/src/replication/auth';
import {
  callerTranscript,
  sessionMetadata,
} from '../../services/tracker/src/replication/handshake';
import {
  KEY,
  buildTracker,
  hello,
  knowMe,
  metric,
  startReplica,
  tempDir,
  writePeers,
  type Replica,
} from './replication-helpers';

jest.setTimeout(90_000);

const WRONG_KEY = randomBytes(48).toString('base64');
const published = Buffer.alloc(20, 0xa1);
let dir: string;
let a: Replica;
const started: Replica[] = [];

beforeAll(async () => {
  buildTracker();
  dir = tempDir();
  a = await startReplica(['--red-key', KEY]);
  started.push(a);
  await call(a, 'publish', {
    infoHash: published,
    peerId: Buffer.alloc(20, 1),
    ip: '',
    port: 7001,
    name: 'only-for-the-network.iso',
    totalSize: 1,
    fileCount: 1,
  });
}, 120_000);
afterAll(async () => {
  await Promise.all(started.map((r) => r.stop()));
  fs.rmSync(dir, { recursive: true, force: true });
});

function call<T>(r: Replica, method: string, req: object): Promise<T> {
  const client = new TrackerClient(r.client, grpc.credentials.createInsecure());
  return new Promise<T>((resolve, reject) =>
    (client as unknown as Record<string, (...a: unknown[]) => void>)[method](
      // the generated encoder wants every field of a hand-built request
      method === 'publish' ? PublishRequest.fromPartial(req) : req,
      { deadline: Date.now() + 5000 },
      (err: grpc.ServiceError | null, res: T) => {
        client.close();
        if (err) reject(err);
        else resolve(res);
      },
    ),
  );
}
const catalog = async (r: Replica) =>
  (
    await call<ListTorrentsResponse>(r, 'listTorrents', { pageSize: 500, pageToken: '', query: '' })
  ).torrents.map((t) => t.infoHash.toString('hex'));

async function until(what: string, cond: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + 30_000;
  while (!(await cond().catch(() => false))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A KnowMe as a replica that holds `key` performs it, with what it sent and derived. */
async function legitKnowMe(target: string, key: string) {
  const id = randomBytes(16);
  const nonce = randomBytes(32);
  const sent: replication.KnowMeRequest[] = [hello(id, nonce)];
  let transcript: Transcript | null = null;
  const outcome = await knowMe(target, sent.slice(), (c, m) => {
    if (m.challenge) {
      transcript = callerTranscript(id, '', nonce, m.challenge);
      const proof = { proof: { proof: proofFor(Buffer.from(key), 'caller', transcript) } };
      sent.push(proof);
      c.write(proof);
    }
    if (m.welcome) c.end();
  });
  const welcome = outcome.received.find((m) => m.welcome)?.welcome;
  return { id, sent, outcome, welcome, transcript: transcript as Transcript | null };
}

it('a replica with the wrong key neither gets nor gives anything', async () => {
  const peers = path.join(dir, 'peers-bad.json');
  writePeers(peers, [a.replicationPort]);
  const authBefore = await metric(a, 'enjambre_tracker_replication_failures_total{reason="auth"}');
  const bad = await startReplica(['--red-key', WRONG_KEY, '--peers-file', peers]);
  started.push(bad);
  const secret = Buffer.alloc(20, 0xb2);
  await call(bad, 'publish', {
    infoHash: secret,
    peerId: Buffer.alloc(20, 2),
    ip: '',
    port: 7002,
    name: 'from-the-wrong-network.iso',
    totalSize: 1,
    fileCount: 1,
  });
  // It keeps trying (each try refused as a wrong key at A), and never links.
  await until(
    'A refusing the wrong key twice',
    async () =>
      (await metric(a, 'enjambre_tracker_replication_failures_total{reason="auth"}')) >=
      authBefore + 2,
  );
  expect(await metric(bad, 'enjambre_tracker_replicas_live')).toBe(0);
  // It knows why: a different key, not a network fault.
  expect(
    await metric(bad, 'enjambre_tracker_replication_failures_total{reason="auth"}'),
  ).toBeGreaterThan(0);
  expect(await catalog(bad)).toEqual([secret.toString('hex')]);
  expect(await catalog(a)).toEqual([published.toString('hex')]);
  await bad.stop();
});

it('gives a caller without the key nothing derived from the key', async () => {
  // The transcript values the callee could leak are computable by us (we hold the key): none of
  // them may appear in what it sends to a caller that has not proved the key.
  const leaks = (t: Transcript) => [
    proofFor(Buffer.from(KEY), 'callee', t),
    proofFor(Buffer.from(KEY), 'caller', t),
    sessionKey(Buffer.from(KEY), t),
  ];
  const id = randomBytes(16);
  let t: Transcript | null = null;
  const attempts = [
    // No proof at all: Hello, then leave.
    (c: grpc.ClientDuplexStream<unknown, unknown>) => c.end(),
    // A proof under a guessed key.
    (c: grpc.ClientDuplexStream<unknown, unknown>) =>
      c.write({ proof: { proof: proofFor(Buffer.from(WRONG_KEY), 'caller', t!) } }),
    // Garbage and an empty proof.
    (c: grpc.ClientDuplexStream<unknown, unknown>) =>
      c.write({ proof: { proof: randomBytes(32) } }),
    (c: grpc.ClientDuplexStream<unknown, unknown>) =>
      c.write({ proof: { proof: Buffer.alloc(0) } }),
  ];
  for (const answer of attempts) {
    const n = randomBytes(32);
    const outcome = await knowMe(a.replication, [hello(id, n)], (c, m) => {
      if (!m.challenge) return;
      t = callerTranscript(id, '', n, m.challenge);
      answer(c);
    });
    // One Challenge with its id, a fresh nonce and its address, an empty proof field; no Welcome.
    expect(outcome.received).toHaveLength(1);
    const ch = outcome.received[0].challenge!;
    expect(outcome.received[0].welcome).toBeUndefined();
    expect(ch.replicaId).toHaveLength(16);
    expect(ch.nonce).toHaveLength(32);
    expect(ch.proof).toHaveLength(0);
    const wire = Buffer.concat(outcome.raw);
    for (const leak of leaks(t!)) expect(wire.includes(leak.subarray(0, 8))).toBe(false);
    expect(outcome.details).not.toMatch(/[0-9a-f]{16}|[A-Za-z0-9+/]{20}/);
    if (outcome.code !== null) expect(outcome.code).not.toBe(grpc.status.OK);
  }

  // A caller of the old protocol, hoping for the callee's proof first, gets no Challenge at all.
  const v1 = await knowMe(a.replication, [hello(id, randomBytes(32), 1)]);
  expect(v1.received).toEqual([]);
  expect(v1.code).toBe(grpc.status.FAILED_PRECONDITION);
  expect(v1.details).toMatch(/version 1/);

  // The control: a caller that proves the key does get the callee's proof (so the check above
  // would see one), in the Welcome.
  const legit = await legitKnowMe(a.replication, KEY);
  expect(legit.welcome?.sessionId).toHaveLength(16);
  const wire = Buffer.concat(legit.outcome.raw);
  expect(wire.includes(proofFor(Buffer.from(KEY), 'callee', legit.transcript!))).toBe(true);
});

it('refuses a replayed KnowMe, a replayed proof and a consumed session', async () => {
  const captured = await legitKnowMe(a.replication, KEY);
  expect(captured.welcome?.sessionId).toHaveLength(16);
  // The captured Hello and Proof as they were.
  const replay = await knowMe(a.replication, captured.sent);
  expect(replay.received.some((m) => m.welcome)).toBe(false);
  expect(replay.code).toBe(grpc.status.PERMISSION_DENIED);
  expect(replay.details).toMatch(/replayed/);
  // A fresh nonce with the captured proof: the callee's nonce is new, so the proof is wrong.
  const fresh = await knowMe(a.replication, [
    hello(captured.id, randomBytes(32)),
    captured.sent[1],
  ]);
  expect(fresh.received.some((m) => m.welcome)).toBe(false);
  expect(fresh.code).toBe(grpc.status.PERMISSION_DENIED);
  expect(fresh.details).toMatch(/wrong network key/);

  // The session is consumed by one call: a Snapshot with it works once, then never again.
  const client = new replication.ReplicationClient(
    a.replication,
    grpc.credentials.createInsecure(),
  );
  try {
    const session = {
      id: captured.welcome!.sessionId,
      key: sessionKey(Buffer.from(KEY), captured.transcript!),
      peerId: Buffer.alloc(16),
      peerAdvertise: '',
    };
    const first = await snapshot(client, session, session.key);
    expect(first.code).toBe(grpc.status.OK);
    expect(first.hashes).toContain(published.toString('hex'));
    const again = await snapshot(client, session, session.key);
    expect(again).toEqual({ code: grpc.status.UNAUTHENTICATED, hashes: [] });
  } finally {
    client.close();
  }
});

type Session = Parameters<typeof sessionMetadata>[0];

/** A Snapshot call on `session` with its query signed under `macKey`. */
function snapshot(
  client: replication.ReplicationClient,
  session: Session,
  macKey: Buffer,
): Promise<{ code: grpc.status; hashes: string[] }> {
  const query = Buffer.from(replication.SnapshotQuery.encode({ sentAtMs: Date.now() }).finish());
  return new Promise((resolve) => {
    const hashes: string[] = [];
    const call = client.snapshot(
      { query: new SessionSender(macKey, 'c2s').sign(query) },
      sessionMetadata(session),
      { deadline: Date.now() + 5000 },
    );
    call.on('data', (res: replication.SnapshotResponse) => {
      const batch = replication.ChangeBatch.decode(res.batch!.payload);
      for (const t of batch.torrents) hashes.push(t.infoHash.toString('hex'));
    });
    call.on('error', (err: grpc.ServiceError) => resolve({ code: err.code, hashes }));
    call.on('end', () => resolve({ code: grpc.status.OK, hashes }));
  });
}

it('serves RePublish and Snapshot only on a session, with every message signed by its key', async () => {
  const client = new replication.ReplicationClient(
    a.replication,
    grpc.credentials.createInsecure(),
  );
  const forged = Buffer.alloc(20, 0xc3);
  const batch = Buffer.from(
    replication.ChangeBatch.encode({
      peers: [],
      torrents: [
        {
          infoHash: forged,
          name: 'forged.iso',
          totalSize: 1,
          fileCount: 1,
          publishedAtMs: Date.now(),
          updatedAtMs: Date.now(),
          origin: randomBytes(16),
          owner: '',
          withdrawn: false,
          signedAtMs: 0,
          seededAtMs: 0,
        },
      ],
      completed: [],
      fullState: false,
    }).finish(),
  );
  const rePublish = (session: Session, macKey: Buffer) =>
    new Promise<grpc.ServiceError | null>((resolve) => {
      const call = client.rePublish(sessionMetadata(session), (err) => resolve(err));
      call.write({ batch: new SessionSender(macKey, 'c2s').sign(batch) });
      call.end();
    });
  const guessed: Session = {
    id: randomBytes(16),
    key: Buffer.alloc(32),
    peerId: Buffer.alloc(16),
    peerAdvertise: '',
  };
  try {
    // No session (a guessed id): nothing, whatever the MAC.
    expect((await rePublish(guessed, randomBytes(32)))?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(await snapshot(client, guessed, randomBytes(32))).toEqual({
      code: grpc.status.UNAUTHENTICATED,
      hashes: [],
    });
    // A real session, but messages signed with anything other than its key.
    const other = await fresh();
    // The session key another network's key would derive from the same transcript, and noise.
    for (const wrongMac of [sessionKey(Buffer.from(WRONG_KEY), other.t), randomBytes(32)]) {
      const s1 = await fresh();
      const pub = await rePublish(s1.session, wrongMac);
      expect(pub?.code).toBe(grpc.status.PERMISSION_DENIED);
      expect(pub?.details).toMatch(/bad-mac/);
      const s2 = await fresh();
      expect(await snapshot(client, s2.session, wrongMac)).toEqual({
        code: grpc.status.PERMISSION_DENIED,
        hashes: [],
      });
    }
    expect(await catalog(a)).not.toContain(forged.toString('hex'));
    // The control: with the session's key the same batch is applied.
    const ok = await fresh();
    expect(await rePublish(ok.session, ok.session.key)).toBeNull();
    await until('the signed batch applied', async () =>
      (await catalog(a)).includes(forged.toString('hex')),
    );
  } finally {
    client.close();
  }
});

/** A fresh session on A, as a replica with the key gets one. */
async function fresh(): Promise<{ session: Session; t: Transcript }> {
  const k = await legitKnowMe(a.replication, KEY);
  const t = k.transcript!;
  return {
    t,
    session: {
      id: k.welcome!.sessionId,
      key: sessionKey(Buffer.from(KEY), t),
      peerId: t.calleeId,
      peerAdvertise: '',
    },
  };
}

it('names the replicas it links to only in the Welcome, after the caller proved the key, under the session key', async () => {
  const peers = path.join(dir, 'peers-known.json');
  writePeers(peers, [a.replicationPort]);
  const b = await startReplica(['--red-key', KEY, '--peers-file', peers]);
  started.push(b);
  // B introduced itself; A links back to it.
  await until(
    'A linked to B',
    async () => (await metric(a, 'enjambre_tracker_replicas_live')) === 1,
  );
  const bAddress = Buffer.from(`:${b.replicationPort}`);

  const legit = await legitKnowMe(a.replication, KEY);
  const w = legit.welcome!;
  expect(w.known).toHaveLength(1);
  expect(w.known[0].endsWith(`:${b.replicationPort}`)).toBe(true);
  expect(w.knownMac).toEqual(knownMac(sessionKey(Buffer.from(KEY), legit.transcript!), w.known));

  // A caller that has not proved the key learns no address of another replica.
  const n = randomBytes(32);
  const unproven = await knowMe(a.replication, [hello(randomBytes(16), n)], (c, m) => {
    if (m.challenge) c.write({ proof: { proof: randomBytes(32) } });
  });
  expect(unproven.received.every((m) => m.welcome === undefined)).toBe(true);
  expect(Buffer.concat(unproven.raw).includes(bAddress)).toBe(false);
  await b.stop();
});
