// Bencode decode/encode throughput: enjambre's codec against the `bencode` npm package, on a
// realistic multi-file .torrent and on a tracker announce response. Several repetitions, medians,
// ratios (>1 means enjambre is faster).
//
// Needs the build: `npm run build && npm run bench:bencode`. BENCH_REPS (default 5) sets the
// repetitions, BENCH_MS (default 300) the time per measurement.
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import bencodeNpm from 'bencode';

const require = createRequire(import.meta.url);
const ours = require('../packages/bittorrent/dist/index.js');

const reps = Number(process.env.BENCH_REPS ?? 5);
const ms = Number(process.env.BENCH_MS ?? 300);

// A 2,000-file, 4 GiB-ish torrent: 4,096 pieces of 1 MiB, nested paths, trackers, web seeds.
const files = [];
for (let i = 0; i < 2000; i++) {
  files.push({
    length: 1_000_000 + i * 997,
    path: [`season ${(i % 10) + 1}`, `disc ${i % 4}`, `episode ${i} - some title.mkv`],
  });
}
const torrent = ours.encode({
  announce: 'http://tracker.example.org:6969/announce',
  'announce-list': [
    ['http://tracker.example.org:6969/announce'],
    ['udp://tracker.example.net:1337/announce', 'udp://backup.example.com:80/announce'],
  ],
  comment: 'benchmark torrent',
  'created by': 'enjambre bench',
  'creation date': 1700000000,
  info: {
    files,
    name: 'A Big Collection',
    'piece length': 1 << 20,
    pieces: randomBytes(4096 * 20),
  },
  'url-list': ['http://seed.example.org/files/'],
});

// An announce response with 50 IPv4 and 20 IPv6 compact peers (BEP 23 / BEP 7).
const response = ours.encode({
  complete: 1234,
  incomplete: 56,
  interval: 1800,
  'min interval': 900,
  peers: randomBytes(50 * 6),
  peers6: randomBytes(20 * 18),
  'tracker id': 'abc123',
});

function throughput(fn, bytes) {
  // warm up, then count iterations in `ms`
  for (let i = 0; i < 20; i++) fn();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < 10; i++) fn();
    n += 10;
    t = performance.now();
  }
  const s = (t - t0) / 1000;
  return { opsPerSec: n / s, mbPerSec: (n * bytes) / s / 1e6 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const cases = [];
for (const [label, input] of [
  [`torrent (${(torrent.length / 1024).toFixed(0)} KiB, ${files.length} files)`, torrent],
  [`announce response (${response.length} B)`, response],
]) {
  const oursValue = ours.decode(input);
  const npmValue = bencodeNpm.decode(input);
  if (
    !ours.encode(oursValue).equals(input) ||
    !Buffer.from(bencodeNpm.encode(npmValue)).equals(input)
  ) {
    throw new Error(`${label}: a codec does not round-trip`);
  }
  cases.push([
    `decode ${label}`,
    input.length,
    () => ours.decode(input),
    () => bencodeNpm.decode(input),
  ]);
  cases.push([
    `encode ${label}`,
    input.length,
    () => ours.encode(oursValue),
    () => bencodeNpm.encode(npmValue),
  ]);
}

console.log(`bencode throughput, ${reps} repetitions of ${ms} ms each, medians`);
for (const [label, bytes, fnOurs, fnNpm] of cases) {
  const a = [];
  const b = [];
  for (let r = 0; r < reps; r++) {
    a.push(throughput(fnOurs, bytes));
    b.push(throughput(fnNpm, bytes));
  }
  const oursOps = median(a.map((x) => x.opsPerSec));
  const npmOps = median(b.map((x) => x.opsPerSec));
  const fmt = (ops) =>
    `${ops.toFixed(0).padStart(9)} ops/s ${((ops * bytes) / 1e6).toFixed(0).padStart(5)} MB/s`;
  console.log(
    `${label.padEnd(48)} enjambre ${fmt(oursOps)} | bencode npm ${fmt(npmOps)} | ` +
      `ratio ${(oursOps / npmOps).toFixed(2)}x`,
  );
}
