#!/usr/bin/env node
// Client benchmark: time to download one file (piece length 1 MiB) over loopback through
// opentracker, for enjambre and the reference clients, from a python3-libtorrent seeder
// (high_performance_seed) and from an enjambre seeder. Medians of several runs; ratios printed.
//
//   npx tsc -b && node bench/client/bench.js [--quick] [--runs N] [--size MiB]
//     [--leechers enjambre,libtorrent,aria2] [--seeders libtorrent,enjambre]
//
// Also prints the machine's limits for this job (SHA-1 in node, write rate).
const { spawn, execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const runs = Number(argValue('--runs') ?? 3);
const sizeMiB = Number(argValue('--size') ?? (quick ? 256 : 1024));
const SIZE = sizeMiB * 1024 * 1024;
const HERE = __dirname;
const PY = '/usr/bin/python3';

function argValue(name) {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

const children = new Set();
process.on('exit', () => {
  for (const c of children) {
    try {
      process.kill(-c.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

/** Starts a process in its own group; resolves `waitLine(re)` when stdout prints a match. */
function start(cmd, argv, opts = {}) {
  const child = spawn(cmd, argv, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  children.add(child);
  let out = '';
  const waiters = [];
  const onData = (d) => {
    out += d.toString();
    for (const w of [...waiters]) {
      const m = w.re.exec(out);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', (d) => (out += d.toString()));
  const exited = new Promise((resolve) =>
    child.on('exit', (code) => {
      children.delete(child);
      for (const w of waiters.splice(0))
        w.reject(new Error(`${cmd} exited ${code}: ${out.slice(-2000)}`));
      resolve(code);
    }),
  );
  return {
    child,
    exited,
    output: () => out,
    waitLine(re, ms = 600_000) {
      const m = re.exec(out);
      if (m) return Promise.resolve(m);
      return new Promise((resolve, reject) => {
        const w = { re, resolve, reject };
        waiters.push(w);
        setTimeout(
          () => reject(new Error(`timeout waiting for ${re} from ${cmd}: ${out.slice(-2000)}`)),
          ms,
        ).unref();
      });
    },
    stop() {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      return exited;
    },
  };
}

function makeData(file, size) {
  const key = crypto.createHash('sha256').update('enjambre-bench').digest();
  const cipher = crypto.createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16));
  const fd = fs.openSync(file, 'w');
  const zero = Buffer.alloc(4 << 20);
  const h = crypto.createHash('sha1');
  for (let done = 0; done < size; done += zero.length) {
    const b = cipher.update(zero.subarray(0, Math.min(zero.length, size - done)));
    h.update(b);
    fs.writeSync(fd, b);
  }
  fs.closeSync(fd);
  return h.digest('hex');
}

function sha1File(file) {
  const h = crypto.createHash('sha1');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(4 << 20);
  let n;
  while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) h.update(buf.subarray(0, n));
  fs.closeSync(fd);
  return h.digest('hex');
}

function machineLimits(dir) {
  const buf = crypto.randomBytes(256 << 20);
  let t = process.hrtime.bigint();
  for (let i = 0; i < buf.length; i += 1 << 20)
    crypto
      .createHash('sha1')
      .update(buf.subarray(i, i + (1 << 20)))
      .digest();
  const sha1 = buf.length / (Number(process.hrtime.bigint() - t) / 1e9);
  const file = path.join(dir, 'write-test.bin');
  t = process.hrtime.bigint();
  const fd = fs.openSync(file, 'w');
  for (let i = 0; i < buf.length; i += 4 << 20) fs.writeSync(fd, buf, i, 4 << 20);
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  const write = buf.length / (Number(process.hrtime.bigint() - t) / 1e9);
  fs.rmSync(file);
  return { sha1, write };
}

/** Runs a leecher under /usr/bin/time until it exits; returns seconds, CPU seconds, peak RSS. */
async function runLeecher(kind, torrent, dir, name, sha) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const timeFile = path.join(dir, '..', `time-${kind}.txt`);
  let cmd;
  if (kind === 'enjambre')
    cmd = [
      process.execPath,
      path.join(HERE, 'enjambre_peer.js'),
      'leech',
      torrent,
      dir,
      path.join(dir, '..', 'enj-leech-data'),
    ];
  else if (kind === 'libtorrent') cmd = [PY, path.join(HERE, 'lt_peer.py'), 'leech', torrent, dir];
  else if (kind === 'aria2')
    cmd = [
      'aria2c',
      '--seed-time=0',
      '--enable-dht=false',
      '--enable-dht6=false',
      '--bt-enable-lpd=false',
      '--enable-peer-exchange=false',
      '--interface=127.0.0.1',
      `--listen-port=${await freePort()}`,
      '--file-allocation=none',
      '--check-integrity=false',
      '--summary-interval=0',
      '--console-log-level=warn',
      `--dir=${dir}`,
      torrent,
    ];
  else throw new Error(kind);
  fs.rmSync(path.join(dir, '..', 'enj-leech-data'), { recursive: true, force: true });
  const t0 = process.hrtime.bigint();
  const p = start('/usr/bin/time', ['-f', '%e %U %S %M', '-o', timeFile, ...cmd]);
  const code = await p.exited;
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (code !== 0) throw new Error(`${kind} leecher failed (${code}): ${p.output().slice(-1500)}`);
  const [, user, sys, rssKb] = fs.readFileSync(timeFile, 'utf8').trim().split(/\s+/).map(Number);
  const got = sha1File(path.join(dir, name));
  if (got !== sha) throw new Error(`${kind}: downloaded data differs`);
  fs.rmSync(dir, { recursive: true, force: true });
  return { wall, cpu: user + sys, rss: rssKb * 1024 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ej-bench-'));
  try {
    const limits = machineLimits(root);
    console.log(
      `machine: SHA-1 in node ${(limits.sha1 / 1e9).toFixed(2)} GB/s, write+fsync ${(limits.write / 1e9).toFixed(2)} GB/s`,
    );
    const port = await freePort();
    const otDir = path.join(root, 'ot');
    fs.mkdirSync(otDir);
    fs.chmodSync(otDir, 0o755);
    const seedDir = path.join(root, 'seed');
    fs.mkdirSync(seedDir);
    const name = 'bench.bin';
    console.log(`data: ${sizeMiB} MiB, piece length 1 MiB, ${runs} runs per row`);
    const sha = makeData(path.join(seedDir, name), SIZE);
    const torrent = path.join(root, 'bench.torrent');
    const announce = `http://127.0.0.1:${port}/announce`;
    execFileSync('mktorrent', [
      '-l',
      '20',
      '-a',
      announce,
      '-o',
      torrent,
      path.join(seedDir, name),
    ]);
    const info = execFileSync('transmission-show', [torrent]).toString();
    const hash = /Hash: ([0-9a-f]{40})/.exec(info)[1];
    fs.writeFileSync(path.join(otDir, 'whitelist.txt'), hash + '\n');
    fs.writeFileSync(
      path.join(otDir, 'ot.conf'),
      `listen.tcp_udp 127.0.0.1:${port}\ntracker.rootdir ${otDir}\naccess.whitelist whitelist.txt\n`,
    );
    const ot = start('opentracker', ['-f', path.join(otDir, 'ot.conf')], { cwd: otDir });
    await new Promise((r) => setTimeout(r, 500));

    const leechers = (argValue('--leechers') ?? 'enjambre,libtorrent,aria2').split(',');
    const results = {};
    const seeders = (argValue('--seeders') ?? 'libtorrent,enjambre').split(',');
    for (const seederKind of seeders) {
      const seeder =
        seederKind === 'libtorrent'
          ? start(PY, [path.join(HERE, 'lt_peer.py'), 'seed', torrent, seedDir])
          : start(process.execPath, [
              path.join(HERE, 'enjambre_peer.js'),
              'seed',
              torrent,
              seedDir,
              path.join(root, 'enj-seed-data'),
            ]);
      await seeder.waitLine(/ready/);
      await new Promise((r) => setTimeout(r, 1500)); // let the seeder's announce land
      for (const kind of leechers) {
        const rows = [];
        for (let i = 0; i < runs; i++) {
          const r = await runLeecher(kind, torrent, path.join(root, 'leech', kind), name, sha);
          rows.push(r);
          console.log(
            `  ${seederKind} -> ${kind} run ${i + 1}: ${r.wall.toFixed(2)} s, ${r.cpu.toFixed(2)} CPU s, ${(r.rss / 1e6).toFixed(0)} MB`,
          );
        }
        results[`${seederKind}->${kind}`] = {
          wall: median(rows.map((r) => r.wall)),
          cpu: median(rows.map((r) => r.cpu)),
          rss: median(rows.map((r) => r.rss)),
        };
      }
      await seeder.stop();
    }
    await ot.stop();

    console.log('\nmedians:');
    console.log('seeder      leecher     seconds   MB/s   CPU s   peak RSS   time vs enjambre');
    for (const seederKind of seeders) {
      const base = results[`${seederKind}->enjambre`];
      for (const kind of leechers) {
        const r = results[`${seederKind}->${kind}`];
        console.log(
          `${seederKind.padEnd(11)} ${kind.padEnd(11)} ${r.wall.toFixed(2).padStart(7)} ${(SIZE / 1e6 / r.wall).toFixed(0).padStart(6)} ${r.cpu.toFixed(2).padStart(7)} ${((r.rss / 1e6).toFixed(0) + ' MB').padStart(10)}   ${(r.wall / base.wall).toFixed(2)}x`,
        );
      }
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
