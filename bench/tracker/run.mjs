#!/usr/bin/env node
// Tracker benchmark: announces/s and latency over HTTP (wrk) and UDP (bench/out/udp-load, BEP 15)
// for enjambre, opentracker (Debian) and bittorrent-tracker (npm) in the same run, same load,
// interleaved repetitions, medians and ratios; gRPC announces/s for enjambre alone; RSS of each
// tracker after PEERS distinct peers in TORRENTS torrents.
//
//   npm run bench:tracker -- [--quick] [--duration S] [--reps N] [--trackers a,b] [--no-memory]
//                             [--memory-peers N] [--memory-torrents N] [--no-grpc] [--no-unpinned]
//                             [--workers N] [--grpc-mode compact|full|batchN]
//                             [--baseline DIR] [--no-http] [--no-udp] [--no-h2load]
//                             [--udp-io dgram,mmsg]
//
// --baseline DIR adds "enjambre (baseline)": the tracker built in DIR/dist (a copy of an older
// services/tracker/dist kept inside this repository, so it resolves the same node_modules), to
// compare two builds in the same run. Make one before changing the tracker:
//   mkdir -p bench/out/base-tracker && cp -r services/tracker/dist services/tracker/package.json \
//     bench/out/base-tracker/ && ln -s ../../../services/tracker/node_modules bench/out/base-tracker/
// --no-http / --no-udp skip those loads.
// --udp-io lists the tracker's UDP I/O paths to measure (default auto, the tracker's default): the first is "enjambre",
// each other one its own row, e.g. "enjambre (mmsg)" for the batched recvmmsg/sendmmsg addon.
//
// gRPC is measured twice: by grpc-load.cjs (the project's generator: random torrents and peer
// ids, JS on raw HTTP/2) and by h2load (nghttp2-client, C, independent of this project), which
// sends one fixed compact Announce (one peer re-announcing in a torrent that holds 200 peers, so
// each answer carries 50) on 4 connections x 16 streams; h2load reports no percentiles, so its
// column is the mean latency. A gRPC error rides on HTTP status 200, which h2load counts as a
// success: the run checks the tracker's error counter is unchanged afterwards. With HTTP measured,
// grpc-load also runs paced at half the HTTP rate of the same repetition, for the p99 there.
//
// The tracker runs on CPU 0 and the load generator on CPU 1 (taskset); "enjambre (unpinned)"
// runs the same tracker without taskset, to show what it does with both cores.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const out = path.join(root, 'bench/out');

// ---------------------------------------------------------------- options
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const value = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
};
const quick = flag('quick');
const options = {
  duration: Number(value('duration', quick ? 3 : 15)),
  reps: Number(value('reps', quick ? 1 : 3)),
  torrents: Number(value('torrents', 10_000)),
  memoryPeers: Number(value('memory-peers', quick ? 100_000 : 1_000_000)),
  memoryTorrents: Number(value('memory-torrents', quick ? 10_000 : 100_000)),
  memory: !flag('no-memory'),
  grpc: !flag('no-grpc'),
  // compact (the engine's single Announce), full (Peer messages) or batchN (AnnounceMany of N)
  grpcMode: value('grpc-mode', 'compact'),
  unpinned: !flag('no-unpinned'),
  // UDP worker processes of the unpinned enjambre (the pinned one has a single core: none).
  workers: Number(value('workers', 1)),
  trackers: value('trackers', 'enjambre,opentracker,bittorrent-tracker').split(','),
  baseline: value('baseline', ''),
  http: !flag('no-http'),
  h2load: !flag('no-h2load'),
  udp: !flag('no-udp'),
  udpIo: value('udp-io', 'auto').split(','),
  connections: 64,
  udpSockets: 16,
  udpWindow: 4,
};
const TRACKER_CPU = '0';
const LOAD_CPU = '1';

/* global fetch */
// ---------------------------------------------------------------- helpers
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForTcp(port, child, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`exited with ${child.exitCode}: ${child.output()}`);
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`nothing listening on ${port} after ${timeoutMs} ms: ${child.output()}`);
}

/** Spawns in its own process group, keeping the tail of its output for error messages. */
function launch(argv, cwd = root) {
  const child = spawn(argv[0], argv.slice(1), {
    cwd,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk) => (tail = (tail + chunk).slice(-4000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.output = () => tail;
  child.stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    signalGroup(child.pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}
const running = new Set();
function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}
process.on('exit', () => {
  for (const child of running) signalGroup(child.pid, 'SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

function run(argv) {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('exit', (code) =>
      code === 0
        ? resolve({ stdout, stderr })
        : reject(new Error(`${argv.join(' ')} exited ${code}: ${stderr}`)),
    );
  });
}

function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]);
  return kb / 1024;
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString()) || 100;

/**
 * CPU seconds (user + system, all threads) a process and its live children (UDP workers) have
 * used so far.
 */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  let children = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean);
  } catch {
    // no children file (older kernels): the process alone
  }
  let sum = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  for (const child of children) {
    try {
      sum += cpuSeconds(Number(child));
    } catch {
      // exited meanwhile
    }
  }
  return sum;
}

/**
 * Runs `load` and adds the tracker's CPU cost per answered announce (µs): on a shared machine
 * this is steadier than the rate, which depends on how much of its core the tracker got.
 */
async function withCpu(pid, load) {
  const before = cpuSeconds(pid);
  const result = await load();
  const answered = result.rps * result.seconds;
  return { ...result, cpuUs: answered > 0 ? ((cpuSeconds(pid) - before) * 1e6) / answered : NaN };
}

/** The tracker's own process: taskset execs it, so the pid is the same. */
const trackerPid = (child) => child.pid;

// ---------------------------------------------------------------- data
function hashes(count, salt) {
  const list = [];
  for (let i = 0; i < count; i++) list.push(createHash('sha1').update(`${salt}-${i}`).digest());
  return list;
}

// ---------------------------------------------------------------- trackers
const trackers = {
  enjambre: {
    label: 'enjambre',
    async start(
      work,
      pin = true,
      workers = 0,
      dist = path.join(root, 'services/tracker/dist'),
      udpIo = 'auto',
    ) {
      const port = await freePort();
      const grpcPort = await freePort();
      const metricsPort = await freePort();
      const child = launch([
        ...(pin ? ['taskset', '-c', TRACKER_CPU] : []),
        process.execPath,
        path.join(dist, 'cli.js'),
        '--ip',
        '127.0.0.1',
        '--port',
        String(grpcPort),
        '--http-port',
        String(port),
        '--udp-port',
        String(port),
        '--metrics-port',
        String(metricsPort),
        '--log-level',
        'warn',
        '--workers',
        String(workers),
        '--udp-io',
        udpIo,
        // Every load generator is one address: a limit the limiter checks but never reaches.
        '--announce-rate',
        '10000000',
        '--announce-burst',
        '10000000',
      ]);
      await waitForTcp(port, child);
      await waitForTcp(grpcPort, child);
      return { child, port, grpcPort, metricsPort };
    },
  },
  opentracker: {
    label: 'opentracker',
    note: 'closes the HTTP connection after each answer',
    async start(work, pin = true) {
      const port = await freePort();
      const child = launch([
        ...(pin ? ['taskset', '-c', TRACKER_CPU] : []),
        'opentracker',
        '-i',
        '127.0.0.1',
        '-p',
        String(port),
        '-P',
        String(port),
        '-f',
        path.join(work, 'opentracker.conf'),
      ]);
      await waitForTcp(port, child);
      return { child, port };
    },
  },
  'bittorrent-tracker': {
    label: 'bittorrent-tracker',
    async start() {
      const port = await freePort();
      const child = launch([
        'taskset',
        '-c',
        TRACKER_CPU,
        process.execPath,
        path.join(here, 'bittorrent-tracker-server.mjs'),
        String(port),
      ]);
      await waitForTcp(port, child);
      return { child, port };
    },
  },
};

/** One real announce, to make sure the tracker accepts the pool (opentracker's whitelist, which
 * it loads in a thread after opening its ports: on a busy machine the first tries may fail). */
async function checkAnnounce(port, infoHash) {
  const encode = (bytes) => [...bytes].map((b) => '%' + b.toString(16).padStart(2, '0')).join('');
  const url =
    `http://127.0.0.1:${port}/announce?info_hash=${encode(infoHash)}&peer_id=${encode(Buffer.from('-BN0001-check-000000'))}` +
    `&port=6881&uploaded=0&downloaded=0&left=100&compact=1&numwant=50`;
  // opentracker loads its whitelist in a background thread after opening its ports: retry a while.
  const deadline = Date.now() + 60_000;
  while (true) {
    const body = Buffer.from(await (await fetch(url)).arrayBuffer()).toString('latin1');
    if (body.includes('8:interval') && !body.includes('failure reason')) return;
    if (Date.now() > deadline) {
      throw new Error(`tracker on ${port} refused the benchmark's announce: ${body.slice(0, 200)}`);
    }
    await sleep(200);
  }
}

// ---------------------------------------------------------------- load
async function httpLoad(port, hashFileHex) {
  const { stdout } = await run([
    'taskset',
    '-c',
    LOAD_CPU,
    'wrk',
    '-t1',
    `-c${options.connections}`,
    `-d${options.duration}s`,
    '--latency',
    '-s',
    path.join(here, 'announce.lua'),
    `http://127.0.0.1:${port}`,
    '--',
    hashFileHex,
  ]);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
  const ms = (label) => {
    const m = new RegExp(`\\s${label}%\\s+([\\d.]+)(us|ms|s)`).exec(stdout);
    if (!m) return NaN;
    return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
  };
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0);
  const timeouts = Number(/timeout (\d+)/.exec(stdout)?.[1] ?? 0);
  return { rps, seconds: options.duration, p50: ms(50), p99: ms(99), non2xx, timeouts };
}

async function udpLoad(port, hashFileBin, mode = 'pool', amount = options.duration, torrents = 0) {
  const { stdout, stderr } = await run([
    'taskset',
    '-c',
    LOAD_CPU,
    path.join(out, 'udp-load'),
    '127.0.0.1',
    String(port),
    hashFileBin,
    mode,
    String(amount),
    String(options.udpSockets),
    String(options.udpWindow),
    String(torrents),
  ]);
  const result = JSON.parse(stdout);
  if (result.errors > 0) throw new Error(`UDP load got ${result.errors} tracker errors: ${stderr}`);
  return {
    rps: result.rps,
    p50: result.p50_us / 1000,
    p99: result.p99_us / 1000,
    lost: result.lost,
    seconds: result.seconds,
  };
}

async function grpcLoad(grpcPort, hashFileBin, rate = 0) {
  const { stdout } = await run([
    'taskset',
    '-c',
    LOAD_CPU,
    process.execPath,
    path.join(here, 'grpc-load.cjs'),
    `127.0.0.1:${grpcPort}`,
    hashFileBin,
    String(options.duration),
    '1', // worker thread
    '4', // HTTP/2 connections
    '16', // calls in flight on each: 64 in all, as wrk's 64 connections
    options.grpcMode,
    String(Math.round(rate)),
  ]);
  const result = JSON.parse(stdout);
  if (result.errors > 0) throw new Error(`gRPC load got ${result.errors} errors`);
  return {
    rps: result.rps,
    seconds: result.seconds,
    p50: result.p50_us / 1000,
    p99: result.p99_us / 1000,
  };
}

/** The length-prefixed compact AnnounceRequest h2load sends (protobuf fields by hand). */
function fixedGrpcAnnounce(infoHash) {
  const peerId = Buffer.from('-BN0001-h2load-00000');
  const message = Buffer.concat([
    Buffer.from([0x0a, 20]), // 1: info_hash
    infoHash,
    Buffer.from([0x12, 20]), // 2: peer_id
    peerId,
    Buffer.from([0x30, 1]), // 6: left = 1 (a leecher)
    Buffer.from([0x38, 50]), // 7: numwant = 50
    Buffer.from([0x40, 0xe1, 0x35]), // 8: port = 6881
    Buffer.from([0x50, 1]), // 10: compact = true
  ]);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

/** enjambre_tracker_errors_total summed over its series (from the metrics port). */
async function trackerErrors(metricsPort) {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(/^enjambre_tracker_errors_total\{[^}]*\} (\d+)/gm))
    sum += Number(m[1]);
  return sum;
}

async function h2load(tracker, requestFile) {
  const errorsBefore = await trackerErrors(tracker.metricsPort);
  const { stdout } = await run([
    'taskset',
    '-c',
    LOAD_CPU,
    'h2load',
    '-c4',
    '-m16',
    `-D${options.duration}`,
    '--warm-up-time=1',
    '-H',
    'content-type: application/grpc',
    '-H',
    'te: trailers',
    '-d',
    requestFile,
    `http://127.0.0.1:${tracker.grpcPort}/enjambre.tracker.v1.Tracker/Announce`,
  ]);
  const errors = (await trackerErrors(tracker.metricsPort)) - errorsBefore;
  if (errors > 0) throw new Error(`h2load: the tracker counted ${errors} errors`);
  const done = /requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded/.exec(stdout);
  if (!done || done[1] !== done[2])
    throw new Error(`h2load: not every request succeeded:\n${stdout}`);
  const finished = /finished in ([\d.]+)s, ([\d.]+) req\/s/.exec(stdout);
  const mean = /time for request:\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)/.exec(stdout);
  const unit = { us: 0.001, ms: 1, s: 1000 };
  return {
    rps: Number(finished?.[2]),
    seconds: Number(finished?.[1]),
    mean: mean ? Number(mean[1]) * unit[mean[2]] : NaN,
  };
}

// ---------------------------------------------------------------- main
async function main() {
  const cpus = os.cpus().length;
  if (cpus < 2)
    throw new Error('needs 2 CPUs: the tracker on one, the load generator on the other');
  mkdirSync(out, { recursive: true });
  console.log('building: udp-load (cc -O2), enjambre tracker (tsc -b)');
  execFileSync(
    'cc',
    ['-O2', '-Wall', '-o', path.join(out, 'udp-load'), path.join(here, 'udp-load.c')],
    { stdio: 'inherit' },
  );
  if (options.trackers.includes('enjambre')) {
    execFileSync(process.execPath, [path.join(root, 'scripts/build-native.mjs')], {
      stdio: 'inherit',
    });
    execFileSync(
      process.execPath,
      [path.join(root, 'node_modules/typescript/bin/tsc'), '-b', 'services/tracker'],
      {
        cwd: root,
        stdio: 'inherit',
      },
    );
  }

  const work = mkdtempSync(path.join(os.tmpdir(), 'enjambre-bench-tracker-'));
  chmodSync(work, 0o755); // opentracker chroots here and drops to nobody
  process.on('exit', () => rmSync(work, { recursive: true, force: true }));
  const pool = hashes(options.torrents, 'enjambre-bench-pool');
  const memoryPool = options.memory ? hashes(options.memoryTorrents, 'enjambre-bench-memory') : [];
  const poolBin = path.join(work, 'pool.bin');
  const poolHex = path.join(work, 'pool.txt');
  const memoryBin = path.join(work, 'memory.bin');
  writeFileSync(poolBin, Buffer.concat(pool));
  writeFileSync(poolHex, pool.map((h) => h.toString('hex')).join('\n') + '\n');
  writeFileSync(memoryBin, Buffer.concat(memoryPool.length ? memoryPool : [Buffer.alloc(20)]));
  writeFileSync(
    path.join(work, 'whitelist.txt'),
    [...pool, ...memoryPool].map((h) => h.toString('hex')).join('\n') + '\n',
    { mode: 0o644 },
  );
  writeFileSync(
    path.join(work, 'opentracker.conf'),
    `tracker.rootdir ${work}\naccess.whitelist whitelist.txt\n`,
    {
      mode: 0o644,
    },
  );

  const configs = [];
  for (const name of options.trackers) {
    if (!trackers[name])
      throw new Error(`unknown tracker ${name}; known: ${Object.keys(trackers).join(', ')}`);
    const [firstIo, ...otherIo] = options.udpIo;
    configs.push({
      key: name,
      label: trackers[name].label,
      start: (w) =>
        name === 'enjambre'
          ? trackers.enjambre.start(w, true, 0, undefined, firstIo)
          : trackers[name].start(w, true),
    });
    if (name === 'enjambre') {
      for (const io of otherIo) {
        configs.push({
          key: `enjambre-${io}`,
          label: `enjambre (${io})`,
          start: (w) => trackers.enjambre.start(w, true, 0, undefined, io),
        });
      }
    }
    if (name === 'enjambre' && options.baseline) {
      const dist = path.resolve(options.baseline, 'dist');
      configs.push({
        key: 'enjambre-baseline',
        label: 'enjambre (baseline)',
        start: (w) => trackers.enjambre.start(w, true, 0, dist),
      });
    }
    if (name === 'opentracker' && options.unpinned) {
      configs.push({
        key: 'opentracker-unpinned',
        label: 'opentracker (unpinned)',
        start: (w) => trackers.opentracker.start(w, false),
      });
    }
    if (name === 'enjambre' && options.unpinned) {
      configs.push({
        key: 'enjambre-unpinned',
        label: `enjambre (unpinned, ${options.workers} UDP worker${options.workers === 1 ? '' : 's'})`,
        start: (w) => trackers.enjambre.start(w, false, options.workers),
      });
    }
  }

  console.log(
    `load: ${options.torrents} torrents, random peer ids, numwant=50, ${options.duration} s per run, ` +
      `${options.reps} repetition(s); HTTP wrk -t1 -c${options.connections} keep-alive; ` +
      `UDP ${options.udpSockets} sockets x ${options.udpWindow} in flight; tracker on CPU ${TRACKER_CPU}, load on CPU ${LOAD_CPU}`,
  );
  const h2Request = path.join(work, 'h2load-announce.bin');
  const h2Swarm = path.join(work, 'h2load-swarm.bin');
  writeFileSync(h2Request, fixedGrpcAnnounce(pool[0]));
  writeFileSync(h2Swarm, pool[0]);
  const results = Object.fromEntries(
    configs.map((c) => [c.key, { http: [], udp: [], grpc: [], grpcPaced: [], h2: [] }]),
  );
  for (let rep = 1; rep <= options.reps; rep++) {
    for (const config of configs) {
      const tracker = await config.start(work);
      try {
        await checkAnnounce(tracker.port, pool[0]);
        const pid = trackerPid(tracker.child);
        let line = `rep ${rep} ${config.label.padEnd(20)}`;
        if (options.http) {
          const http = await withCpu(pid, () => httpLoad(tracker.port, poolHex));
          results[config.key].http.push(http);
          line += ` HTTP ${http.rps.toFixed(0).padStart(7)}/s p99 ${http.p99.toFixed(2)} ms ${http.cpuUs.toFixed(0)} µs CPU`;
          if (http.non2xx || http.timeouts)
            line += ` (non-2xx ${http.non2xx}, timeouts ${http.timeouts})`;
        }
        if (options.udp) {
          const udp = await withCpu(pid, () => udpLoad(tracker.port, poolBin));
          results[config.key].udp.push(udp);
          line += ` | UDP ${udp.rps.toFixed(0).padStart(7)}/s p99 ${udp.p99.toFixed(2)} ms ${udp.cpuUs.toFixed(0)} µs CPU (lost ${udp.lost})`;
        }
        if (tracker.grpcPort && options.grpc) {
          const grpc = await withCpu(pid, () => grpcLoad(tracker.grpcPort, poolBin));
          results[config.key].grpc.push(grpc);
          line += ` | gRPC ${grpc.rps.toFixed(0)}/s p99 ${grpc.p99.toFixed(2)} ms ${grpc.cpuUs.toFixed(0)} µs CPU`;
          const http = results[config.key].http.at(-1);
          if (http && Number.isFinite(http.rps)) {
            // The aim's latency: p99 with calls paced at half the HTTP rate of this repetition.
            const paced = await grpcLoad(tracker.grpcPort, poolBin, http.rps / 2);
            results[config.key].grpcPaced.push(paced);
            line += ` | gRPC paced ${paced.rps.toFixed(0)}/s p99 ${paced.p99.toFixed(2)} ms`;
          }
          if (options.h2load) {
            // 200 peers in the fixed request's torrent, so its answers carry 50.
            await udpLoad(tracker.port, h2Swarm, 'distinct', 200, 1);
            const h2 = await withCpu(pid, () => h2load(tracker, h2Request));
            results[config.key].h2.push(h2);
            line += ` | h2load ${h2.rps.toFixed(0)}/s mean ${h2.mean.toFixed(2)} ms ${h2.cpuUs.toFixed(0)} µs CPU`;
          }
        }
        console.log(line);
      } finally {
        await tracker.child.stop();
      }
    }
  }

  const memory = {};
  if (options.memory) {
    console.log(
      `memory: ${options.memoryPeers} distinct peers in ${options.memoryTorrents} torrents over UDP`,
    );
    for (const config of configs.filter((c) => !/-(unpinned|baseline)$/.test(c.key))) {
      const tracker = await config.start(work);
      try {
        await checkAnnounce(tracker.port, memoryPool[memoryPool.length - 1]);
        await sleep(500);
        const before = rssMiB(trackerPid(tracker.child));
        const load = await udpLoad(
          tracker.port,
          memoryBin,
          'distinct',
          options.memoryPeers,
          options.memoryTorrents,
        );
        await sleep(1000);
        const after = rssMiB(trackerPid(tracker.child));
        memory[config.key] = {
          before,
          after,
          seconds: load.seconds,
          bytesPerPeer: ((after - before) * 1048576) / options.memoryPeers,
        };
        console.log(
          `  ${config.label.padEnd(20)} RSS ${before.toFixed(1)} -> ${after.toFixed(1)} MiB ` +
            `(${memory[config.key].bytesPerPeer.toFixed(0)} B/peer; loaded in ${load.seconds.toFixed(1)} s)`,
        );
      } finally {
        await tracker.child.stop();
      }
    }
  }

  // ---------------------------------------------------------------- table
  const fmt = (v, digits = 0) => (Number.isFinite(v) ? v.toFixed(digits) : '—');
  const rows = configs.map((c) => {
    const r = results[c.key];
    return {
      key: c.key,
      label: c.label,
      http: median(r.http.map((x) => x.rps)),
      udp: median(r.udp.map((x) => x.rps)),
      grpc: median(r.grpc.map((x) => x.rps)),
      httpP50: median(r.http.map((x) => x.p50)),
      httpP99: median(r.http.map((x) => x.p99)),
      udpP50: median(r.udp.map((x) => x.p50)),
      udpP99: median(r.udp.map((x) => x.p99)),
      grpcP99: median(r.grpc.map((x) => x.p99)),
      httpCpu: median(r.http.map((x) => x.cpuUs)),
      udpCpu: median(r.udp.map((x) => x.cpuUs)),
      grpcCpu: median(r.grpc.map((x) => x.cpuUs)),
      h2: median(r.h2.map((x) => x.rps)),
      pacedRps: median(r.grpcPaced.map((x) => x.rps)),
      pacedP99: median(r.grpcPaced.map((x) => x.p99)),
      h2Mean: median(r.h2.map((x) => x.mean)),
      h2Cpu: median(r.h2.map((x) => x.cpuUs)),
      rss: memory[c.key]?.after,
      perPeer: memory[c.key]?.bytesPerPeer,
      note: trackers[c.key]?.note,
    };
  });
  console.log(`\nmedians of ${options.reps} run(s) of ${options.duration} s`);
  console.log(
    '| tracker | HTTP announces/s | UDP announces/s | gRPC announces/s (grpc-load / h2load) | p50 / p99 HTTP (ms) | p50 / p99 UDP (ms) | gRPC p99 grpc-load / mean h2load (ms) | tracker CPU µs/announce (HTTP / UDP / gRPC / gRPC h2load) | RSS after ' +
      `${options.memoryPeers} peers (MiB) | bytes/peer |`,
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.label}${r.note ? ` (${r.note})` : ''} | ${fmt(r.http)} | ${fmt(r.udp)} | ${fmt(r.grpc)} / ${fmt(r.h2)} | ` +
        `${fmt(r.httpP50, 2)} / ${fmt(r.httpP99, 2)} | ${fmt(r.udpP50, 2)} / ${fmt(r.udpP99, 2)} | ${fmt(r.grpcP99, 2)} / ${fmt(r.h2Mean, 2)} | ${fmt(r.httpCpu)} / ${fmt(r.udpCpu)} / ${fmt(r.grpcCpu)} / ${fmt(r.h2Cpu)} | ${fmt(r.rss, 1)} | ${fmt(r.perPeer)} |`,
    );
  }
  const find = (key) => rows.find((r) => r.key === key);
  for (const ours of [
    'enjambre',
    ...options.udpIo.slice(1).map((io) => `enjambre-${io}`),
    'enjambre-baseline',
    'enjambre-unpinned',
  ]
    .map(find)
    .filter(Boolean)) {
    // Pinned against pinned, two cores against two cores.
    const refs = ours.key.endsWith('-unpinned')
      ? ['opentracker-unpinned', 'opentracker']
      : ['opentracker', 'bittorrent-tracker'];
    for (const ref of refs.map(find).filter(Boolean)) {
      const ratio = (a, b) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}x` : '—');
      console.log(
        `${ours.label} / ${ref.label}: HTTP ${ratio(ours.http, ref.http)}, UDP ${ratio(ours.udp, ref.udp)}` +
          ` (CPU per UDP announce ${ratio(ours.udpCpu, ref.udpCpu)})` +
          (ours.rss && ref.rss ? `, RSS ${ratio(ours.rss, ref.rss)}` : '') +
          (ours.key === 'enjambre' && ref.key === 'opentracker'
            ? `; gRPC / HTTP (enjambre) ${ratio(ours.grpc, ours.http)} (h2load ${ratio(ours.h2, ours.http)})`
            : ''),
      );
    }
  }
  writeFileSync(
    path.join(out, 'tracker-results.json'),
    JSON.stringify({ options, results, memory, rows }, null, 2),
  );
  for (const r of rows.filter((r) => Number.isFinite(r.pacedRps))) {
    console.log(
      `${r.label}: gRPC paced at half its HTTP rate: ${fmt(r.pacedRps)}/s answered, p99 ${fmt(r.pacedP99, 2)} ms`,
    );
  }
  console.log(`raw results: ${path.relative(root, path.join(out, 'tracker-results.json'))}`);
}

main().catch((error) => {
  console.error(error.stack ?? error.message);
  process.exit(1);
});
