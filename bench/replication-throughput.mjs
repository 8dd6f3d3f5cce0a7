/* global performance */
// Can replication keep up with the tracker? Announces applied to replica A's store as fast as one
// core allows, replicated over real gRPC (loopback) to replica B; both replicas share this process,
// so the figure is a lower bound. Reference in the same run: the same announces on a store without
// replication. Run after `npm run build`:
//   node bench/replication-throughput.mjs [announces] [repetitions]
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const require = createRequire(import.meta.url);
const grpc = require('@grpc/grpc-js');
const { Registry } = require('prom-client');
const { MemorySwarmStore } = require('../services/tracker/dist/store/memory.js');
const { Replicator } = require('../services/tracker/dist/replication/replicator.js');
const { replication } = require('../proto/dist/index.js');

const N = Number(process.argv[2] ?? 200_000);
const repetitions = Number(process.argv[3] ?? 3);
const silent = { info() {}, warn() {}, error() {} };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Announces N distinct peers over 10,000 torrents in slices, yielding between them. */
function drive(store) {
  const ih = Buffer.alloc(20);
  const pid = Buffer.alloc(20);
  const ip = Buffer.from([10, 0, 0, 1]);
  let i = 0;
  return new Promise((resolve) => {
    const step = () => {
      for (let k = 0; k < 5000 && i < N; k++, i++) {
        ih.writeUInt32BE(i % 10_000, 0);
        pid.writeUInt32BE(i, 0);
        store.announce({
          infoHash: ih,
          peerId: pid,
          ip,
          port: 1 + (i % 60_000),
          event: 'started',
          uploaded: 0,
          downloaded: 0,
          left: 1,
          numwant: 0,
        });
      }
      if (i < N) setImmediate(step);
      else resolve();
    };
    step();
  });
}

async function replica(peersFile) {
  const server = new grpc.Server();
  const port = await new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  const store = new MemorySwarmStore({});
  const r = new Replicator({
    store,
    networkKey: 'bench-network-key-of-at-least-32-bytes',
    replicaId: randomBytes(16),
    storeOrigin: 'local',
    advertise: `127.0.0.1:${port}`,
    credentials: grpc.credentials.createInsecure(),
    logger: silent,
    registry: new Registry(),
    peersFile,
  });
  server.addService(replication.ReplicationService, r.service());
  return { server, port, store, r };
}

async function replicated() {
  const dir = mkdtempSync(join(tmpdir(), 'enjambre-bench-repl-'));
  const file = join(dir, 'peers.json');
  writeFileSync(file, '{}');
  const a = await replica(file);
  const b = await replica(file);
  writeFileSync(file, JSON.stringify({ b: { ip: '127.0.0.1', port: b.port } }));
  await a.r.start();
  while (!Object.values(a.r.linkStates()).includes('live'))
    await new Promise((r) => setTimeout(r, 10));
  const t0 = performance.now();
  await drive(a.store);
  while (b.store.stats().leechers < N) await new Promise((r) => setImmediate(r));
  const seconds = (performance.now() - t0) / 1000;
  for (const x of [a, b]) {
    x.r.close();
    x.server.forceShutdown();
  }
  rmSync(dir, { recursive: true, force: true });
  return N / seconds;
}

async function local() {
  const store = new MemorySwarmStore({});
  const t0 = performance.now();
  await drive(store);
  return N / ((performance.now() - t0) / 1000);
}

const base = [];
const repl = [];
for (let i = 0; i < repetitions; i++) {
  base.push(await local());
  repl.push(await replicated());
}
const b = median(base);
const r = median(repl);
console.log(`${N} announces x ${repetitions} runs (medians)`);
console.log(`  store alone:                         ${Math.round(b)} announces/s`);
console.log(
  `  store + replication to B (applied):  ${Math.round(r)} announces/s end to end  (${(r / b).toFixed(2)}x of the store alone)`,
);
