// .torrent creation of one large file: enjambre's createTorrentFromPath against mktorrent (v1) or
// python3-libtorrent's creator (v2, hybrid), same piece length, warm page cache, several
// repetitions, medians and ratios. Also prints the raw SHA-1 / SHA-256 rate of node's crypto on
// one core, the ceiling for a single hashing thread.
//
// Needs the build: `npm run build && npm run bench:create -- --format v1|v2|hybrid`.
// Environment: BENCH_SIZE_MIB (default 1024), BENCH_REPS (default 5), BENCH_PIECE_LOG2 (default 20).
import { execFileSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { createTorrentFromPath } = require('../client/engine/dist/index.js');
const { parseTorrent } = require('../packages/bittorrent/dist/index.js');

const MiB = 1024 * 1024;
const size = Number(process.env.BENCH_SIZE_MIB ?? 1024) * MiB;
const reps = Number(process.env.BENCH_REPS ?? 5);
const log2 = Number(process.env.BENCH_PIECE_LOG2 ?? 20);
const pieceLength = 2 ** log2;
const announce = 'http://127.0.0.1:6969/announce';
const fi = process.argv.indexOf('--format');
const format = fi >= 0 ? process.argv[fi + 1] : 'v1';
if (!['v1', 'v2', 'hybrid'].includes(format)) throw new Error('--format must be v1, v2 or hybrid');

const dir = path.join(tmpdir(), 'enjambre-bench-create');
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `data-${size / MiB}MiB.bin`);
if (!existsSync(file) || statSync(file).size !== size) {
  console.log(`writing ${file} ...`);
  const fd = openSync(file, 'w');
  const block = Buffer.allocUnsafe(16 * MiB);
  for (let at = 0; at < size; at += block.length) {
    randomFillSync(block);
    writeSync(fd, block, 0, Math.min(block.length, size - at));
  }
  closeSync(fd);
}
execFileSync('cat', [file], { stdio: ['ignore', 'ignore', 'inherit'] }); // warm the page cache

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mbps = (s) => `${(size / s / 1e6).toFixed(0)} MB/s`;

function hashRate(algo, unit) {
  const buf = Buffer.allocUnsafe(256 * MiB);
  randomFillSync(buf);
  const t = performance.now();
  for (let at = 0; at < buf.length; at += unit) {
    createHash(algo)
      .update(buf.subarray(at, at + unit))
      .digest();
  }
  return buf.length / ((performance.now() - t) / 1000);
}

/** What must agree across runs: the info-hash (v1), the file's v2 pieces root (v2, hybrid). */
function identity(torrent) {
  const m = parseTorrent(torrent);
  return format === 'v1' ? m.infoHash : m.piecesRoots.find(Boolean).toString('hex');
}

const LT_CREATE = `
import sys, libtorrent as lt
fs = lt.file_storage()
lt.add_files(fs, sys.argv[1])
flags = lt.create_torrent.v2_only if sys.argv[2] == 'v2' else 0
t = lt.create_torrent(fs, int(sys.argv[3]), flags=flags)
t.add_tracker(sys.argv[5])
lt.set_piece_hashes(t, sys.argv[4])
open(sys.argv[6], 'wb').write(lt.bencode(t.generate()))
`;
function runLibtorrent() {
  const out = path.join(dir, 'libtorrent.torrent');
  const t = performance.now();
  execFileSync(
    '/usr/bin/python3',
    ['-c', LT_CREATE, file, format, String(pieceLength), dir, announce, out],
    { stdio: 'ignore' },
  );
  const s = (performance.now() - t) / 1000;
  return { s, infoHash: identity(readFileSync(out)) };
}

function runMktorrent() {
  const out = path.join(dir, 'mktorrent.torrent');
  rmSync(out, { force: true }); // mktorrent 1.1 refuses to overwrite and has no -f
  const t = performance.now();
  execFileSync('mktorrent', ['-d', '-l', String(log2), '-a', announce, '-o', out, file], {
    stdio: 'ignore',
  });
  const s = (performance.now() - t) / 1000;
  return { s, infoHash: identity(readFileSync(out)) };
}

async function runEnjambre(threads) {
  const t = performance.now();
  const r = await createTorrentFromPath(file, {
    pieceLength,
    announce: [announce],
    threads,
    format,
  });
  return { s: (performance.now() - t) / 1000, infoHash: identity(r.torrent) };
}

const cpus = availableParallelism();
const refName = format === 'v1' ? 'mktorrent' : 'libtorrent (python)';
console.log(
  `creating a ${format} .torrent of ${size / MiB} MiB, piece length ${pieceLength / 1024} KiB, ` +
    `${reps} repetitions, ${cpus} CPUs` +
    (format === 'v1'
      ? ` (mktorrent uses ${cpus} threads)`
      : ', libtorrent timed with python start-up'),
);
const rates = [];
for (let i = 0; i < 3; i++) rates.push(hashRate('sha1', pieceLength));
console.log(`node crypto SHA-1, one thread: ${(median(rates) / 1e6).toFixed(0)} MB/s`);
if (format !== 'v1') {
  const r256 = [];
  for (let i = 0; i < 3; i++) r256.push(hashRate('sha256', 16 * 1024));
  console.log(
    `node crypto SHA-256 of 16 KiB blocks, one thread: ${(median(r256) / 1e6).toFixed(0)} MB/s`,
  );
}

const variants = [
  [refName, () => (format === 'v1' ? runMktorrent() : runLibtorrent())],
  ['enjambre (default threads)', () => runEnjambre(undefined)],
  ['enjambre (calling thread)', () => runEnjambre(0)],
];
const times = new Map(variants.map(([name]) => [name, []]));
const hashes = new Set();
for (let r = 0; r < reps; r++) {
  for (const [name, run] of variants) {
    const { s, infoHash } = await run();
    times.get(name).push(s);
    hashes.add(infoHash);
  }
}
const what = format === 'v1' ? 'info-hash' : 'v2 pieces root';
if (hashes.size !== 1) throw new Error(`${what}s differ: ${[...hashes].join(' ')}`);
console.log(`all runs agree on the ${what} ${[...hashes][0]}`);
const ref = median(times.get(refName));
for (const [name] of variants) {
  const m = median(times.get(name));
  console.log(
    `${name.padEnd(28)} median ${m.toFixed(3)} s  ${mbps(m).padStart(10)}  ` +
      `speed vs ${refName} ${(ref / m).toFixed(2)}x`,
  );
}
