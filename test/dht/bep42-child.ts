// Runs inside a network namespace whose loopback carries public-looking addresses (bep42.test.ts):
// a node on 198.51.100.1 is contacted by one node whose id fits its address (BEP 42) and one whose
// id does not; prints which entered its table.
import { Dht } from '@enjambre/engine';

async function main(): Promise<void> {
  const victim = new Dht({ host: '198.51.100.1', queryTimeoutMs: 1000 });
  const honest = new Dht({
    host: '198.51.100.2',
    externalIp: '198.51.100.2',
    queryTimeoutMs: 1000,
  });
  const forged = new Dht({ host: '198.51.100.3', queryTimeoutMs: 1000 }); // random id
  const local = new Dht({ host: '127.0.0.5', queryTimeoutMs: 1000 }); // exempt
  const all = [victim, honest, forged, local];
  for (const d of all) await d.start();
  for (const d of [honest, forged, local]) await d.addNode('198.51.100.1', victim.port);
  await victim.addNode('198.51.100.3', forged.port); // even a direct answer does not let it in
  await new Promise((r) => setTimeout(r, 300));
  const s = victim.stats();
  process.stdout.write(
    JSON.stringify({
      table: victim.nodes().map((n) => n.ip),
      rejected: s.counters.rejectedNodes,
    }) + '\n',
  );
  await Promise.all(all.map((d) => d.close()));
}

void main();
