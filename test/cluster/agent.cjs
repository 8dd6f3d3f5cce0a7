// The test's hands inside the private network: runs in the client namespace (the test process
// stays on the host, which has no address there) and performs gRPC and HTTP calls on request.
// Protocol: one JSON command per stdin line, one JSON answer per stdout line, matched by id.
/* global fetch, AbortSignal */
'use strict';
const path = require('node:path');
const readline = require('node:readline');
const { randomBytes } = require('node:crypto');
const grpc = require('@grpc/grpc-js');

const root = path.resolve(__dirname, '..', '..');
const { TrackerClient, AnnounceEvent } = require(
  path.join(root, 'proto/dist/gen/enjambre/tracker/v1/tracker.js'),
);
const { ReplicationClient } = require(
  path.join(root, 'proto/dist/gen/enjambre/tracker/v1/replication.js'),
);
const { proofFor } = require(path.join(root, 'services/tracker/dist/replication/auth.js'));
const { PROTOCOL_VERSION, callerTranscript } = require(
  path.join(root, 'services/tracker/dist/replication/handshake.js'),
);

const clients = new Map();
function tracker(target) {
  if (!clients.has(target)) {
    clients.set(
      target,
      new TrackerClient(target, grpc.credentials.createInsecure(), {
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 500,
      }),
    );
  }
  return clients.get(target);
}

function unary(client, method, request, deadlineMs = 2000) {
  return new Promise((resolve, reject) =>
    // waitForReady: a replica that just came back is reached as soon as it listens, instead of
    // failing while the channel still backs off from its downtime.
    client[method](
      request,
      { deadline: Date.now() + deadlineMs, waitForReady: true },
      (err, res) => (err ? reject(err) : resolve(res)),
    ),
  );
}

const hex = (s) => Buffer.from(s, 'hex');
const events = {
  started: AnnounceEvent.ANNOUNCE_EVENT_STARTED,
  stopped: AnnounceEvent.ANNOUNCE_EVENT_STOPPED,
  completed: AnnounceEvent.ANNOUNCE_EVENT_COMPLETED,
  none: AnnounceEvent.ANNOUNCE_EVENT_NONE,
};

async function announce(c) {
  const res = await unary(
    tracker(c.target),
    'announce',
    {
      infoHash: hex(c.infoHash),
      peerId: hex(c.peerId),
      event: events[c.event ?? 'none'],
      uploaded: 0,
      downloaded: 0,
      left: c.left ?? 0,
      numwant: c.numwant ?? 200,
      port: c.port,
      ip: '',
    },
    c.deadlineMs,
  );
  return {
    seeders: res.seeders,
    leechers: res.leechers,
    peers: res.peers.map((p) => `${p.address}:${p.port}`).sort(),
  };
}

/** Announce-list tiers: the first tracker that answers. */
async function announceTiers(c) {
  let last;
  for (const target of c.targets) {
    try {
      return { target, ...(await announce({ ...c, target, deadlineMs: c.deadlineMs ?? 1000 })) };
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

// Continuous load: each client re-announces every periodMs to its tiers (rotated per client). A new
// loadStart or a loadStop ends the loops of the one before (its generation is over).
const load = { generation: 0, clients: [] };
async function runClient(state, c, generation) {
  while (load.generation === generation) {
    try {
      const r = await announceTiers({ ...c, event: state.announced ? 'none' : 'started' });
      state.announced = true;
      state.ok++;
      state.mark.ok++;
      const fewest = state.mark.minPeers;
      state.mark.minPeers = fewest === null ? r.peers.length : Math.min(fewest, r.peers.length);
      state.last = {
        at: Date.now(),
        target: r.target,
        peers: r.peers.length,
        seeders: r.seeders,
        leechers: r.leechers,
      };
    } catch (err) {
      state.failed++;
      state.mark.failed++;
      state.lastError = String(err.message || err);
    }
    await new Promise((r) => setTimeout(r, c.periodMs));
  }
}

// minPeers: null until an announce since the mark succeeded.
const freshMark = () => ({ ok: 0, failed: 0, minPeers: null });

let captured = null;

/** Runs one KnowMe call: writes `first`, then lets `onData` answer; resolves with the outcome. */
function knowMe(target, first, onData) {
  return new Promise((resolve) => {
    const client = new ReplicationClient(target, grpc.credentials.createInsecure());
    const call = client.knowMe({ deadline: Date.now() + 5000 });
    const received = [];
    const done = (r) => {
      resolve({ ...r, welcomed: received.some((m) => m.welcome) });
      client.close();
    };
    call.on('data', (m) => {
      received.push(m);
      if (onData) onData(call, m);
    });
    call.on('error', (err) => done({ code: err.code, details: err.details }));
    call.on('end', () => done({ code: 0 }));
    for (const m of first) call.write(m);
  });
}

const ops = {
  async publish(c) {
    const res = await unary(tracker(c.target), 'publish', {
      infoHash: hex(c.infoHash),
      peerId: hex(c.peerId),
      ip: '',
      port: c.port,
      name: c.name,
      totalSize: c.totalSize,
      fileCount: c.fileCount,
      // Unsigned: the entry belongs to this agent's address.
      publisherKey: Buffer.alloc(0),
      signedAtMs: 0,
      signature: Buffer.alloc(0),
    });
    return { seeders: res.seeders, leechers: res.leechers };
  },
  announce,
  announceTiers,
  async scrape(c) {
    const res = await unary(tracker(c.target), 'scrape', { infoHashes: c.infoHashes.map(hex) });
    return res.entries.map((e) => ({
      complete: e.complete,
      downloaded: e.downloaded,
      incomplete: e.incomplete,
    }));
  },
  async list(c) {
    const res = await unary(tracker(c.target), 'listTorrents', {
      pageSize: 500,
      pageToken: '',
      query: '',
    });
    return res.torrents
      .map((t) => ({ infoHash: t.infoHash.toString('hex'), name: t.name, seeders: t.seeders }))
      .sort((a, b) => a.infoHash.localeCompare(b.infoHash));
  },
  async http(c) {
    const res = await fetch(c.url, { signal: AbortSignal.timeout(c.timeoutMs ?? 2000) });
    return { status: res.status, text: await res.text() };
  },
  async loadStart(c) {
    const generation = ++load.generation;
    load.clients = c.clients.map((cl) => ({
      ...cl,
      state: { ok: 0, failed: 0, announced: false, last: null, mark: freshMark() },
    }));
    for (const cl of load.clients) runClient(cl.state, cl, generation);
    return true;
  },
  async loadStats() {
    return load.clients.map((cl) => ({ peerId: cl.peerId, ...cl.state }));
  },
  /** Starts counting afresh: announces, failures and the fewest peers any answer gave. */
  async loadMark() {
    for (const cl of load.clients) cl.state.mark = freshMark();
    return true;
  },
  async loadStop() {
    load.generation++;
    return true;
  },
  /** A KnowMe exchange as a replica with the key performs it; its messages are kept. */
  async knowMeCapture(c) {
    const key = Buffer.from(c.key, 'utf8');
    const id = randomBytes(16);
    const nonce = randomBytes(32);
    const sent = [{ hello: { replicaId: id, nonce, advertise: '', version: PROTOCOL_VERSION } }];
    const r = await knowMe(c.target, sent.slice(), (call, m) => {
      if (m.challenge) {
        const t = callerTranscript(id, '', nonce, m.challenge);
        const proof = { proof: { proof: proofFor(key, 'caller', t) } };
        sent.push(proof);
        call.write(proof);
      }
      if (m.welcome) call.end();
    });
    captured = sent;
    return { code: r.code, welcomed: r.welcomed };
  },
  /** The captured messages, sent again as they are. */
  async knowMeReplay(c) {
    return knowMe(c.target, captured, null);
  },
};

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', async (line) => {
  let cmd;
  try {
    cmd = JSON.parse(line);
    const result = await ops[cmd.op](cmd);
    process.stdout.write(JSON.stringify({ id: cmd.id, ok: true, result }) + '\n');
  } catch (err) {
    process.stdout.write(
      JSON.stringify({
        id: cmd && cmd.id,
        ok: false,
        error: String((err && (err.details || err.message)) || err),
        code: err && err.code,
      }) + '\n',
    );
  }
});
rl.on('close', () => process.exit(0));
