// A tracker cluster in this process: real trackers (startTracker with the replication and DHT
// plugins) on 127.0.0.1 with OS-picked ports, listing each other in a peers file.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { dhtPlugin, replicationPlugin, startTracker, type RunningTracker } from '@enjambre/tracker';

export interface LocalCluster {
  trackers: RunningTracker[];
  dir: string;
  close(): Promise<void>;
}

/** A port that was free a moment ago (for programs that cannot take port 0). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startLocalCluster(n: number): Promise<LocalCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'enjambre-cluster-'));
  const peersFile = path.join(dir, 'peers.json');
  // Replication ports must be known for the peers file before the trackers start.
  const ports = await Promise.all(Array.from({ length: n }, () => freePort()));
  const peers = Object.fromEntries(
    ports.map((p) => [`127.0.0.1:${p}`, { ip: '127.0.0.1', port: p }]),
  );
  fs.writeFileSync(peersFile, JSON.stringify(peers));
  const trackers: RunningTracker[] = [];
  try {
    for (let i = 0; i < n; i++) {
      trackers.push(
        await startTracker({
          ip: '127.0.0.1',
          grpcPort: 0,
          httpPort: 0,
          udpPort: 0,
          metricsPort: 0,
          redKey: 'local-cluster-network-key-of-32-bytes-or-more',
          peersFile,
          origin: `replica-${i}`,
          logger: pino({ level: 'silent' }),
          plugins: [
            replicationPlugin({
              port: ports[i],
              advertise: `127.0.0.1:${ports[i]}`,
              catchUpTimeoutMs: 3000,
              peersPollMs: 200,
            }),
            // a DHT node too, as `dht.enabled` runs one, so its metrics are scraped like the rest
            dhtPlugin({ port: 0 }),
          ],
        }),
      );
    }
  } catch (err) {
    await Promise.all(trackers.map((t) => t.close()));
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    trackers,
    dir,
    async close() {
      await Promise.all(trackers.map((t) => t.close()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Metric families a running tracker exports, with their types, from its real /metrics. */
export async function scrapeFamilies(metricsPort: number): Promise<Map<string, string>> {
  const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
  const families = new Map<string, string>();
  for (const line of (await res.text()).split('\n')) {
    const m = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (m) families.set(m[1], m[2]);
  }
  return families;
}
