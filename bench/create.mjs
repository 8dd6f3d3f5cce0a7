// .torrent creation of one large file: enjambre's createTorrentFromPath against mktorrent, same
// piece length, warm page cache, several repetitions, medians and ratios. Also prints the raw
// SHA-1 rate of node's crypto on one core, the ceiling for a single hashing thread.
//
// Needs the build: `npm run build && npm run bench:create`.
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

function sha1Rate() {
  const buf = Buffer.allocUnsafe(256 * MiB);
  randomFillSync(buf);
  const t = performance.now();
  for (let at = 0; at < buf.length; at += pieceLength) {
    createHash('sha1')
      .update(buf.subarray(at, at + pieceLength))
      .digest();
  }
  return buf.length / ((performance.now() - t) / 1000);
}

function runMktorrent() {
  const out = path.join(dir, 'mktorrent.torrent');
  rmSync(out, { force: true }); // mktorrent 1.1 refuses to overwrite and has no -f
  const t = performance.now();
  execFileSync('mktorrent', ['-d', '-l', String(log2), '-a', announce, '-o', out, file], {
    stdio: 'ignore',
  });
  const s = (performance.now() - t) / 1000;
  return { s, infoHash: parseTorrent(readFileSync(out)).infoHash };
}

async function runEnjambre(threads) {
  const t = performance.now();
  const r = await createTorrentFromPath(file, { pieceLength, announce: [announce], threads });
  return { s: (performance.now() - t) / 1000, infoHash: r.metainfo.infoHash };
}

const cpus = availableParallelism();
console.log(
  `creating a .torrent of ${size / MiB} MiB, piece length ${pieceLength / 1024} KiB, ` +
    `${reps} repetitions, ${cpus} CPUs (mktorrent uses ${cpus} threads)`,
);
const rates = [];
for (let i = 0; i < 3; i++) rates.push(sha1Rate());
console.log(`node crypto SHA-1, one thread: ${(median(rates) / 1e6).toFixed(0)} MB/s`);

const variants = [
  ['mktorrent', () => runMktorrent()],
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
if (hashes.size !== 1) throw new Error(`info-hashes differ: ${[...hashes].join(' ')}`);
console.log(`all runs agree on info-hash ${[...hashes][0]}`);
const ref = median(times.get('mktorrent'));
for (const [name] of variants) {
  const m = median(times.get(name));
  console.log(
    `${name.padEnd(28)} median ${m.toFixed(3)} s  ${mbps(m).padStart(10)}  ` +
      `speed vs mktorrent ${(ref / m).toFixed(2)}x`,
  );
}
