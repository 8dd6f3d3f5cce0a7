#!/usr/bin/env node
// Web seed benchmark: enjambre and python3-libtorrent each download one file from a web seed
// alone (no peers) over loopback, in the same invocation, alternating; medians of N runs of wall
// time (start → complete) and MB/s, and enjambre's ratio to libtorrent.
//
//   node bench/webseed.mjs [--size-mib 256] [--piece-kib 1024] [--runs 3]
//                          [--server node|python] [--timeout S]
//
// `node`: a keep-alive HTTP server in this process answering Range with 206. `python`: Python's
// http.server, which ignores Range (200 with the whole file), HTTP/1.0, a connection per request.
// Uses the built engine (npx tsc -b first). Bytes are verified with SHA-1 after each run (not
// timed). The machine is shared: read the spread of the runs as well as the medians.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const require = createRequire(import.meta.url);
const { createTorrent } = require('../packages/bittorrent/dist/index.js');

const argv = process.argv.slice(2);
const value = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
};
const sizeMiB = Number(value('size-mib', 256));
const pieceLength = Number(value('piece-kib', 1024)) * 1024;
const runs = Number(value('runs', 3));
const serverKind = value('server', 'node');
const timeoutMs = Number(value('timeout', Math.max(60, sizeMiB))) * 1000;
const PYTHON = '/usr/bin/python3';
const NAME = 'payload.bin';

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function sha1(file) {
  const h = createHash('sha1');
  for await (const c of createReadStream(file)) h.update(c);
  return h.digest('hex');
}

/** Keep-alive server answering `bytes=a-b` with 206. */
async function nodeServer(dir) {
  const server = http.createServer(async (req, res) => {
    const file = path.join(dir, decodeURIComponent(new URL(req.url, 'http://x').pathname));
    let size;
    try {
      size = (await fs.stat(file)).size;
    } catch {
      res.writeHead(404).end();
      return;
    }
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (!m) {
      res.writeHead(200, { 'content-length': size });
      createReadStream(file).pipe(res);
      return;
    }
    const first = Number(m[1]);
    const last = Math.min(size - 1, Number(m[2]));
    res.writeHead(206, {
      'content-range': `bytes ${first}-${last}/${size}`,
      'content-length': last - first + 1,
    });
    createReadStream(file, { start: first, end: last, highWaterMark: 256 * 1024 }).pipe(res);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(r))),
  };
}

async function pythonServer(dir) {
  const child = spawn(PYTHON, ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /port (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', () => reject(new Error(`http.server exited: ${out}`)));
  });
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))),
  };
}

/** Runs a leecher process until `isDone(jsonLine)`; returns the wall time in seconds. */
async function timeLeecher(label, command, args, isDone) {
  const started = performance.now();
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${label}: timed out\n${stderr}`)),
        timeoutMs,
      );
      child.once('exit', (code) => reject(new Error(`${label} exited (${code})\n${stderr}`)));
      createInterface({ input: child.stdout }).on('line', (line) => {
        let msg;
        try {
          msg = JSON.parse(line);
        } catch {
          return;
        }
        if (msg.type === 'error' || (msg.type === 'status' && msg.error))
          return reject(new Error(`${label}: ${msg.message ?? msg.error}`));
        if (isDone(msg)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    return (performance.now() - started) / 1000;
  } finally {
    child.removeAllListeners('exit');
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

const work = await fs.mkdtemp(path.join(os.tmpdir(), 'enjambre-bench-webseed-'));
let server;
try {
  const www = path.join(work, 'www');
  await fs.mkdir(www);
  const size = sizeMiB * 1024 * 1024;
  const data = randomBytes(size);
  await fs.writeFile(path.join(www, NAME), data);
  const expected = createHash('sha1').update(data).digest('hex');
  server = serverKind === 'python' ? await pythonServer(www) : await nodeServer(www);
  const { torrent } = await createTorrent(
    { name: NAME, length: size, pieceLength, urlList: [`${server.url}${NAME}`] },
    [data],
  );
  const torrentFile = path.join(work, 'payload.torrent');
  await fs.writeFile(torrentFile, torrent);
  console.log(
    `web seed benchmark: ${sizeMiB} MiB, pieces of ${pieceLength / 1024} KiB, ${serverKind} server ` +
      `(${serverKind === 'node' ? 'Range → 206, keep-alive' : 'Range ignored → 200, HTTP/1.0'}), ` +
      `${runs} runs each, alternating; ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(2)}`,
  );

  const clients = {
    enjambre: (dir, dataDir) =>
      timeLeecher(
        'enjambre',
        process.execPath,
        [
          path.join(root, 'bench/client/enjambre-peer.mjs'),
          JSON.stringify({ role: 'leech', torrentFile, dir, dataDir }),
        ],
        (m) => m.type === 'done',
      ),
    libtorrent: (dir) =>
      timeLeecher(
        'libtorrent',
        PYTHON,
        [
          path.join(root, 'test/peers/libtorrent_peer.py'),
          JSON.stringify({ role: 'leech', torrent_file: torrentFile, dir, interval: 0.1 }),
        ],
        (m) => m.type === 'status' && (m.state === 'seeding' || m.state === 'finished'),
      ),
  };
  const times = { enjambre: [], libtorrent: [] };
  const failed = {};
  for (let r = 0; r < runs; r++) {
    for (const name of r % 2 ? ['libtorrent', 'enjambre'] : ['enjambre', 'libtorrent']) {
      const dir = path.join(work, `${name}-${r}`);
      if (failed[name]) continue;
      let s;
      try {
        s = await clients[name](dir, path.join(work, `${name}-state-${r}`));
      } catch (err) {
        // libtorrent against a server that ignores Range: done for 16 MiB, not for 64 MiB here
        failed[name] = err.message.split('\n')[0];
        console.log(`  run ${r + 1} ${name.padEnd(10)} failed: ${failed[name]}`);
        continue;
      }
      const got = await sha1(path.join(dir, NAME));
      if (got !== expected) throw new Error(`${name} run ${r}: SHA-1 ${got} != ${expected}`);
      await fs.rm(dir, { recursive: true, force: true });
      times[name].push(s);
      console.log(
        `  run ${r + 1} ${name.padEnd(10)} ${s.toFixed(2)} s  ${(size / 1e6 / s).toFixed(1)} MB/s`,
      );
    }
  }
  const med = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
  console.log('\nclient      median s   MB/s    runs (s)');
  for (const [name, v] of Object.entries(times))
    console.log(
      `${name.padEnd(11)} ${med[name].toFixed(2).padStart(8)} ${(size / 1e6 / med[name]).toFixed(1).padStart(6)}    ${v.map((x) => x.toFixed(2)).join(' ')}`,
    );
  console.log(
    `\nenjambre / libtorrent speed: ${(med.libtorrent / med.enjambre).toFixed(2)} (above 1: enjambre faster)`,
  );
} finally {
  await server?.close();
  await fs.rm(work, { recursive: true, force: true });
}
