// One enjambre DHT node in a process of its own, for bench/dht/run.mjs: it times lookups the way
// lt_dht.py times libtorrent's, so both queriers have a process (and event loop) to themselves
// while the 200 simulated nodes they ask share the bench's.
// Argument: JSON {"ip": address, "nodes": ["ip:port", ...], "alpha": n}. Prints
// {"type": "listening", "port": N} once joined; on stdin {"get_peers": hex, "tag": any} runs
// one lookup and prints {"type": "lookup", "tag", "ms", "first", "peers", "queries"}.
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { Dht } = require(path.join(root, 'client/engine/dist/index.js'));

const cfg = JSON.parse(process.argv[2]);
const print = (o) => process.stdout.write(JSON.stringify(o) + '\n');

const d = new Dht({
  host: cfg.ip,
  queryTimeoutMs: 1500,
  rateLimit: { rate: 1000, burst: 2000 },
  alpha: cfg.alpha ?? 3,
});
await d.start();
for (const n of cfg.nodes) {
  const [ip, port] = n.split(':');
  await d.addNode(ip, Number(port));
}
await d.bootstrap();
print({ type: 'listening', port: d.port, nodes: d.nodeCount });

createInterface({ input: process.stdin }).on('line', async (line) => {
  let c;
  try {
    c = JSON.parse(line);
  } catch {
    return;
  }
  const h = Buffer.from(c.get_peers, 'hex');
  const start = performance.now();
  let first = NaN;
  const onPeers = (ih) => {
    if (ih.equals(h) && Number.isNaN(first)) first = performance.now() - start;
  };
  d.on('peers', onPeers);
  const r = await d.lookup(h);
  d.off('peers', onPeers);
  const ms = performance.now() - start;
  print({ type: 'lookup', tag: c.tag, ms, first, peers: r.peers.length, queries: r.queries });
});
process.on('SIGTERM', () => void d.close().then(() => process.exit(0)));
