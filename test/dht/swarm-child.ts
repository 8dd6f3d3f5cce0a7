// Runs inside a network namespace (transmission.test.ts): our DHT nodes on the given addresses,
// joined in a chain, and a watcher that looks the given info-hashes up every 2 s from the last
// node. Argument: JSON {"ips": [...], "watch": [hex info-hash, ...]}. Prints JSON lines: "ready"
// with the nodes' addresses ("ip port", the dht.bootstrap format), then "peers" with each
// lookup's info-hash and the peers found ("ip:port").
import { Dht } from '@enjambre/engine';

const cfg = JSON.parse(process.argv[3]) as { ips: string[]; watch: string[] };
const print = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');

async function main(): Promise<void> {
  const nodes: Dht[] = [];
  for (const ip of cfg.ips) {
    const d = new Dht({ host: ip, queryTimeoutMs: 1000 });
    await d.start();
    for (const prev of nodes.slice(-2)) await d.addNode(cfg.ips[nodes.indexOf(prev)], prev.port);
    nodes.push(d);
  }
  // a second round so the early nodes learn of the later ones
  await Promise.all(nodes.map((d) => d.bootstrap()));
  print({ type: 'ready', nodes: nodes.map((d, i) => `${cfg.ips[i]} ${d.port}`) });
  let closing = false;
  const watcher = nodes[nodes.length - 1];
  const watch = async () => {
    while (!closing) {
      for (const hex of cfg.watch) {
        const r = await watcher.lookup(Buffer.from(hex, 'hex')).catch(() => undefined);
        if (r)
          print({ type: 'peers', infoHash: hex, peers: r.peers.map((p) => `${p.ip}:${p.port}`) });
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  };
  const watching = watch();
  process.on('SIGTERM', () => {
    closing = true;
    void watching.then(() => Promise.all(nodes.map((d) => d.close()))).then(() => process.exit(0));
  });
}

main().catch((err: Error) => {
  print({ type: 'error', message: err.message });
  process.exit(1);
});
