// bench/dht: a simulated DHT of our nodes (each on its own loopback address) plus python3-libtorrent
// nodes in the same network; lookups by enjambre and by libtorrent for the same announced
// info-hashes; memory per routing-table entry, per stored peer and per node. Prints medians.
// Needs `npx tsc -b` first (uses client/engine/dist). See bench/README.md.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const { Dht } = require(path.join(root, 'client/engine/dist/index.js'));
const { RoutingTable } = require(path.join(root, 'packages/dht/dist/routing-table.js'));
const { PeerStore } = require(path.join(root, 'packages/dht/dist/peer-store.js'));
const LT_SCRIPT = path.join(root, 'test/dht/lt_dht.py');
const QUERIER = path.join(here, 'querier.mjs');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const quick = args.includes('--quick');
const N = opt('nodes', quick ? 100 : 200);
const L = opt('lt', quick ? 5 : 20);
const LOOKUPS = opt('lookups', quick ? 10 : 30);
const ALPHA = opt('alpha', 3);
// enjambre nodes in processes of their own, timed like the libtorrent ones (see querier.mjs)
const R = opt('remote', quick ? 2 : 5);

const median = (xs) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const addr = (i) => `127.0.${80 + Math.floor(i / 200)}.${10 + (i % 200)}`;
const gc = () => globalThis.gc && (globalThis.gc(), globalThis.gc());

async function pool(items, n, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/** A querier in its own process: libtorrent (lt_dht.py) or one of ours (querier.mjs). */
function startLt(ip, nodes) {
  return startQuerier(ip, '/usr/bin/python3', [
    LT_SCRIPT,
    JSON.stringify({ ip, nodes, every: 3600 }),
  ]);
}

function startOurs(ip, nodes) {
  return startQuerier(ip, process.execPath, [QUERIER, JSON.stringify({ ip, nodes, alpha: ALPHA })]);
}

function startQuerier(ip, command, argv) {
  const child = spawn(command, argv, { stdio: ['pipe', 'pipe', 'inherit'] });
  const lt = { ip, child, port: 0, waiting: new Map() };
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let m;
      try {
        m = JSON.parse(line);
      } catch {
        continue;
      }
      if (m.type === 'listening') lt.port = m.port;
      if (m.type === 'lookup') lt.waiting.get(m.tag)?.(m);
    }
  });
  /**
   * One lookup. Ours answers once, when done; libtorrent once per node that answered with peers,
   * so its replies are collected for `settleMs` after the first: `ms` is the first reply, `last`
   * the last one (a lower bound of when its lookup was done).
   */
  lt.lookup = (hex, settleMs = 0) =>
    new Promise((resolve) => {
      const tag = randomBytes(4).toString('hex');
      let got;
      const end = () => {
        lt.waiting.delete(tag);
        resolve(got ?? { ms: NaN, last: NaN, first: NaN, peers: 0 });
      };
      let timer = setTimeout(end, 30000);
      lt.waiting.set(tag, (m) => {
        if (!got) {
          got = { ...m, last: m.ms };
          clearTimeout(timer);
          timer = setTimeout(end, settleMs);
        } else {
          got.last = Math.max(got.last, m.ms);
          got.peers += m.peers;
        }
      });
      child.stdin.write(JSON.stringify({ get_peers: hex, tag }) + '\n');
    });
  return lt;
}

async function memoryPerEntry() {
  gc();
  const before = process.memoryUsage().heapUsed;
  const tables = [];
  let entries = 0;
  for (let t = 0; t < 300; t++) {
    const table = new RoutingTable(randomBytes(20), { maxPerIpPerBucket: 1000 });
    for (let i = 0; i < 400; i++) {
      table.onResponse(
        { id: randomBytes(20), ip: `10.${t & 255}.${i >> 8}.${i & 255}`, port: 6881 },
        1,
      );
    }
    for (let b = 0; b < 160; b++) {
      const c = table.bucketContents(b);
      entries += c.nodes.length + c.replacements.length;
    }
    tables.push(table);
  }
  gc();
  const tableBytes = (process.memoryUsage().heapUsed - before) / entries;
  const before2 = process.memoryUsage().heapUsed;
  const store = new PeerStore({ maxTorrents: 10000, maxPeersPerTorrent: 1000 });
  const PEERS = 200000;
  for (let i = 0; i < PEERS; i++) {
    const h = Buffer.alloc(20);
    h.writeUInt32BE(i % 2000);
    store.add(h, { ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 6881 }, 0);
  }
  gc();
  const peerBytes = (process.memoryUsage().heapUsed - before2) / store.size;
  return { tableBytes, entries, peerBytes, peers: store.size, keep: [tables, store] };
}

async function main() {
  console.log(
    `bench/dht: ${N} enjambre nodes + ${L} libtorrent nodes on loopback, ${LOOKUPS} lookups each`,
  );
  const mem = await memoryPerEntry();
  mem.keep = null;
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const rss0 = process.memoryUsage().rss;
  const ours = [];
  const t0 = Date.now();
  for (let i = 0; i < N; i++) {
    const d = new Dht({
      host: addr(i),
      queryTimeoutMs: 1500,
      rateLimit: { rate: 1000, burst: 2000 },
      alpha: ALPHA,
    });
    await d.start();
    ours.push(d);
  }
  const bootstrapOf = (i) => [0, Math.floor(i / 2), i - 1].filter((j) => j >= 0 && j !== i);
  await pool([...ours.keys()].slice(1), 8, async (i) => {
    for (const j of bootstrapOf(i)) await ours[i].addNode(addr(j), ours[j].port);
    await ours[i].bootstrap();
  });
  const lts = [];
  for (let i = 0; i < L; i++) {
    const peersOf = [0, 1, 2]
      .map(() => Math.floor(Math.random() * N))
      .map((j) => `${addr(j)}:${ours[j].port}`);
    lts.push(startLt(`127.0.90.${10 + i}`, peersOf));
  }
  const remote = [];
  for (let i = 0; i < R; i++) {
    const peersOf = [0, 1, 2]
      .map(() => Math.floor(Math.random() * N))
      .map((j) => `${addr(j)}:${ours[j].port}`);
    remote.push(startOurs(`127.0.91.${10 + i}`, peersOf));
  }
  while ([...lts, ...remote].some((l) => l.port === 0)) await sleep(100);
  await pool([...ours.keys()], 8, (i) => ours[i].bootstrap());
  await sleep(3000); // libtorrent nodes bootstrap on their own timers
  const join = Date.now() - t0;
  gc();
  const heapPerNode = (process.memoryUsage().heapUsed - heap0) / N;
  const rssPerNode = (process.memoryUsage().rss - rss0) / N;
  const sizes = ours.map((d) => d.nodeCount);
  console.log(
    `network built in ${(join / 1000).toFixed(1)} s; table size median ${median(sizes)} (min ${Math.min(...sizes)})`,
  );

  const hashes = Array.from({ length: LOOKUPS }, () => randomBytes(20));
  await pool(hashes, 4, async (h) => {
    const a = ours[Math.floor(Math.random() * N)];
    await a.announce(h, 10000 + Math.floor(Math.random() * 50000));
  });
  // warm-up: a running daemon's code is compiled (the in-process nodes warmed up building the
  // network; our queriers in their own processes have done nothing yet)
  for (const q of remote) {
    for (let i = 0; i < 20; i++) await q.lookup(randomBytes(20).toString('hex'));
  }
  const ej = { first: [], done: [], found: 0, queries: [] };
  for (const h of hashes) {
    const d = ours[Math.floor(Math.random() * N)];
    const start = performance.now();
    let first = NaN;
    const onPeers = (ih) => {
      if (ih.equals(h) && Number.isNaN(first)) first = performance.now() - start;
    };
    d.on('peers', onPeers);
    const r = await d.lookup(h);
    d.off('peers', onPeers);
    ej.done.push(performance.now() - start);
    if (r.peers.length > 0) {
      ej.found++;
      ej.first.push(first);
    }
    ej.queries.push(r.queries);
  }
  const lt = { first: [], last: [], found: 0 };
  if (lts.length > 0) {
    for (const h of hashes) {
      const q = lts[Math.floor(Math.random() * lts.length)];
      const r = await q.lookup(h.toString('hex'), 300);
      if (r.peers > 0) {
        lt.found++;
        lt.first.push(r.ms);
        lt.last.push(r.last);
      }
    }
  }
  const own = { first: [], done: [], found: 0, queries: [] };
  if (remote.length > 0) {
    for (const h of hashes) {
      const r = await remote[Math.floor(Math.random() * remote.length)].lookup(h.toString('hex'));
      if (Number.isFinite(r.ms)) own.done.push(r.ms);
      if (r.peers > 0) {
        own.found++;
        own.first.push(r.first);
      }
      own.queries.push(r.queries);
    }
  }
  console.log('');
  console.log(
    '| client | lookups finding the peer | first peer (median ms) | lookup done (median ms) | queries per lookup |',
  );
  console.log('| --- | --- | --- | --- | --- |');
  console.log(
    `| enjambre | ${ej.found}/${LOOKUPS} | ${fmt(median(ej.first))} | ${fmt(median(ej.done))} | ${median(ej.queries)} |`,
  );
  if (remote.length > 0) {
    console.log(
      `| enjambre, own process | ${own.found}/${LOOKUPS} | ${fmt(median(own.first))} | ${fmt(median(own.done))} | ${median(own.queries)} |`,
    );
  }
  if (lts.length > 0) {
    console.log(
      `| libtorrent 2.0.8, own process | ${lt.found}/${LOOKUPS} | ${fmt(median(lt.first))} | ≥ ${fmt(median(lt.last))} (last reply with peers) | - |`,
    );
  }
  console.log('');
  console.log(
    `memory: ${fmt(mem.tableBytes)} B per routing-table entry (${mem.entries} entries), ${fmt(mem.peerBytes)} B per stored peer (${mem.peers} peers)`,
  );
  console.log(
    `        ${fmt(heapPerNode / 1024)} KiB JS heap and ${fmt(rssPerNode / 1024)} KiB RSS per running DHT node (${N} nodes in one process)`,
  );
  for (const l of [...lts, ...remote]) l.child.kill('SIGTERM');
  await Promise.all(ours.map((d) => d.close()));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
