// Runs our LSD inside a network namespace for lsd.test.ts (started through test/engine/ts-child.js).
// Argument: JSON {"announce": [hex], "interval": ms}. Listens on a TCP port standing in for the
// session's peer port and reports the handshakes that arrive there; prints JSON lines.
import net from 'node:net';
import { Lsd } from '@enjambre/engine';

const cfg = JSON.parse(process.argv[3]) as { announce: string[]; interval: number };
const print = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');

const server = net.createServer((sock) => {
  let buf = Buffer.alloc(0);
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    if (buf.length >= 48) {
      print({ type: 'dialed', infoHash: buf.subarray(28, 48).toString('hex') });
      sock.destroy();
    }
  });
  sock.on('error', () => undefined);
});
server.listen(0, '127.0.0.1', async () => {
  const peerPort = (server.address() as net.AddressInfo).port;
  const lsd = new Lsd({ peerPort, interface: '127.0.0.1', announceIntervalMs: cfg.interval });
  lsd.on('peer', (infoHash, peer) => print({ type: 'peer', infoHash, ...peer }));
  await lsd.start();
  for (const h of cfg.announce) lsd.announce(h);
  print({ type: 'started', peerPort, cookie: lsd.cookie });
  const stats = setInterval(() => print({ type: 'stats', ...lsd.stats() }), 500);
  process.on('SIGTERM', () => {
    clearInterval(stats);
    void lsd.close().then(() => server.close(() => process.exit(0)));
  });
});
