// Runs inside a network namespace (transmission.test.ts): our DHT nodes on the given addresses,
// a TCP listener standing in for an enjambre seeder on the first node's address (announce_peer
// stores the announcer's IP), announced for one info-hash every 5 s.
// Argument: JSON {"ips": [...], "infoHash": hex}. Prints JSON lines: "ready" with
// the nodes' addresses, "dialed" with the info-hash of each handshake that reaches the seeder.
import net from 'node:net';
import { Dht } from '@enjambre/engine';

const cfg = JSON.parse(process.argv[3]) as { ips: string[]; infoHash: string };
const print = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');

async function main(): Promise<void> {
  const nodes: Dht[] = [];
  for (const ip of cfg.ips) {
    const d = new Dht({ host: ip, queryTimeoutMs: 1000 });
    await d.start();
    for (const prev of nodes.slice(-2)) await d.addNode(cfg.ips[nodes.indexOf(prev)], prev.port);
    nodes.push(d);
  }
  await Promise.all(nodes.map((d) => d.bootstrap()));
  const server = net.createServer((sock) => {
    sock.once('data', (d) => {
      if (d.length >= 48) print({ type: 'dialed', infoHash: d.subarray(28, 48).toString('hex') });
      sock.destroy();
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, cfg.ips[0], () => r()));
  const seedPort = (server.address() as net.AddressInfo).port;
  const h = Buffer.from(cfg.infoHash, 'hex');
  const announce = () => void nodes[0].announce(h, seedPort).catch(() => undefined);
  announce();
  const timer = setInterval(announce, 5000);
  print({ type: 'ready', nodes: nodes.map((d, i) => `${cfg.ips[i]} ${d.port}`) });
  process.on('SIGTERM', () => {
    clearInterval(timer);
    server.close();
    void Promise.all(nodes.map((d) => d.close())).then(() => process.exit(0));
  });
}

void main();
