// gRPC announce load for enjambre's tracker: WORKERS worker threads, each with CHANNELS HTTP/2
// connections of its own, each connection keeping INFLIGHT `Tracker.Announce` calls outstanding.
// Usage: node grpc-load.cjs HOST:PORT HASHFILE SECONDS [WORKERS] [CHANNELS] [INFLIGHT] [MODE] [RATE]
// MODE: compact (default; peers as BEP 23 bytes, what enjambre's engine asks for), full (one
// Peer message with id and address text per peer, for other clients) or batchN (AnnounceMany
// with N compact announces per call; answered and rps count announces, latency is per call).
// RATE (calls/s over all workers; default 0: closed loop, each answer sends the next call) paces
// the calls instead: each of the CHANNELS x INFLIGHT slots sends one every slots/RATE seconds
// (or at once when its previous answer came late). Latency counts from the send: on this loaded
// machine the generator's own timers fire milliseconds late, which is not the tracker's doing;
// a tracker that falls behind shows as an rps below RATE.
// Prints one JSON object: answered, errors, rps, p50_us, p99_us, p999_us.
//
// It speaks gRPC on Node's http2 directly, with the request encoded by hand (six protobuf fields),
// because @grpc/grpc-js spends about twice the tracker's own CPU per call: with it, a generator on
// one core measures itself, not the tracker. Every answer must carry grpc-status 0 and a message.
/* global __filename */
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const { randomBytes } = require('node:crypto');
const http2 = require('node:http2');
const net = require('node:net');

const HIST_US = 2_000_000;
const PATH = '/enjambre.tracker.v1.Tracker/Announce';
const BATCH_PATH = '/enjambre.tracker.v1.Tracker/AnnounceMany';

if (isMainThread) {
  const [
    target,
    hashFile,
    seconds,
    workers = '1',
    channels = '4',
    inflight = '16',
    mode = 'compact',
    rate = '0',
  ] = process.argv.slice(2);
  if (!target || !hashFile || !seconds || !/^(compact|full|batch[1-9][0-9]*)$/.test(mode)) {
    console.error(
      'usage: node grpc-load.cjs HOST:PORT HASHFILE SECONDS [WORKERS] [CHANNELS] [INFLIGHT] [compact|full|batchN]',
    );
    process.exit(2);
  }
  const results = [];
  let pending = Number(workers);
  for (let i = 0; i < Number(workers); i++) {
    const worker = new Worker(__filename, {
      workerData: {
        target,
        hashFile,
        seconds: Number(seconds),
        channels: Number(channels),
        inflight: Number(inflight),
        compact: mode !== 'full',
        batch: mode.startsWith('batch') ? Number(mode.slice(5)) : 0,
        rate: Number(rate) / Number(workers),
      },
    });
    worker.on('message', (result) => {
      results.push(result);
      if (--pending === 0) report(results, Number(seconds));
    });
    worker.on('error', (error) => {
      console.error(`grpc-load worker: ${error.message}`);
      process.exit(1);
    });
  }
} else {
  run(workerData).then((result) => parentPort.postMessage(result));
}

function report(results, seconds) {
  const histogram = new Uint32Array(HIST_US + 1);
  let answered = 0;
  let errors = 0;
  let calls = 0;
  let elapsed = 0;
  for (const r of results) {
    answered += r.answered;
    errors += r.errors;
    calls += r.calls;
    elapsed = Math.max(elapsed, r.elapsed);
    for (const [us, n] of r.histogram) histogram[us] += n;
    if (r.firstError) console.error(`grpc-load: first error: ${r.firstError}`);
  }
  const percentile = (p) => {
    const want = Math.floor(calls * p);
    let seen = 0;
    for (let us = 0; us <= HIST_US; us++) {
      seen += histogram[us];
      if (seen > want) return us;
    }
    return HIST_US;
  };
  const rps = answered / (elapsed || seconds);
  console.log(
    JSON.stringify({
      answered,
      errors,
      seconds: elapsed,
      rps: Math.round(rps * 10) / 10,
      p50_us: percentile(0.5),
      p99_us: percentile(0.99),
      p999_us: percentile(0.999),
    }),
  );
}

function varint(value, out) {
  while (value > 0x7f) {
    out.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
}

/** A gRPC frame holding an AnnounceRequest (proto/enjambre/tracker/v1/tracker.proto). */
function announceFrame(infoHash, peerId, left, port, compact) {
  const tail = [];
  if (left > 0) {
    tail.push(0x30); // 6: left
    varint(left, tail);
  }
  tail.push(0x38, 50); // 7: numwant = 50
  tail.push(0x40); // 8: port
  varint(port, tail);
  if (compact) tail.push(0x50, 1); // 10: compact = true
  const length = 2 + 20 + 2 + 20 + tail.length;
  const frame = Buffer.allocUnsafe(5 + length);
  frame[0] = 0; // not compressed
  frame.writeUInt32BE(length, 1);
  frame[5] = 0x0a; // 1: info_hash
  frame[6] = 20;
  infoHash.copy(frame, 7);
  frame[27] = 0x12; // 2: peer_id
  frame[28] = 20;
  peerId.copy(frame, 29);
  Buffer.from(tail).copy(frame, 49);
  return frame;
}

/** A gRPC frame holding an AnnounceManyRequest of the given AnnounceRequest frames. */
function batchFrame(frames) {
  const parts = [];
  for (const f of frames) {
    const head = [0x0a]; // 1: announces
    varint(f.length - 5, head);
    parts.push(Buffer.from(head), f.subarray(5));
  }
  const body = Buffer.concat(parts);
  const frame = Buffer.allocUnsafe(5 + body.length);
  frame[0] = 0;
  frame.writeUInt32BE(body.length, 1);
  body.copy(frame, 5);
  return frame;
}

async function run({ target, hashFile, seconds, channels, inflight, compact, batch, rate }) {
  const raw = readFileSync(hashFile);
  const hashes = [];
  for (let i = 0; i + 20 <= raw.length; i += 20) hashes.push(raw.subarray(i, i + 20));
  const pool = randomBytes(1 << 20);
  let at = 0;
  const take = (n) => {
    if (at + n > pool.length) {
      randomBytes(pool.length).copy(pool);
      at = 0;
    }
    at += n;
    return pool.subarray(at - n, at);
  };
  const random = (n) => take(4).readUInt32LE(0) % n;

  const histogram = new Map();
  let answered = 0;
  let errors = 0;
  let calls = 0;
  let firstError = '';
  const fail = (message) => {
    errors++;
    if (!firstError) firstError = message;
  };
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  const sessions = [];

  // Paced: slot i's k-th call is due at start + (i + k * slots) / rate.
  const slots = channels * inflight;
  const periodNs = rate > 0 ? BigInt(Math.round((slots * 1e9) / rate)) : 0n;
  let slotCount = 0;
  const loop = (session) =>
    new Promise((resolve) => {
      let due = start + (rate > 0 ? BigInt(Math.round((slotCount++ * 1e9) / rate)) : 0n);
      const next = () => {
        const now = process.hrtime.bigint();
        if (rate > 0 && due > now) {
          setTimeout(next, Number((due - now) / 1_000_000n));
          return;
        }
        const sentAt = now;
        due += periodNs;
        if (now >= end) return resolve();
        const one = () =>
          announceFrame(
            hashes[random(hashes.length)],
            take(20),
            random(2) * 1_000_000,
            1024 + random(60000),
            compact,
          );
        const frame = batch > 0 ? batchFrame(Array.from({ length: batch }, one)) : one();
        const stream = session.request({
          ':method': 'POST',
          ':path': batch > 0 ? BATCH_PATH : PATH,
          'content-type': 'application/grpc',
          te: 'trailers',
        });
        let status;
        let bytes = 0;
        stream.on('response', (headers) => {
          if (headers['grpc-status'] !== undefined) status = headers['grpc-status']; // trailers-only
        });
        stream.on('trailers', (trailers) => (status = trailers['grpc-status']));
        stream.on('data', (chunk) => (bytes += chunk.length));
        stream.on('error', (error) => (status = `stream error ${error.message}`));
        stream.on('close', () => {
          const us = Math.min(HIST_US, Number((process.hrtime.bigint() - sentAt) / 1000n));
          histogram.set(us, (histogram.get(us) ?? 0) + 1);
          calls++;
          if (status === '0' && bytes > 5) answered += Math.max(1, batch);
          else fail(`grpc-status ${status}, ${bytes} bytes`);
          next();
        });
        stream.end(frame);
      };
      next();
    });

  const loops = [];
  for (let i = 0; i < channels; i++) {
    const [host, port] = [
      target.slice(0, target.lastIndexOf(':')),
      Number(target.slice(target.lastIndexOf(':') + 1)),
    ];
    // No Nagle on our side: a small request must not wait for the ACK of the previous one.
    const session = http2.connect(`http://${target}`, {
      createConnection: () => net.connect({ host, port, noDelay: true }),
    });
    session.on('error', (error) => fail(`session: ${error.message}`));
    sessions.push(session);
    for (let j = 0; j < inflight; j++) loops.push(loop(session));
  }
  await Promise.all(loops);
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  for (const session of sessions) session.close();
  return { answered, errors, calls, elapsed, histogram: [...histogram], firstError };
}
