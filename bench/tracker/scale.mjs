#!/usr/bin/env node
// Tracker scale benchmark: fills enjambre and opentracker (Debian), one after the other in the
// same run, with distinct peers over UDP (BEP 15) up to each step of --peers in --torrents
// torrents, and after each step reports the tracker's RSS and its announce rate twice: while
// filling (event started, every one a new or refreshed peer) and in steady state (--pool-seconds
// of random announces to those torrents, numwant 50, p99 latency, tracker CPU per announce).
// The steady-state announces add random peers too (about rate × seconds), for both trackers.
//
//   node bench/tracker/scale.mjs [--quick] [--peers 1000000,3000000,10000000]
//                                [--torrents 1000000] [--pool-seconds 5] [--trackers a,b]
//
// The tracker runs on CPU 0 and the load generator on CPU 1 (taskset). Needs `npx tsc -b` and a
// C compiler (bench/out/udp-load is built as in bench/tracker/run.mjs). Results go to
// bench/out/tracker-scale.json.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/* global fetch */

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const out = path.join(root, 'bench/out');
const argv = process.argv.slice(2);
const value = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
};
const quick = argv.includes('--quick');
const steps = value('peers', quick ? '100000,300000,1000000' : '1000000,3000000,10000000')
  .split(',')
  .map(Number);
const torrents = Number(value('torrents', quick ? 100_000 : 1_000_000));
const poolSeconds = Number(value('pool-seconds', 5));
const trackerNames = value('trackers', 'enjambre,opentracker').split(',');
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString()) || 100;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

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

function run(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(args[0], args.slice(1), { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('exit', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`${args[0]} exited ${code}: ${stderr}`)),
    );
  });
}

/** An announce over HTTP that succeeds (opentracker loads its whitelist after it listens). */
async function ready(port, infoHash, child) {
  const enc = (b) => [...b].map((x) => '%' + x.toString(16).padStart(2, '0')).join('');
  const url =
    `http://127.0.0.1:${port}/announce?info_hash=${enc(infoHash)}` +
    `&peer_id=${enc(Buffer.from('-BN0001-check-000000'))}&port=6881&uploaded=0&downloaded=0` +
    `&left=100&compact=1&numwant=1`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`tracker exited with ${child.exitCode}`);
    try {
      const body = await (await fetch(url)).text();
      if (!body.includes('failure')) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error('the tracker never accepted an announce');
}

function start(name, port, work) {
  const args =
    name === 'enjambre'
      ? [
          process.execPath,
          path.join(root, 'services/tracker/dist/cli.js'),
          ...['--ip', '127.0.0.1', '--port', '0', '--http-port', String(port)],
          ...['--udp-port', String(port), '--metrics-port', '0', '--log-level', 'warn'],
          ...['--announce-rate', '10000000', '--announce-burst', '10000000', '--workers', '0'],
        ]
      : ['opentracker', '-i', '127.0.0.1', '-p', String(port), '-P', String(port)].concat([
          '-f',
          path.join(work, 'opentracker.conf'),
        ]);
  const child = spawn('taskset', ['-c', '0', ...args], {
    cwd: root,
    detached: true,
    stdio: 'ignore',
  });
  return child;
}

function udpLoad(port, hashFile, mode, amount) {
  const args = [path.join(out, 'udp-load'), '127.0.0.1', String(port), hashFile, mode];
  return run(['taskset', '-c', '1', ...args, String(amount), '16', '4', String(torrents)]).then(
    (stdout) => {
      const result = JSON.parse(stdout);
      if (result.errors > 0) throw new Error(`${result.errors} tracker errors in ${mode} mode`);
      return result;
    },
  );
}

async function main() {
  mkdirSync(out, { recursive: true });
  if (!existsSync(path.join(out, 'udp-load'))) {
    execFileSync('cc', [
      '-O2',
      '-Wall',
      '-o',
      path.join(out, 'udp-load'),
      path.join(here, 'udp-load.c'),
    ]);
  }
  const work = mkdtempSync(path.join(os.tmpdir(), 'enjambre-bench-scale-'));
  chmodSync(work, 0o755); // opentracker chroots here and drops to nobody
  const results = [];
  try {
    const hashes = Buffer.alloc(torrents * 20);
    const hex = [];
    for (let i = 0; i < torrents; i++) {
      createHash('sha1')
        .update(`enjambre-bench-scale-${i}`)
        .digest()
        .copy(hashes, i * 20);
      hex.push(hashes.toString('hex', i * 20, i * 20 + 20));
    }
    const hashFile = path.join(work, 'hashes.bin');
    writeFileSync(hashFile, hashes);
    writeFileSync(path.join(work, 'whitelist.txt'), hex.join('\n') + '\n');
    writeFileSync(
      path.join(work, 'opentracker.conf'),
      `tracker.rootdir ${work}\naccess.whitelist whitelist.txt\n`,
    );
    console.log(
      `scale: ${steps.join(', ')} distinct peers in ${torrents} torrents over UDP, then ` +
        `${poolSeconds} s of random announces (numwant 50) at each step; tracker on CPU 0, load on CPU 1`,
    );
    for (const name of trackerNames) {
      const port = await freePort();
      const child = start(name, port, work);
      try {
        // The last hash: opentracker loads its whitelist in order, in the background.
        await ready(port, hashes.subarray(hashes.length - 20), child);
        await sleep(500);
        const before = rssMiB(child.pid);
        for (const peers of steps) {
          const fill = await udpLoad(port, hashFile, 'distinct', peers);
          await sleep(1000);
          const rss = rssMiB(child.pid);
          const cpu0 = cpuSeconds(child.pid);
          const pool = await udpLoad(port, hashFile, 'pool', poolSeconds);
          const cpuUs = ((cpuSeconds(child.pid) - cpu0) * 1e6) / (pool.received || 1);
          const row = {
            tracker: name,
            peers,
            rssBefore: before,
            rss,
            bytesPerPeer: ((rss - before) * 1048576) / peers,
            fillRps: fill.rps,
            rps: pool.rps,
            p99: pool.p99_us / 1000,
            cpuUs,
            rssAfterPool: rssMiB(child.pid),
          };
          results.push(row);
          console.log(
            `  ${name.padEnd(12)} ${String(peers).padStart(9)} peers: RSS ${rss.toFixed(0)} MiB ` +
              `(${row.bytesPerPeer.toFixed(0)} B/peer over ${before.toFixed(0)}), fill ` +
              `${fill.rps.toFixed(0)}/s, steady ${pool.rps.toFixed(0)}/s p99 ` +
              `${row.p99.toFixed(2)} ms ${cpuUs.toFixed(1)} µs CPU`,
          );
        }
      } finally {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // gone
        }
        await new Promise((resolve) =>
          child.exitCode !== null ? resolve() : child.once('exit', resolve),
        );
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(
    '\n| tracker | peers | RSS (MiB) | bytes/peer | fill announces/s | steady announces/s | p99 (ms) | CPU µs/announce |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(
      `| ${r.tracker} | ${r.peers} | ${r.rss.toFixed(0)} | ${r.bytesPerPeer.toFixed(0)} | ` +
        `${r.fillRps.toFixed(0)} | ${r.rps.toFixed(0)} | ${r.p99.toFixed(2)} | ${r.cpuUs.toFixed(1)} |`,
    );
  }
  for (const peers of steps) {
    const e = results.find((r) => r.tracker === 'enjambre' && r.peers === peers);
    const o = results.find((r) => r.tracker === 'opentracker' && r.peers === peers);
    if (e && o) {
      console.log(
        `${peers} peers: enjambre / opentracker RSS ${(e.rss / o.rss).toFixed(2)}x, bytes/peer ` +
          `${(e.bytesPerPeer / o.bytesPerPeer).toFixed(2)}x, steady announces/s ${(e.rps / o.rps).toFixed(2)}x`,
      );
    }
  }
  const largest = results.filter((r) => r.tracker === 'enjambre').at(-1);
  if (largest) {
    console.log(
      `enjambre at ${largest.peers} peers: RSS ${largest.rss.toFixed(0)} MiB, ` +
        `${largest.rss <= 1024 ? 'within' : 'OVER'} 1 GiB`,
    );
  }
  writeFileSync(path.join(out, 'tracker-scale.json'), JSON.stringify(results, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
