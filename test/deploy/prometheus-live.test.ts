// A real Prometheus (Debian's) scrapes three real tracker replicas that replicate to each other,
// with our alert rules loaded; its query API answers for the cluster's metrics.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { freePort, startLocalCluster, type LocalCluster } from './local-cluster';
import { repoRoot } from './manifests';

jest.setTimeout(120_000);

let cluster: LocalCluster;
let prometheus: ChildProcess;
let api: string;
let log = '';

async function query(
  q: string,
): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await res.json()) as { status: string; data: { result: never[] } };
  if (body.status !== 'success') throw new Error(`query ${q} failed`);
  return body.data.result;
}

async function until<T>(what: string, f: () => Promise<T | null>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f().catch(() => null);
    if (v !== null) return v;
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}; prometheus log:\n${log.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  cluster = await startLocalCluster(3);
  const targets = cluster.trackers.map((t) => `127.0.0.1:${t.metricsPort}`);
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: [path.join(repoRoot, 'deploy', 'prometheus', 'alerts.yml')],
    scrape_configs: [{ job_name: 'enjambre-tracker-metrics', static_configs: [{ targets }] }],
  };
  const configFile = path.join(cluster.dir, 'prometheus.yml');
  fs.writeFileSync(configFile, stringify(config));
  const port = await freePort();
  api = `http://127.0.0.1:${port}`;
  prometheus = spawn(
    'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(cluster.dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  prometheus.stdout!.on('data', (d) => (log += d));
  prometheus.stderr!.on('data', (d) => (log += d));
  await until('prometheus ready', async () => ((await fetch(`${api}/-/ready`)).ok ? true : null));
});

afterAll(async () => {
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((r) => prometheus.once('exit', r));
    prometheus.kill('SIGTERM');
    await exited;
  }
  await cluster?.close();
});

it('scrapes all three replicas', async () => {
  const up = await until('three targets up', async () => {
    const r = await query('up{job="enjambre-tracker-metrics"} == 1');
    return r.length === 3 ? r : null;
  });
  expect(up.map((s) => s.metric.instance).sort()).toEqual(
    cluster.trackers.map((t) => `127.0.0.1:${t.metricsPort}`).sort(),
  );
});

it('sees every replica replicating to the two others, and swarms replicated everywhere', async () => {
  await until('replicas live', async () => {
    const r = await query('enjambre_tracker_replicas_live');
    return r.length === 3 && r.every((s) => s.value[1] === '2') ? r : null;
  });
  cluster.trackers[0].store.publish({
    infoHash: Buffer.alloc(20, 7),
    peerId: Buffer.alloc(20, 8),
    ip: Buffer.from([10, 1, 2, 3]),
    port: 6881,
    name: 'prometheus-check',
    totalSize: 10,
    fileCount: 1,
  });
  await until('seeders on every replica', async () => {
    const r = await query('enjambre_tracker_seeders == 1');
    return r.length === 3 ? r : null;
  });
  const received = await until('replication traffic', async () => {
    const r = await query('sum(enjambre_tracker_replication_messages_total{direction="received"})');
    return r.length === 1 && Number(r[0].value[1]) >= 2 ? r : null;
  });
  expect(Number(received[0].value[1])).toBeGreaterThanOrEqual(2);
});

it('loads the alert rules, with none firing on a healthy cluster', async () => {
  const res = await fetch(`${api}/api/v1/rules`);
  const body = (await res.json()) as {
    data: { groups: { name: string; rules: { name: string; health: string }[] }[] };
  };
  const group = body.data.groups.find((g) => g.name === 'enjambre-tracker');
  expect(group?.rules.length).toBeGreaterThanOrEqual(8);
  await until('rules evaluated', async () => {
    const r = (await (await fetch(`${api}/api/v1/rules`)).json()) as typeof body;
    const rules = r.data.groups.flatMap((g) => g.rules);
    return rules.every((x) => x.health === 'ok') ? true : null;
  });
  const alerts = (await (await fetch(`${api}/api/v1/alerts`)).json()) as {
    data: { alerts: { labels: { alertname: string } }[] };
  };
  expect(alerts.data.alerts.map((a) => a.labels.alertname)).toEqual([]);
});
