#!/usr/bin/env node
// Client benchmark: each leecher (enjambre, libtorrent, aria2, transmission-cli, webtorrent-cli)
// downloads one 1 GiB file (piece length 1 MiB) over loopback from a python3-libtorrent seeder,
// then from an enjambre seeder; tracker: Debian's opentracker (info-hash whitelisted). Medians of
// N runs of wall time (start → complete), MB/s, leecher CPU seconds and peak RSS, and the ratios;
// the machine's limits for the job (SHA-1, write, loopback TCP) measured first.
//
//   npm run bench:client -- [--quick] [--runs N] [--only enjambre,libtorrent]
//                           [--seeders libtorrent,enjambre] [--size-mib M] [--timeout S]
//                           [--no-limits] [--profile] [--threads] [--format v1|v2|hybrid]
//
// --format v2 / hybrid: the torrent is made by python3-libtorrent's creator (BEP 52) instead of
// mktorrent; only enjambre and libtorrent speak v2 (a hybrid is read by the others too).
//
// Every run starts the leecher on an empty folder; the clock stops when the leecher says the
// file is complete (its status, polled every 100 ms, or its done signal), then the bytes are
// verified with SHA-1 (not timed) and the file deleted. CPU is utime+stime (+ waited-for children)
// and RSS the sum of VmHWM over the leecher's process tree, read from /proc just before it stops.
import { execFileSync, spawn } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { createReadStream, existsSync, promises as fs, readFileSync, readdirSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const out = path.join(root, 'bench/out');

/* global fetch */
// ---------------------------------------------------------------- options
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const value = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
};
const quick = flag('quick');
const LEECHERS = ['enjambre', 'libtorrent', 'aria2', 'transmission', 'webtorrent'];
const SEEDERS = ['libtorrent', 'enjambre'];
const sizeMiB = Number(value('size-mib', quick ? 256 : 1024));
const options = {
  size: sizeMiB * 1024 * 1024,
  pieceLength: 1 << 20,
  runs: Number(value('runs', quick ? 1 : 3)),
  only: value('only', LEECHERS.join(',')).split(','),
  seeders: value('seeders', SEEDERS.join(',')).split(','),
  // 120 s per GiB, and transmission-cli (48–98 s per GiB in ANCHORS.md) twice that.
  timeoutMs: Number(value('timeout', Math.max(30, (120 * sizeMiB) / 1024))) * 1000,
  limits: !flag('no-limits'),
  profile: flag('profile'),
  threads: flag('threads'),
  format: value('format', 'v1'),
};
if (!['v1', 'v2', 'hybrid'].includes(options.format))
  throw new Error('--format is v1, v2 or hybrid');
for (const name of [...options.only, ...options.seeders]) {
  if (!LEECHERS.includes(name)) throw new Error(`unknown client ${name} (${LEECHERS.join(', ')})`);
}
if (options.seeders.some((s) => !SEEDERS.includes(s)))
  throw new Error(`seeders are ${SEEDERS.join(', ')}`);

const PYTHON = '/usr/bin/python3'; // Debian's, the only interpreter with `import libtorrent`
const LIBTORRENT_PEER = path.join(root, 'test/peers/libtorrent_peer.py');
// webtorrent-cli is not a dependency of the repo: 6.x needs Node 22 and an install script that
// downloads node-datachannel's binary; 4.1.0 installs without scripts but lists an optional
// dependency (airplay-js) missing from the registry here, which breaks `npm ci`. So it lives in
// bench/out (see bench/README.md), and its rows are skipped, with the reason, when it is absent.
const WEBTORRENT_CLI =
  process.env.WEBTORRENT_CLI ??
  path.join(out, 'webtorrent-cli/node_modules/webtorrent-cli/bin/cmd.js');
const WEBTORRENT_MISSING = `webtorrent-cli not found at ${path.relative(root, WEBTORRENT_CLI)} (install it as bench/README.md says)`;
const MB = 1e6;

// ---------------------------------------------------------------- small helpers
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const fmt = (v, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : '—');
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

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

async function sha1File(file) {
  const hash = createHash('sha1');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk);
  return hash.digest('hex');
}

// ---------------------------------------------------------------- processes
const running = new Set();

/** Spawns a program in its own process group; collects its output lines for errors. */
function start(name, command, args, opts = {}) {
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const lines = [];
  const listeners = new Set();
  let partial = '';
  const onData = (chunk) => {
    partial += chunk.toString();
    const parts = partial.split(/\r?\n|\r/);
    partial = parts.pop();
    for (const line of parts) {
      lines.push(line);
      if (lines.length > 200) lines.shift();
      for (const listener of listeners) listener(line);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const proc = {
    name,
    child,
    pid: child.pid,
    exited,
    get alive() {
      return child.exitCode === null && child.signalCode === null;
    },
    onLine: (listener) => (listeners.add(listener), () => listeners.delete(listener)),
    // The last n lines, repeated progress lines collapsed into their latest.
    tail: (n = 15) =>
      lines
        .filter(
          (line, i) => !(line.startsWith('Progress:') && lines[i + 1]?.startsWith('Progress:')),
        )
        .slice(-n)
        .join('\n'),
    async stop() {
      if (proc.alive) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          /* already gone */
        }
        const timer = setTimeout(() => {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }, 5000);
        await exited;
        clearTimeout(timer);
      }
      running.delete(proc);
    },
  };
  child.once('error', (error) => lines.push(`spawn error: ${error.message}`));
  running.add(proc);
  return proc;
}

function killAll() {
  for (const proc of running) {
    try {
      process.kill(-proc.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}
process.on('exit', killAll);
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

/** Waits for a line matching `test` (returns the test's truthy result) or fails on exit/timeout. */
function waitLine(proc, test, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => finish(new Error(`timeout after ${timeoutMs / 1000} s waiting for ${what}`)),
      timeoutMs,
    );
    const finish = (error, result) => {
      clearTimeout(timer);
      unsubscribe();
      if (error) reject(error);
      else resolve(result);
    };
    const unsubscribe = proc.onLine((line) => {
      let result;
      try {
        result = test(line);
      } catch (error) {
        finish(error);
        return;
      }
      if (result) finish(null, result);
    });
    proc.exited.then(({ code, signal }) =>
      finish(new Error(`${proc.name} exited (${signal ?? code}) before ${what}`)),
    );
  });
}

const jsonLine = (line) => {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
};

// ---------------------------------------------------------------- /proc measurements
function children(pid) {
  try {
    const list = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return list ? list.split(/\s+/).map(Number) : [];
  } catch {
    return [];
  }
}

function tree(pid) {
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...children(all[i]));
  return all;
}

const TICK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/**
 * CPU seconds (utime+stime+cutime+cstime), summed VmHWM bytes, and read/write syscall counts
 * (/proc/PID/io syscr, syscw: a load-independent hint of batching) of a process tree.
 */
function measureTree(pid) {
  let cpu = 0;
  let user = 0;
  let sys = 0;
  let hwm = 0;
  const threads = {};
  let syscr = 0;
  let syscw = 0;
  for (const p of tree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[0] is field 3 (state): utime is field 14 → index 11.
      cpu +=
        (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / TICK;
      user += (Number(fields[11]) + Number(fields[13])) / TICK;
      sys += (Number(fields[12]) + Number(fields[14])) / TICK;
      for (const tid of readdirSync(`/proc/${p}/task`)) {
        const t = readFileSync(`/proc/${p}/task/${tid}/stat`, 'utf8');
        const name = `${t.slice(t.indexOf('(') + 1, t.lastIndexOf(')'))}/${tid}`;
        const f = t.slice(t.lastIndexOf(')') + 2).split(' ');
        const s = (Number(f[11]) + Number(f[12])) / TICK;
        if (s > 0) threads[name] = (threads[name] ?? 0) + s;
      }
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      const m = /VmHWM:\s+(\d+) kB/.exec(status);
      if (m) hwm += Number(m[1]) * 1024;
      const io = readFileSync(`/proc/${p}/io`, 'utf8');
      syscr += Number(/syscr: (\d+)/.exec(io)?.[1] ?? 0);
      syscw += Number(/syscw: (\d+)/.exec(io)?.[1] ?? 0);
    } catch {
      /* exited meanwhile */
    }
  }
  return { cpu, user, sys, threads, hwm, syscr, syscw };
}

// ---------------------------------------------------------------- data, torrent, tracker
const cacheDir = path.join(os.tmpdir(), 'enjambre-bench-client');
const workDir = path.join(os.tmpdir(), `enjambre-bench-client-run-${process.pid}`);

/** Deterministic pseudo-random data (AES-128-CTR keystream), cached between runs. */
async function makeData() {
  const name = `bench-${sizeMiB}M.bin`;
  const seedDir = path.join(cacheDir, `seed-${sizeMiB}M`);
  const file = path.join(seedDir, name);
  const sumFile = `${file}.sha1`;
  if (existsSync(sumFile)) {
    const stat = await fs.stat(file).catch(() => null);
    if (stat && stat.size === options.size)
      return { name, seedDir, file, sha1: (await fs.readFile(sumFile, 'utf8')).trim() };
  }
  await fs.mkdir(seedDir, { recursive: true });
  const key = createHash('sha256').update(`enjambre-bench-client:${sizeMiB}`).digest();
  const cipher = createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32));
  const hash = createHash('sha1');
  const zeros = Buffer.alloc(8 << 20);
  const handle = await fs.open(file, 'w');
  try {
    for (let done = 0; done < options.size;) {
      const n = Math.min(zeros.length, options.size - done);
      const bytes = cipher.update(zeros.subarray(0, n));
      hash.update(bytes);
      await handle.write(bytes, 0, n);
      done += n;
    }
  } finally {
    await handle.close();
  }
  const sha1 = hash.digest('hex');
  await fs.writeFile(sumFile, sha1 + '\n');
  return { name, seedDir, file, sha1 };
}

const LT_CREATE = `
import sys, libtorrent as lt
fs = lt.file_storage()
lt.add_files(fs, sys.argv[1])
t = lt.create_torrent(fs, int(sys.argv[2]), flags=lt.create_torrent.v2_only if sys.argv[3] == 'v2' else 0)
t.add_tracker(sys.argv[4])
lt.set_piece_hashes(t, sys.argv[5])
open(sys.argv[6], 'wb').write(lt.bencode(t.generate()))
ih = lt.torrent_info(sys.argv[6]).info_hashes()
print(str(ih.v1) if ih.has_v1() else str(ih.v2)[:40])
`;

async function makeTorrent(data, announce) {
  const torrentFile = path.join(workDir, `${data.name}-${options.format}.torrent`);
  if (options.format !== 'v1') {
    const args = [data.file, String(options.pieceLength), options.format, announce];
    const infoHash = execFileSync(PYTHON, [
      '-c',
      LT_CREATE,
      ...args,
      path.dirname(data.file),
      torrentFile,
    ])
      .toString()
      .trim();
    return { torrentFile, infoHash };
  }
  execFileSync('mktorrent', [
    '-l',
    String(Math.log2(options.pieceLength)),
    '-a',
    announce,
    '-t',
    String(os.cpus().length),
    '-o',
    torrentFile,
    data.file,
  ]);
  const infoHash = execFileSync('transmission-show', [torrentFile])
    .toString()
    .match(/Hash:\s*([0-9a-f]{40})/)[1];
  return { torrentFile, infoHash };
}

async function startOpentracker(infoHash, port) {
  const dir = path.join(workDir, 'opentracker');
  await fs.mkdir(dir, { recursive: true });
  await fs.chmod(dir, 0o755); // it chroots here and drops to nobody when run as root
  await fs.chmod(workDir, 0o755);
  await fs.writeFile(path.join(dir, 'whitelist.txt'), infoHash + '\n', { mode: 0o644 });
  const config = path.join(dir, 'opentracker.conf');
  await fs.writeFile(
    config,
    [
      `listen.tcp_udp 127.0.0.1:${port}`,
      `tracker.rootdir ${dir}`,
      'access.whitelist whitelist.txt',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  const proc = start('opentracker', 'opentracker', ['-f', config], { cwd: dir });
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (!proc.alive) throw new Error(`opentracker exited: ${proc.tail()}`);
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) throw new Error('opentracker did not listen');
    await sleep(100);
  }
  return { proc, announce: `http://127.0.0.1:${port}/announce`, port };
}

// ---------------------------------------------------------------- the clients
// Each start function returns { proc, done }: `done` resolves when the client reports the whole
// file complete (and verified, by its own rules) and rejects on error; the process stays alive.

function startLibtorrent(role, torrentFile, dir, peers) {
  const args = {
    role,
    torrent_file: torrentFile,
    dir,
    high_performance: role === 'seed', // the seeder gets high_performance_seed(); leechers defaults
    interval: 0.1,
    peers, // dialled (retried every 2 s until connected)
  };
  const proc = start(`libtorrent-${role}`, PYTHON, [LIBTORRENT_PEER, JSON.stringify(args)]);
  const done = waitLine(
    proc,
    (line) => {
      const s = jsonLine(line);
      if (s?.type === 'status' && s.error) throw new Error(`libtorrent: ${s.error}`);
      return s?.type === 'status' && (s.state === 'seeding' || s.state === 'finished');
    },
    options.timeoutMs,
    'libtorrent complete',
  );
  return { proc, done };
}

function startEnjambre(role, torrentFile, dir, profileDir) {
  const args = { role, torrentFile, dir, dataDir: path.join(workDir, `ej-${role}-${Date.now()}`) };
  const node = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  // ENJAMBRE_BENCH_WRAP="perf record -e cpu-clock -g -o F --" runs the peer under a profiler.
  const wrap = process.env.ENJAMBRE_BENCH_WRAP?.split(' ').filter(Boolean) ?? [];
  const command = [
    ...wrap,
    process.execPath,
    ...node,
    path.join(here, 'enjambre-peer.mjs'),
    JSON.stringify(args),
  ];
  const proc = start(`enjambre-${role}`, command[0], command.slice(1), { stdin: true });
  const done = waitLine(
    proc,
    (line) => {
      const s = jsonLine(line);
      if (s?.type === 'error') throw new Error(`enjambre: ${s.message}`);
      return s?.type === 'done';
    },
    options.timeoutMs,
    'enjambre done',
  );
  const dial = (port) =>
    proc.child.stdin.write(JSON.stringify({ connect: `127.0.0.1:${port}` }) + '\n');
  return { proc, done, dial };
}

async function startAria2(torrentFile, dir) {
  const rpcPort = await freePort();
  const port = await freePort();
  const proc = start('aria2', 'aria2c', [
    `--dir=${dir}`,
    `--listen-port=${port}`,
    '--interface=127.0.0.1',
    '--disable-ipv6=true',
    '--enable-dht=false',
    '--enable-dht6=false',
    '--bt-enable-lpd=false',
    '--enable-peer-exchange=false',
    '--bt-require-crypto=false',
    '--bt-min-crypto-level=plain',
    '--seed-ratio=0.0', // keep running after completion so /proc can be read; stopped by us
    '--file-allocation=falloc', // the default (prealloc) writes 1 GiB of zeros first
    '--enable-rpc=true',
    `--rpc-listen-port=${rpcPort}`,
    '--rpc-listen-all=false',
    '--console-log-level=warn',
    '--summary-interval=0',
    `--stop-with-process=${process.pid}`,
    torrentFile,
  ]);
  let id = 0;
  const rpc = async (method, params = []) => {
    const response = await fetch(`http://127.0.0.1:${rpcPort}/jsonrpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: String(++id), method, params }),
    });
    const body = await response.json();
    if (body.error) throw new Error(`aria2 ${method}: ${body.error.message}`);
    return body.result;
  };
  const done = (async () => {
    const deadline = Date.now() + options.timeoutMs;
    while (Date.now() < deadline) {
      if (!proc.alive) throw new Error(`aria2c exited: ${proc.tail(5)}`);
      const list = await rpc('aria2.tellActive', [
        ['status', 'totalLength', 'completedLength', 'errorMessage', 'seeder'],
      ]).catch(() => []);
      const d = list[0];
      if (d && Number(d.totalLength) > 0 && d.completedLength === d.totalLength) return true;
      await sleep(100);
    }
    throw new Error(`timeout after ${options.timeoutMs / 1000} s`);
  })();
  return { proc, done };
}

async function startTransmission(torrentFile, dir, port) {
  const configDir = path.join(workDir, `transmission-${Date.now()}`);
  await fs.mkdir(configDir, { recursive: true });
  const settings = {
    'dht-enabled': false,
    'lpd-enabled': false,
    'pex-enabled': false,
    'utp-enabled': false,
    'port-forwarding-enabled': false,
    'bind-address-ipv4': '127.0.0.1',
    'bind-address-ipv6': '::1',
    'peer-port': port,
    'peer-port-random-on-start': false,
    encryption: 0, // prefer plain, like the other clients
    'ratio-limit-enabled': false,
    'idle-seeding-limit-enabled': false,
    'speed-limit-up-enabled': false,
    'speed-limit-down-enabled': false,
    'download-queue-enabled': false,
    'seed-queue-enabled': false,
    'rpc-enabled': false,
    'rename-partial-files': false, // no ".part" name to rename at the end
    'message-level': 2,
  };
  await fs.writeFile(path.join(configDir, 'settings.json'), JSON.stringify(settings));
  // transmission-cli block-buffers stdout into a pipe; stdbuf makes its progress line arrive.
  const proc = start('transmission', 'stdbuf', [
    '-o0',
    'transmission-cli',
    '-g',
    configDir,
    '-w',
    dir,
    torrentFile,
  ]);
  const done = waitLine(
    proc,
    // "Progress: 100%" comes before the last checks and the rename of the file: wait for "Seeding".
    (line) => /^Seeding, uploading to/.test(line.trim()),
    options.timeoutMs * 2, // it is the slow one (48–98 s per GiB in ANCHORS.md)
    'transmission-cli seeding',
  );
  return { proc, done, port };
}

async function startWebtorrent(torrentFile, dir) {
  if (!existsSync(WEBTORRENT_CLI)) throw new Error(WEBTORRENT_MISSING);
  const marker = path.join(dir, '..', `webtorrent-done-${Date.now()}`);
  // --keep-seeding keeps the process alive for /proc; --on-done tells us it is complete.
  const proc = start('webtorrent', process.execPath, [
    WEBTORRENT_CLI,
    'download',
    torrentFile,
    '--out',
    dir,
    '--quiet',
    '--keep-seeding',
    '--on-done',
    `touch ${marker}`,
    '--port',
    String(await freePort()),
    '--torrent-port',
    String(await freePort()),
  ]);
  const done = (async () => {
    const deadline = Date.now() + options.timeoutMs;
    while (Date.now() < deadline) {
      if (!proc.alive) throw new Error(`webtorrent exited: ${proc.tail(5)}`);
      if (existsSync(marker)) return true;
      await sleep(50);
    }
    throw new Error(`timeout after ${options.timeoutMs / 1000} s`);
  })();
  return { proc, done };
}

function startLeecher(name, torrentFile, dir, profileDir, port) {
  switch (name) {
    case 'enjambre':
      return startEnjambre('leech', torrentFile, dir, profileDir);
    case 'libtorrent':
      return startLibtorrent('leech', torrentFile, dir);
    case 'aria2':
      return startAria2(torrentFile, dir);
    case 'transmission':
      return startTransmission(torrentFile, dir, port);
    case 'webtorrent':
      return startWebtorrent(torrentFile, dir);
  }
  throw new Error(name);
}

// ---------------------------------------------------------------- one run
/** One download into an empty folder, from `seeder` (running). */
async function runOnce(seeder, leecher, data, torrent, runIndex, port) {
  const seederName = seeder.name;
  const dir = path.join(workDir, `leech-${leecher}-${runIndex}`);
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  const profileDir =
    options.profile && leecher === 'enjambre'
      ? path.join(out, 'profiles', `from-${seederName}`)
      : undefined;
  const t0 = performance.now();
  const seederCpu0 = measureTree(seeder.proc.pid).cpu;
  let client;
  const result = { seeder: seederName, leecher, run: runIndex, load: os.loadavg()[0] };
  try {
    client = await startLeecher(leecher, torrent.torrentFile, dir, profileDir, port);
    // transmission-cli never dials a peer at 127.0.0.1: the seeder dials it (libtorrent was
    // given its port at start; enjambre is told now), retrying every 2 s until it listens.
    if (client.port && seeder.dial) seeder.dial(client.port);
    await client.done;
    result.seconds = (performance.now() - t0) / 1000;
    // the seeder's CPU for this download (it idles between runs), to compare the two seeders
    result.seederCpu = measureTree(seeder.proc.pid).cpu - seederCpu0;
    const m = measureTree(client.proc.pid);
    result.cpu = m.cpu;
    result.user = m.user;
    result.sys = m.sys;
    result.threads = m.threads;
    result.rss = m.hwm;
    result.syscr = m.syscr;
    result.syscw = m.syscw;
    await client.proc.stop();
    const got = await sha1File(path.join(dir, data.name)).catch(
      (error) => `unreadable (${error.code})`,
    );
    if (got !== data.sha1) throw new Error(`SHA-1 mismatch: ${got} vs ${data.sha1}`);
    result.ok = true;
    result.mbps = options.size / MB / result.seconds;
  } catch (error) {
    result.ok = false;
    result.error = `${error.message}${client ? `\n    last output: ${client.proc.tail(8).replace(/\n/g, '\n    ')}` : ''}`;
    delete result.seconds;
    if (client) await client.proc.stop();
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
  const line = result.ok
    ? `${fmt(result.seconds, 2)} s  ${fmt(result.mbps, 0)} MB/s  cpu ${fmt(result.cpu, 2)} s  seeder cpu ${fmt(result.seederCpu, 2)} s  rss ${fmt(result.rss / MB, 0)} MB  syscalls r/w ${result.syscr}/${result.syscw}`
    : `FAILED: ${result.error}`;
  const threads =
    result.ok && options.threads
      ? `\n      user ${fmt(result.user, 2)} s, sys ${fmt(result.sys, 2)} s; threads: ${Object.entries(
          result.threads,
        )
          .sort((a, b) => b[1] - a[1])
          .map(([name, s]) => `${name} ${fmt(s, 2)}`)
          .join(', ')}`
      : '';
  console.log(
    `  run ${runIndex + 1}  ${seederName} → ${leecher.padEnd(12)} ${line}  (load ${fmt(result.load, 2)})${threads}`,
  );
  return result;
}

/**
 * `dialPort`: a leecher the seeder must connect to itself (transmission-cli never dials loopback
 * peers). libtorrent is given it at start (its peer script retries every 2 s until connected);
 * the enjambre seeder is told each leecher's port on stdin (`dial`).
 */
async function startSeeder(name, data, torrent, dialPort) {
  const client =
    name === 'libtorrent'
      ? startLibtorrent(
          'seed',
          torrent.torrentFile,
          data.seedDir,
          dialPort ? [`127.0.0.1:${dialPort}`] : undefined,
        )
      : startEnjambre('seed', torrent.torrentFile, data.seedDir);
  const t0 = performance.now();
  await client.done; // data verified, seeding
  const verifySeconds = (performance.now() - t0) / 1000;
  await sleep(1000); // its first announce reaches the tracker
  return { ...client, name, verifySeconds };
}

// ---------------------------------------------------------------- machine limits
async function measureLimits() {
  const limits = {};
  // SHA-1 in Node, one core, 256 KiB updates.
  const block = Buffer.alloc(256 << 10, 7);
  const total = quick ? 256 << 20 : 1 << 30;
  let t0 = performance.now();
  const hash = createHash('sha1');
  for (let done = 0; done < total; done += block.length) hash.update(block);
  hash.digest();
  limits.sha1 = total / MB / ((performance.now() - t0) / 1000);

  // Sequential write of SIZE bytes in 1 MiB writes: page cache, then with fdatasync.
  const file = path.join(workDir, 'write-test.bin');
  const chunk = Buffer.alloc(1 << 20, 3);
  // Best of two: the first pass may pay for reclaiming page cache on a shared machine.
  for (const sync of [false, true, false, true]) {
    await fs.rm(file, { force: true });
    t0 = performance.now();
    const handle = await fs.open(file, 'w');
    for (let done = 0; done < options.size; done += chunk.length) await handle.write(chunk);
    if (sync) await handle.datasync();
    await handle.close();
    const rate = options.size / MB / ((performance.now() - t0) / 1000);
    const key = sync ? 'writeSync' : 'write';
    limits[key] = Math.max(limits[key] ?? 0, rate);
  }
  await fs.rm(file, { force: true });

  // Loopback TCP, one stream: a sender child process writes SIZE bytes, we count them.
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const received = new Promise((resolve) => {
    server.once('connection', (socket) => {
      let n = 0;
      const start = performance.now();
      socket.on('data', (d) => (n += d.length));
      socket.on('end', () => resolve({ n, seconds: (performance.now() - start) / 1000 }));
    });
  });
  const sender = `const s=require('net').connect(${port},'127.0.0.1');const b=Buffer.alloc(1<<20,5);let left=${options.size / (1 << 20)};
function go(){while(left>0){left--;if(!s.write(b))return s.once('drain',go)}s.end()}s.on('connect',go)`;
  const child = spawn(process.execPath, ['-e', sender], { stdio: 'ignore' });
  const r = await received;
  await new Promise((resolve) => child.once('exit', resolve));
  server.close();
  limits.tcp = r.n / MB / r.seconds;
  return limits;
}

// ---------------------------------------------------------------- main
// One file per invocation, so a later quick run does not overwrite a long one.
const resultsName = `client-results-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;

async function main() {
  await fs.mkdir(out, { recursive: true });
  await fs.mkdir(workDir, { recursive: true });
  console.log(
    `# client benchmark: ${sizeMiB} MiB, piece 1 MiB, ${options.runs} run(s), timeout ${options.timeoutMs / 1000} s`,
  );
  console.log(
    `# ${os.cpus().length} cores (${os.cpus()[0].model}), load average at start ${load()}`,
  );

  console.log('# building the engine (tsc -b client/engine)');
  execFileSync(path.join(root, 'node_modules/.bin/tsc'), ['-b', path.join(root, 'client/engine')], {
    stdio: 'inherit',
  });

  let t0 = performance.now();
  const data = await makeData();
  console.log(
    `# data ${data.file} (${fmt((performance.now() - t0) / 1000, 1)} s, sha1 ${data.sha1})`,
  );

  let limits;
  if (options.limits) {
    limits = await measureLimits();
    console.log(
      `# machine limits: SHA-1 (Node, one core) ${fmt(limits.sha1, 0)} MB/s; sequential write ${sizeMiB} MiB ` +
        `${fmt(limits.write, 0)} MB/s (page cache), ${fmt(limits.writeSync, 0)} MB/s (with fdatasync); ` +
        `loopback TCP (Node, one stream) ${fmt(limits.tcp, 0)} MB/s`,
    );
    const floor = options.size / MB / Math.min(limits.sha1, limits.write, limits.tcp);
    console.log(
      `#   → no leecher can finish under ~${fmt(floor, 2)} s (hash, write and wire each once)`,
    );
  }

  const trackerPort = await freePort();
  t0 = performance.now();
  const torrent = await makeTorrent(data, `http://127.0.0.1:${trackerPort}/announce`);
  const tracker = await startOpentracker(torrent.infoHash, trackerPort);
  console.log(
    `# torrent ${torrent.infoHash} (mktorrent ${fmt((performance.now() - t0) / 1000, 1)} s), tracker opentracker ${tracker.announce}`,
  );

  const results = [];
  for (const seederName of options.seeders) {
    const others = options.only.filter((l) => l !== 'transmission');
    if (others.length > 0) {
      const seeder = await startSeeder(seederName, data, torrent);
      console.log(
        `# seeder ${seederName} verified its data in ${fmt(seeder.verifySeconds, 1)} s; load ${load()}`,
      );
      for (let run = 0; run < options.runs; run++) {
        for (const leecher of others) {
          if (leecher === 'webtorrent' && !existsSync(WEBTORRENT_CLI)) {
            if (run === 0)
              console.log(`  ${seederName} → webtorrent   SKIPPED: ${WEBTORRENT_MISSING}`);
            continue;
          }
          results.push(await runOnce(seeder, leecher, data, torrent, run));
          if (!seeder.proc.alive)
            throw new Error(`the ${seederName} seeder died: ${seeder.proc.tail()}`);
        }
      }
      await seeder.proc.stop();
    }
    // transmission-cli never dials a loopback peer: it runs last, with a seeder that dials it
    // (a fresh libtorrent seeder per run, given the leecher's port; the enjambre seeder, told),
    // started first, so that every run times the same thing: from transmission-cli's start.
    if (options.only.includes('transmission')) {
      let seeder;
      for (let run = 0; run < options.runs; run++) {
        const port = await freePort();
        if (seederName === 'libtorrent') {
          await seeder?.proc.stop();
          seeder = await startSeeder(seederName, data, torrent, port);
        } else seeder ??= await startSeeder(seederName, data, torrent);
        results.push(await runOnce(seeder, 'transmission', data, torrent, run, port));
      }
      await seeder?.proc.stop();
    }
  }
  await tracker.proc.stop();

  report(results, limits);
  await fs.writeFile(
    path.join(out, resultsName),
    JSON.stringify({ options, limits, loadAtEnd: os.loadavg(), results }, null, 2),
  );
  console.log(`# raw results: bench/out/${resultsName}; load average at end ${load()}`);
}

function report(results, limits) {
  const rows = [];
  for (const seeder of options.seeders) {
    for (const leecher of options.only) {
      const all = results.filter((r) => r.seeder === seeder && r.leecher === leecher);
      if (all.length === 0) continue;
      const ok = all.filter((r) => r.ok);
      rows.push({
        seeder,
        leecher,
        ok: ok.length,
        n: all.length,
        seconds: median(ok.map((r) => r.seconds)),
        cpu: median(ok.map((r) => r.cpu)),
        seederCpu: median(ok.map((r) => r.seederCpu)),
        rss: median(ok.map((r) => r.rss)),
        errors: all.filter((r) => !r.ok).map((r) => r.error.split('\n')[0]),
      });
    }
  }
  console.log('');
  console.log(`## Download ${sizeMiB} MiB over loopback (medians of ${options.runs})`);
  console.log('');
  console.log(
    '| seeder → leecher | runs ok | seconds | MB/s | leecher CPU s | peak RSS MB | seeder CPU s | time ×enjambre | CPU ×enjambre | RSS ×enjambre |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const base = rows.find((b) => b.seeder === r.seeder && b.leecher === 'enjambre');
    const ratio = (a, b) =>
      base && Number.isFinite(a) && Number.isFinite(b) ? `${fmt(a / b, 2)}×` : '—';
    console.log(
      `| ${r.seeder} → ${r.leecher} | ${r.ok}/${r.n} | ${fmt(r.seconds, 2)} | ${fmt(options.size / MB / r.seconds, 0)} | ${fmt(r.cpu, 2)} | ${fmt(r.rss / MB, 0)} | ${fmt(r.seederCpu, 2)} | ` +
        `${ratio(r.seconds, base?.seconds)} | ${ratio(r.cpu, base?.cpu)} | ${ratio(r.rss, base?.rss)} |`,
    );
  }
  for (const r of rows)
    for (const e of r.errors) console.log(`FAILED ${r.seeder} → ${r.leecher}: ${e}`);
  console.log('');
  for (const seeder of options.seeders) {
    const ej = rows.find((r) => r.seeder === seeder && r.leecher === 'enjambre');
    const lt = rows.find((r) => r.seeder === seeder && r.leecher === 'libtorrent');
    if (ej && lt)
      console.log(
        `enjambre / libtorrent from the ${seeder} seeder: time ${fmt(ej.seconds / lt.seconds, 2)}×, ` +
          `CPU ${fmt(ej.cpu / lt.cpu, 2)}×, RSS ${fmt(ej.rss / lt.rss, 2)}×`,
      );
  }
  const ee = rows.find((r) => r.seeder === 'enjambre' && r.leecher === 'enjambre');
  if (ee && limits) {
    const floor = options.size / MB / Math.min(limits.sha1, limits.write, limits.tcp);
    console.log(
      `enjambre → enjambre: ${fmt(ee.seconds, 2)} s, ${fmt(ee.seconds / floor, 1)}× the machine's floor of ${fmt(floor, 2)} s`,
    );
  }
}

main()
  .catch((error) => {
    console.error(`bench failed: ${error.stack ?? error}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const proc of [...running]) await proc.stop();
    await fs.rm(workDir, { recursive: true, force: true });
  });
