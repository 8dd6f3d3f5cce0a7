// gRPC announce load for enjambre's tracker: WORKERS worker threads, each with CHANNELS channels
// of its own (no shared subchannels), each channel keeping INFLIGHT announces outstanding.
// Usage: node grpc-load.cjs HOST:PORT HASHFILE SECONDS [WORKERS] [CHANNELS] [INFLIGHT]
// Prints one JSON object: answered, errors, rps, p50_us, p99_us, p999_us.
// Needs the built proto package (`npx tsc -b proto`).
/* global __filename */
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const { randomBytes } = require('node:crypto');

const HIST_US = 2_000_000;

if (isMainThread) {
  const [target, hashFile, seconds, workers = '2', channels = '4', inflight = '16'] =
    process.argv.slice(2);
  if (!target || !hashFile || !seconds) {
    console.error(
      'usage: node grpc-load.cjs HOST:PORT HASHFILE SECONDS [WORKERS] [CHANNELS] [INFLIGHT]',
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
  let elapsed = 0;
  for (const r of results) {
    answered += r.answered;
    errors += r.errors;
    elapsed = Math.max(elapsed, r.elapsed);
    for (const [us, n] of r.histogram) histogram[us] += n;
  }
  const percentile = (p) => {
    const want = Math.floor((answered + errors) * p);
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

async function run({ target, hashFile, seconds, channels, inflight }) {
  const grpc = require('@grpc/grpc-js');
  const { TrackerClient, AnnounceEvent } = require('@enjambre/proto');
  const raw = readFileSync(hashFile);
  const hashes = [];
  for (let i = 0; i + 20 <= raw.length; i += 20) hashes.push(raw.subarray(i, i + 20));
  const clients = [];
  for (let i = 0; i < channels; i++) {
    clients.push(
      new TrackerClient(target, grpc.credentials.createInsecure(), {
        'grpc.use_local_subchannel_pool': 1,
      }),
    );
  }
  const histogram = new Map();
  let answered = 0;
  let errors = 0;
  let firstError = '';
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  const pool = randomBytes(1 << 16);
  let at = 0;
  const random = (n) => {
    if (at + 4 > pool.length) {
      randomBytes(pool.length).copy(pool);
      at = 0;
    }
    const v = pool.readUInt32LE(at);
    at += 4;
    return v % n;
  };

  const loop = (client) =>
    new Promise((resolve) => {
      const next = () => {
        const sentAt = process.hrtime.bigint();
        if (sentAt >= end) return resolve();
        const request = {
          infoHash: hashes[random(hashes.length)],
          peerId: randomBytes(20),
          event: AnnounceEvent.ANNOUNCE_EVENT_NONE,
          uploaded: 0,
          downloaded: 0,
          left: random(2) * 1_000_000,
          numwant: 50,
          port: 1024 + random(60000),
          ip: '',
        };
        client.announce(request, (error) => {
          const us = Math.min(HIST_US, Number((process.hrtime.bigint() - sentAt) / 1000n));
          histogram.set(us, (histogram.get(us) ?? 0) + 1);
          if (error) {
            errors++;
            if (!firstError) firstError = error.message;
          } else answered++;
          next();
        });
      };
      next();
    });

  const loops = [];
  for (const client of clients) for (let i = 0; i < inflight; i++) loops.push(loop(client));
  await Promise.all(loops);
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  for (const client of clients) client.close();
  if (firstError) console.error(`grpc-load: first error: ${firstError}`);
  return { answered, errors, elapsed, histogram: [...histogram] };
}
