/**
 * DHT and LSD through the bridge: `GET /api/discovery` reports the node that really runs (its
 * port, node count and health against a real DHT node), the settings API stores DHT/LSD changes
 * for the next start and says a restart is needed, refuses bad ports and bootstrap nodes, and a
 * restarted daemon runs with what was stored.
 */
import { join } from 'node:path';
import pino from 'pino';
import { Dht } from '@enjambre/engine';
import { dhtPlugin, startTracker } from '@enjambre/tracker';
import type { RunningDaemon } from '@enjambre/bridge';
import { api, removeDir, tempDir, testDaemon, waitFor } from './helpers';

jest.setTimeout(60_000);

interface Discovery {
  dht: {
    enabled: boolean;
    port: number;
    nodes: number;
    goodNodes: number;
    health: string;
    bootstrap: string[];
    trackerNodes: string[];
  };
  lsd: { enabled: boolean; announcesSent: number };
  restartRequired: boolean;
}

let root: string;
let router: Dht;
const daemons: RunningDaemon[] = [];

beforeAll(async () => {
  root = await tempDir('bridge-discovery');
  router = new Dht({ host: '127.0.0.1', queryTimeoutMs: 1000 });
  await router.start();
});
afterAll(async () => {
  await Promise.all(daemons.map((d) => d.close()));
  await router?.close();
  await removeDir(root);
});

async function daemon(opts: Parameters<typeof testDaemon>[1] = {}, dir = 'd') {
  const d = await testDaemon(join(root, dir), opts);
  daemons.push(d);
  return { d, A: api(d) };
}

test('reports the running DHT node, stores changes for the next start, refuses bad values', async () => {
  const { d, A } = await daemon({ dht: { bootstrap: [`127.0.0.1:${router.port}`] }, lsd: false });
  const running = await waitFor(
    'the node met the router',
    async () => {
      const r = (await A.get<Discovery>('/api/discovery')).body;
      return r.dht.goodNodes > 0 ? r : undefined;
    },
    20_000,
  );
  expect(running).toMatchObject({
    dht: {
      enabled: true,
      port: d.listenPort, // the peer port, by default
      health: 'few-nodes', // one good node: the router
      bootstrap: [`127.0.0.1:${router.port}`],
    },
    lsd: { enabled: false },
    restartRequired: false,
  });
  expect(running.dht.nodes).toBeGreaterThanOrEqual(1);
  expect((await A.get('/api/settings')).body).toMatchObject({
    dhtEnabled: true,
    dhtPort: 0,
    dhtBootstrap: [`127.0.0.1:${router.port}`],
    lsdEnabled: false,
  });

  // refused, and nothing stored
  for (const change of [
    { dhtPort: 70000 },
    { dhtPort: 80 }, // privileged
    { dhtPort: 'any' },
    { dhtEnabled: 'yes' },
    { lsdEnabled: 'sometimes' },
    { dhtBootstrap: ['router.example.org'] },
    { dhtBootstrap: ['router.example.org:0'] },
    { dhtBootstrap: ['router.example.org:65536'] },
    { dhtBootstrap: ['udp://router.example.org:6881'] },
    { dhtBootstrap: ['a b:6881'] },
    { dhtBootstrap: ['[not-v6]:6881'] },
    { dhtBootstrap: ['x'.repeat(300) + ':1'] },
    { dhtBootstrap: Array.from({ length: 33 }, (_, i) => `10.0.0.${i}:6881`) },
    { dhtBootstrap: ['router.example.org:6881', 'nope'] },
  ]) {
    const r = await A.put<{ error: string }>('/api/settings', change);
    expect({ change, status: r.status }).toEqual({ change, status: 400 });
    expect(r.body.error).toBeTruthy();
  }
  expect((await A.get('/api/settings')).body).toMatchObject({ dhtPort: 0, lsdEnabled: false });

  // accepted: stored, the running node unchanged until the next start
  const ok = await A.put('/api/settings', {
    dhtEnabled: false,
    dhtPort: 0,
    dhtBootstrap: ['[::1]:6881', 'router.example.org:6881', `127.0.0.1:${router.port}`],
    lsdEnabled: true,
  });
  expect(ok.status).toBe(200);
  expect(ok.body).toMatchObject({ dhtEnabled: false, lsdEnabled: true });
  const after = (await A.get<Discovery>('/api/discovery')).body;
  expect(after.dht.enabled).toBe(true);
  expect(after.lsd.enabled).toBe(false);
  expect(after.restartRequired).toBe(true);

  // the next start runs what was stored: no DHT node, LSD on
  await d.close();
  daemons.pop();
  const again = await daemon();
  const now = (await again.A.get<Discovery>('/api/discovery')).body;
  expect(now.dht).toMatchObject({ enabled: false, health: 'off', nodes: 0 });
  expect(now.lsd.enabled).toBe(true);
  expect(now.restartRequired).toBe(false);
  expect((await again.A.get('/api/settings')).body).toMatchObject({
    dhtBootstrap: ['[::1]:6881', 'router.example.org:6881', `127.0.0.1:${router.port}`],
  });
  // the command line wins over the stored settings, and is stored
  await again.d.close();
  daemons.pop();
  const third = await daemon({ dht: { bootstrap: [] }, lsd: false });
  const t = (await third.A.get<Discovery>('/api/discovery')).body;
  expect([t.dht.enabled, t.lsd.enabled, t.restartRequired]).toEqual([true, false, false]);
  expect(t.dht.bootstrap).toEqual([
    '[::1]:6881',
    'router.example.org:6881',
    `127.0.0.1:${router.port}`,
  ]);
});

test('needs the token', async () => {
  const { d } = await daemon({}, 'other');
  const res = await fetch(`http://127.0.0.1:${d.apiPort}/api/discovery`);
  expect(res.status).toBe(401);
});

test('joins the DHT through the DHT node an enjambre tracker it knows names', async () => {
  const tracker = await startTracker({
    grpcPort: 0,
    httpPort: null,
    udpPort: null,
    metricsPort: null,
    logger: pino({ level: 'silent' }),
    plugins: [dhtPlugin({ port: 0 })],
  });
  try {
    // no bootstrap node given: only the tracker's URL
    const { A } = await daemon(
      { dht: { bootstrap: [] }, trackers: [`grpc://127.0.0.1:${tracker.grpcPort}`] },
      'via-tracker',
    );
    const health = (await A.get<{ url: string; dhtPort?: number }[]>('/api/trackers')).body;
    expect(health[0].dhtPort).toBeGreaterThan(0);
    const node = `127.0.0.1:${health[0].dhtPort}`;
    const d = await waitFor(
      'the tracker node in the table',
      async () => {
        const r = (await A.get<Discovery>('/api/discovery')).body;
        return r.dht.trackerNodes.includes(node) && r.dht.goodNodes >= 1 ? r : undefined;
      },
      20_000,
    );
    expect(d.dht.bootstrap).toEqual([]);
  } finally {
    await tracker.close();
  }
});
