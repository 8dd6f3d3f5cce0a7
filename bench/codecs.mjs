// Peer wire and tracker codec throughput. Run `npx tsc -b` first (uses the compiled package).
//
// The wire decoder is compared with the cheapest thing that could possibly handle the same bytes:
// one memcpy of every chunk (what a decoder that buffers its input pays at least). Blocks wholly
// inside a chunk are not copied; one split across chunks is assembled with one copy, so a ratio
// near 1 means decoding costs about what copying the stream once would.
// Usage: node bench/codecs.mjs [repetitions]
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const bt = require('../packages/bittorrent/dist/index.js');
const reps = Number(process.argv[2] ?? 5);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
function time(fn) {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

// --- peer wire: 256 MiB of 16 KiB piece messages in 64 KiB socket-sized chunks ---------------
const block = Buffer.alloc(16384, 1);
const one = Buffer.concat([bt.encodePieceHeader(0, 0, block.length), block]);
const stream = Buffer.concat(Array.from({ length: 2048 }, () => one)); // 32 MiB, reused 8 times
const chunks = [];
for (let o = 0; o < stream.length; o += 65536) chunks.push(stream.subarray(o, o + 65536));
const total = stream.length * 8;
let blocks = 0;
const handler = new bt.MessageCollector(); // only onPiece is called; it keeps no objects
handler.onPiece = () => blocks++;
const scratch = Buffer.allocUnsafe(65536);

const dec = [];
const cpy = [];
for (let r = 0; r < reps; r++) {
  dec.push(
    time(() => {
      const d = new bt.WireDecoder(handler, { handshake: false });
      for (let i = 0; i < 8; i++) for (const c of chunks) d.push(c);
    }),
  );
  cpy.push(
    time(() => {
      for (let i = 0; i < 8; i++) for (const c of chunks) c.copy(scratch);
    }),
  );
}
const gbs = (t) => (total / t / 1e9).toFixed(2);
console.log(`wire decode (piece messages):  ${gbs(median(dec))} GB/s`);
console.log(`memcpy of the same chunks:      ${gbs(median(cpy))} GB/s`);
console.log(`ratio decode/memcpy:            ${(median(cpy) / median(dec)).toFixed(2)}`);
if (blocks !== 2048 * 8 * reps) throw new Error(`decoded ${blocks} blocks`);

// --- small messages: have/request mix -----------------------------------------------------------
const reqs = bt.encodeRequests(
  Array.from({ length: 4096 }, (_, i) => ({ index: i, begin: 0, length: 16384 })),
);
const small = [];
for (let r = 0; r < reps; r++) {
  small.push(
    time(() => {
      const d = new bt.WireDecoder(new bt.MessageCollector(), { handshake: false });
      for (let i = 0; i < 100; i++) d.push(reqs);
    }),
  );
}
console.log(
  `wire decode (request messages): ${((4096 * 100) / median(small) / 1e6).toFixed(1)} M msg/s`,
);

// --- UDP announce parse into a reused object, and response encode into a reused buffer ----------
const announce = bt.encodeUdpAnnounceRequest({
  connectionId: Buffer.alloc(8, 1),
  transactionId: 7,
  infoHash: Buffer.alloc(20, 2),
  peerId: Buffer.alloc(20, 3),
  downloaded: 1,
  left: 2,
  uploaded: 3,
  event: 'started',
  ip: 0,
  key: 9,
  numWant: 50,
  port: 6881,
});
const out = bt.createUdpAnnounceRequest();
const peers = Buffer.alloc(50 * 6, 7);
const resBuf = Buffer.allocUnsafe(1500);
const N = 1_000_000;
const udp = [];
for (let r = 0; r < reps; r++) {
  udp.push(
    time(() => {
      for (let i = 0; i < N; i++) {
        const a = bt.decodeUdpAnnounceRequest(announce, out);
        bt.encodeUdpAnnounceResponse(
          {
            transactionId: a.transactionId,
            interval: 1800,
            leechers: 1,
            seeders: 2,
            peers,
            family: 4,
          },
          resBuf,
        );
      }
    }),
  );
}
console.log(`UDP announce parse + encode:    ${(N / median(udp) / 1e6).toFixed(2)} M/s`);

// --- HTTP announce query parse + compact response encode ---------------------------------------
const url = bt.buildAnnounceUrl('http://t/announce', {
  infoHash: Buffer.from('0123456789abcdef0123456789abcdef01234567', 'hex'),
  peerId: Buffer.from('-EJ0100-abcdefghijkl'),
  port: 6881,
  uploaded: 0,
  downloaded: 0,
  left: 1000,
  event: 'started',
  numWant: 50,
  key: 'k',
});
const query = url.slice(url.indexOf('?'));
const M = 200_000;
const http = [];
for (let r = 0; r < reps; r++) {
  http.push(
    time(() => {
      for (let i = 0; i < M; i++) {
        bt.parseAnnounceQuery(query);
        bt.encodeHttpAnnounceResponse({ interval: 1800, complete: 2, incomplete: 1, peers });
      }
    }),
  );
}
console.log(`HTTP announce parse + encode:   ${(M / median(http) / 1e6).toFixed(2)} M/s`);
