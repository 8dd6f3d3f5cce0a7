/**
 * A tracker replica as the DHT bootstrap node of a closed network: a real `enjambre-tracker`
 * process with --dht-port; two engine sessions that know only its DHT address find each other's
 * torrent through the DHT (no tracker in the torrent), the tracker's /metrics and /healthz count
 * the nodes it met, and its table survives a SIGTERM and a restart.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { TrackerClient, type ListTorrentsResponse } from '@enjambre/proto';
import { ManagedProcess, removeLater, stopAll } from '../peers/process';
import { waitFor } from '../peers/util';
import { makeTorrent, sessionWorkspace, startSession, waitDone } from '../engine/helpers';

jest.setTimeout(120_000);

const NET = '127.0.68';
const TRACKER_IP = `${NET}.2`;
const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'services', 'tracker', 'dist', 'cli.js');
const ws = sessionWorkspace('tracker-dht');
const dataDir = mkdtempSync(path.join(tmpdir(), 'tracker-dht-data-'));
removeLater(dataDir);

afterAll(() => stopAll());

interface RunningReplica {
  proc: ManagedProcess;
  dhtPort: number;
  metricsPort: number;
  grpcPort: number;
}

/** Starts the tracker CLI; the ports come from its JSON log lines. */
async function startReplica(args: string[], env: Record<string, string> = {}) {
  const proc = new ManagedProcess('enjambre-tracker', process.execPath, [cli, ...args], {
    env: { ...process.env, ...env },
  });
  let dhtPort = 0;
  let metricsPort = 0;
  let grpcPort = 0;
  proc.onLine((line) => {
    try {
      const e = JSON.parse(line) as {
        msg?: string;
        port?: number;
        metricsPort?: number;
        grpcPort?: number;
      };
      if (e.msg === 'dht node up') dhtPort = e.port ?? 0;
      if (e.msg === 'listening') [metricsPort, grpcPort] = [e.metricsPort ?? 0, e.grpcPort ?? 0];
    } catch {
      // not a log line
    }
  });
  await waitFor(() => metricsPort > 0 || proc.hasExited, 30_000, 'the tracker listens');
  if (proc.hasExited) throw new Error(`tracker exited:\n${proc.tail()}`);
  return { proc, dhtPort, metricsPort, grpcPort } satisfies RunningReplica;
}

async function get(port: number, p: string): Promise<string> {
  const res = await fetch(`http://${TRACKER_IP}:${port}${p}`);
  return res.text();
}

/** enjambre_tracker_dht_nodes{state="..."} from /metrics. */
async function dhtNodes(r: RunningReplica, state: 'all' | 'good'): Promise<number> {
  const text = await get(r.metricsPort, '/metrics');
  const m = new RegExp(`^enjambre_tracker_dht_nodes\\{state="${state}"\\} (\\d+)$`, 'm').exec(text);
  if (!m) throw new Error(`no enjambre_tracker_dht_nodes{state="${state}"} in /metrics`);
  return Number(m[1]);
}

const trackerArgs = [
  ...['--ip', TRACKER_IP, '--port', '0', '--http-port', '0', '--udp-port', '0'],
  ...['--metrics-port', '0', '--data-dir', dataDir, '--save-time', '0'],
];

test('sessions bootstrapped from a tracker replica find each other through its DHT node', async () => {
  // the port from the environment, as the Helm chart sets it
  const replica = await startReplica(trackerArgs, { ENJAMBRE_TRACKER_DHT_PORT: '0' });
  expect(replica.dhtPort).toBeGreaterThan(0);
  expect(await dhtNodes(replica, 'all')).toBe(0);
  // gRPC clients are told the port (the bridge bootstraps from the trackers it knows)
  const grpc = new TrackerClient(`${TRACKER_IP}:${replica.grpcPort}`, credentials.createInsecure());
  const page = await new Promise<ListTorrentsResponse>((resolve, reject) =>
    grpc.listTorrents({ pageSize: 1, pageToken: '', query: '' }, (err, res) =>
      err ? reject(err) : resolve(res),
    ),
  );
  grpc.close();
  expect(page.dhtPort).toBe(replica.dhtPort);
  const bootstrap = [`${TRACKER_IP}:${replica.dhtPort}`];

  const seedDir = path.join(ws.root, 'seed');
  const t = await makeTorrent(seedDir, 'closed-network.bin', 300_000, { pieceLength: 32 * 1024 });
  const seeder = await startSession(path.join(ws.root, 's'), {
    listenHost: `${NET}.10`,
    dht: { bootstrap, queryTimeoutMs: 1500 },
  });
  ws.sessions.push(seeder);
  await seeder.add({ torrent: t.torrent }, { downloadDir: seedDir, seedMode: true });

  const leecher = await startSession(path.join(ws.root, 'l'), {
    listenHost: `${NET}.11`,
    dht: { bootstrap, queryTimeoutMs: 1500 },
  });
  ws.sessions.push(leecher);
  // the seeder's announce is stored on the DHT (the tracker's node is the only other node)
  await waitFor(
    async () =>
      (await leecher.dht!.lookup(Buffer.from(t.infoHash, 'hex'))).peers.some(
        (p) => p.ip === `${NET}.10` && p.port === seeder.port,
      ),
    40_000,
    'the seeder announced through the DHT',
    500,
  );
  const torrent = await leecher.add(
    { magnet: `magnet:?xt=urn:btih:${t.infoHash}` },
    { downloadDir: path.join(ws.root, 'got') },
  );
  await waitFor(
    () => torrent.peers().some((p) => p.address === `${NET}.10:${seeder.port}`),
    40_000,
    'the leecher connects to the seeder',
  );
  expect(torrent.peers().find((p) => p.address === `${NET}.10:${seeder.port}`)?.source).toBe('dht');
  expect(torrent.status().peersFound.dht).toBeGreaterThan(0);
  expect(torrent.status().peersFound.tracker).toBe(0);
  await waitDone(torrent);

  // the tracker's node met both sessions
  await waitFor(async () => (await dhtNodes(replica, 'all')) >= 2, 20_000, 'the tracker counts');
  expect(await dhtNodes(replica, 'good')).toBeGreaterThanOrEqual(1);
  const metrics = await get(replica.metricsPort, '/metrics');
  const queriesIn = /^enjambre_tracker_dht_queries_total\{direction="in"\} (\d+)$/m.exec(metrics);
  expect(Number(queriesIn?.[1])).toBeGreaterThan(0);
  expect(metrics).toMatch(/^enjambre_tracker_dht_dropped_total\{reason="malformed"\} 0$/m);
  // garbage at the node is counted and dropped; the node keeps answering
  const sock = createSocket('udp4');
  for (const junk of ['not bencode', 'd1:y1:qe', 'x'.repeat(1400)]) {
    await new Promise((r) => sock.send(junk, replica.dhtPort, TRACKER_IP, r));
  }
  sock.close();
  await waitFor(
    async () =>
      /^enjambre_tracker_dht_dropped_total\{reason="malformed"\} [1-9]\d*$/m.test(
        await get(replica.metricsPort, '/metrics'),
      ),
    10_000,
    'the garbage counted',
  );
  expect(await leecher.dht!.addNode(TRACKER_IP, replica.dhtPort)).toBe(true);
  expect(await get(replica.metricsPort, '/healthz')).toMatch(
    new RegExp(`^ok\\ndht udp ${replica.dhtPort}: \\d+ nodes, \\d+ good\\n$`),
  );

  // SIGTERM saves the table; the restarted replica, given no bootstrap node, pings the saved
  // nodes back in
  await replica.proc.stop(10_000);
  expect(await replica.proc.exited).toBe(0);
  expect(await readdir(dataDir)).toContain('dht');
  const again = await startReplica([...trackerArgs, '--dht-port', String(replica.dhtPort)]);
  await waitFor(async () => (await dhtNodes(again, 'all')) >= 2, 20_000, 'the table reloaded');
  await again.proc.stop(10_000);
  expect(await again.proc.exited).toBe(0);
});
