// Micro-benchmark of the tracker's swarm store (no network): announces per second and memory
// per peer. Run after `npm run build`: node --expose-gc bench/tracker-store.mjs [peers] [torrents]
// Prints heap + external bytes per peer and RSS after filling the store; opentracker's reference
// is ~31 MB RSS for 1M peers in 100k torrents (ANCHORS.md).
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const { MemorySwarmStore } = require('../services/tracker/dist/index.js');

const peers = Number(process.argv[2] ?? 1_000_000);
const torrents = Number(process.argv[3] ?? 100_000);
const gc = globalThis.gc ?? (() => {});

function mem() {
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed + m.external };
}

const hashes = Array.from({ length: torrents }, (_, i) => {
  const b = Buffer.alloc(20);
  b.writeUInt32BE(i, 0);
  b.writeUInt32BE((0x9e3779b9 ^ i) >>> 0, 16);
  return b;
});
const base = mem();
const store = new MemorySwarmStore({ limits: { maxTorrents: 10_000_000 } });
const peerId = Buffer.alloc(20, 0x2d);
const ip = Buffer.alloc(4);
let t0 = process.hrtime.bigint();
for (let i = 0; i < peers; i++) {
  peerId.writeUInt32BE(i, 12);
  ip.writeUInt32BE((0x0a000000 + i) >>> 0, 0);
  store.announce({
    infoHash: hashes[i % torrents],
    peerId,
    ip,
    port: 1024 + (i % 60000),
    event: 'started',
    uploaded: 0,
    downloaded: 0,
    left: i % 3 === 0 ? 0 : 1000,
    numwant: 50,
  });
}
let secs = Number(process.hrtime.bigint() - t0) / 1e9;
const filled = mem();
console.log(
  `fill: ${peers} peers in ${torrents} torrents: ${(peers / secs).toFixed(0)} announces/s (numwant 50)`,
);
console.log(
  `memory: ${((filled.heap - base.heap) / peers).toFixed(1)} bytes/peer (V8 heap + external), ` +
    `RSS ${(filled.rss / 2 ** 20).toFixed(0)} MB (${((filled.rss - base.rss) / peers).toFixed(1)} bytes/peer over baseline)`,
);

// Re-announces of existing peers (the steady state of a tracker).
const n = Math.min(peers, 500_000);
t0 = process.hrtime.bigint();
for (let i = 0; i < n; i++) {
  const j = (i * 7919) % peers;
  peerId.writeUInt32BE(j, 12);
  ip.writeUInt32BE((0x0a000000 + j) >>> 0, 0);
  store.announce({
    infoHash: hashes[j % torrents],
    peerId,
    ip,
    port: 1024 + (j % 60000),
    event: 'none',
    uploaded: 0,
    downloaded: 0,
    left: j % 3 === 0 ? 0 : 1000,
    numwant: 50,
  });
}
secs = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(`re-announce: ${(n / secs).toFixed(0)} announces/s`);
t0 = process.hrtime.bigint();
while (!store.sweep(10_000));
secs = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(`sweep of ${torrents} swarms: ${(secs * 1000).toFixed(0)} ms`);
