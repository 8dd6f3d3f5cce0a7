// Runs the npm bittorrent-tracker reference server for the benchmark: HTTP and UDP on 127.0.0.1,
// no WebSocket tracker and no /stats page (its stats handler costs it most of its HTTP rate).
// Usage: node bittorrent-tracker-server.mjs PORT
import { Server } from 'bittorrent-tracker';

const port = Number(process.argv[2]);
const server = new Server({ http: true, udp: true, ws: false, stats: false, trustProxy: false });
server.on('error', (error) => {
  console.error(`bittorrent-tracker error: ${error.message}`);
  process.exit(1);
});
server.on('warning', () => {}); // malformed requests are the load generator's business
// It always opens a udp6 socket too; bind that one to ::1 so nothing leaves loopback.
server.listen(port, { http: '127.0.0.1', udp: '127.0.0.1', udp6: '::1' }, () =>
  console.log(`listening ${port}`),
);
for (const signal of ['SIGTERM', 'SIGINT'])
  process.on(signal, () => server.close(() => process.exit(0)));
