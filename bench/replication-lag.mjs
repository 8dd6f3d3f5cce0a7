// Replication lag between two tracker replicas (separate processes on 127.0.0.1), idle and under
// an announce load on the first. Run after `npm run build`:
//   node bench/replication-lag.mjs [probes] [loadConcurrency] [repetitions]
// A probe publishes a new torrent at replica A and polls replica B with Scrape until it is there:
// lag = publish sent -> visible at B. The reference in the same run is the plain Scrape round trip
// to B (what polling alone costs), so the printed ratio is lag over one round trip.
/* global fetch, performance */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const require = createRequire(import.meta.url);
const grpc = require('@grpc/grpc-js');
const {
  TrackerClient,
  AnnounceEvent,
} = require('../proto/dist/gen/enjambre/tracker/v1/tracker.js');

const probes = Number(process.argv[2] ?? 200);
const concurrency = Number(process.argv[3] ?? 32);
const repetitions = Number(process.argv[4] ?? 3);
const cli = new URL('../services/tracker/dist/cli.js', import.meta.url).pathname;

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

function call(client, method, req) {
  return new Promise((resolve, reject) =>
    client[method](req, { deadline: Date.now() + 5000 }, (err, res) =>
      err ? reject(err) : resolve(res),
    ),
  );
}

async function waitReady(metricsPort) {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('replica not ready');
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const median = (xs) => pct(xs, 50);
const ms = (x) => `${x.toFixed(2)} ms`;

let seq = 0;
const hash = () => {
  const b = Buffer.alloc(20);
  b.writeUInt32BE(process.pid, 0);
  b.writeUInt32BE(++seq, 16);
  return b;
};

async function probe(a, b, rttSamples) {
  const infoHash = hash();
  const t0 = performance.now();
  await call(a, 'publish', {
    infoHash,
    peerId: Buffer.alloc(20, 1),
    ip: '',
    port: 1,
    name: 'probe',
    totalSize: 1,
    fileCount: 1,
    publisherKey: Buffer.alloc(0),
    signedAtMs: 0,
    signature: Buffer.alloc(0),
  });
  for (;;) {
    const s0 = performance.now();
    const res = await call(b, 'scrape', { infoHashes: [infoHash] });
    rttSamples.push(performance.now() - s0);
    if (res.entries[0].complete === 1) return performance.now() - t0;
  }
}

async function runLoad(a, stop, counter) {
  const peerId = Buffer.alloc(20);
  const infoHash = Buffer.alloc(20);
  while (!stop.done) {
    const n = Math.floor(Math.random() * 1e9);
    peerId.writeUInt32BE(n, 0);
    infoHash.writeUInt32BE(n % 1000, 0);
    await call(a, 'announce', {
      infoHash,
      peerId,
      event: AnnounceEvent.ANNOUNCE_EVENT_STARTED,
      uploaded: 0,
      downloaded: 0,
      left: 100,
      numwant: 50,
      port: 1 + (n % 60000),
      ip: '',
    });
    counter.n++;
  }
}

async function measure(a, b, withLoad) {
  const stop = { done: false };
  const counter = { n: 0 };
  const loaders = withLoad
    ? Array.from({ length: concurrency }, () => runLoad(a, stop, counter))
    : [];
  const t0 = performance.now();
  const lags = [];
  const rtts = [];
  for (let i = 0; i < probes; i++) {
    lags.push(await probe(a, b, rtts));
    await new Promise((r) => setTimeout(r, 5));
  }
  const seconds = (performance.now() - t0) / 1000;
  stop.done = true;
  await Promise.allSettled(loaders);
  return { lags, rtts, rate: counter.n / seconds };
}

const dir = mkdtempSync(join(tmpdir(), 'enjambre-bench-lag-'));
const procs = [];
try {
  const ports = {
    a: await freePort(),
    b: await freePort(),
    ma: await freePort(),
    mb: await freePort(),
    ra: await freePort(),
    rb: await freePort(),
  };
  const peersFile = join(dir, 'peers.json');
  writeFileSync(
    peersFile,
    JSON.stringify({
      [`127.0.0.1:${ports.ra}`]: { ip: '127.0.0.1', port: ports.ra },
      [`127.0.0.1:${ports.rb}`]: { ip: '127.0.0.1', port: ports.rb },
    }),
  );
  for (const [port, metrics, repl] of [
    [ports.a, ports.ma, ports.ra],
    [ports.b, ports.mb, ports.rb],
  ]) {
    procs.push(
      spawn(
        process.execPath,
        [
          cli,
          '--port',
          port,
          '--http-port',
          '0',
          '--udp-port',
          '0',
          '--metrics-port',
          metrics,
          '--peers-file',
          peersFile,
          '--red-key',
          'bench-network-key-of-at-least-32-bytes',
          '--replication-port',
          repl,
          '--advertise',
          `127.0.0.1:${repl}`,
          '--log-level',
          'warn',
          // The load comes from one address: no per-address announce limit.
          '--announce-rate',
          '0',
        ],
        { stdio: 'inherit' },
      ),
    );
  }
  await waitReady(ports.ma);
  await waitReady(ports.mb);
  const a = new TrackerClient(`127.0.0.1:${ports.a}`, grpc.credentials.createInsecure());
  const b = new TrackerClient(`127.0.0.1:${ports.b}`, grpc.credentials.createInsecure());
  await probe(a, b, []); // warm up both links
  const rows = [];
  for (const withLoad of [false, true]) {
    const lagP50 = [],
      lagP99 = [],
      rtt = [],
      rate = [];
    for (let r = 0; r < repetitions; r++) {
      const m = await measure(a, b, withLoad);
      lagP50.push(pct(m.lags, 50));
      lagP99.push(pct(m.lags, 99));
      rtt.push(median(m.rtts));
      rate.push(m.rate);
    }
    rows.push({
      withLoad,
      p50: median(lagP50),
      p99: median(lagP99),
      rtt: median(rtt),
      rate: median(rate),
    });
  }
  console.log(`replication lag A -> B, ${probes} probes x ${repetitions} runs (medians of runs)`);
  for (const r of rows) {
    const load = r.withLoad
      ? `under load (${concurrency} gRPC announce loops on A, ${Math.round(r.rate)} announces/s)`
      : 'idle';
    console.log(
      `  ${load}: p50 ${ms(r.p50)}  p99 ${ms(r.p99)}  | scrape round trip ${ms(r.rtt)}  | p50/rtt ${(r.p50 / r.rtt).toFixed(1)}x  p99/rtt ${(r.p99 / r.rtt).toFixed(1)}x`,
    );
  }
  a.close();
  b.close();
} finally {
  for (const p of procs) p.kill('SIGTERM');
  await Promise.all(
    procs.map((p) => new Promise((r) => (p.exitCode !== null ? r() : p.once('exit', r)))),
  );
  rmSync(dir, { recursive: true, force: true });
}
