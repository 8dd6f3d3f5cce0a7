// Alert rules: promtool accepts them, their unit tests (alerts.test.yml) pass, and they read only
// metrics the tracker exports (plus Prometheus' `up` and kube-state-metrics' pod readiness).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from './manifests';
import { family, metricNames } from './promql';
import { scrapeFamilies, startLocalCluster, type LocalCluster } from './local-cluster';

const dir = path.join(repoRoot, 'deploy', 'prometheus');
const rules = parse(fs.readFileSync(path.join(dir, 'alerts.yml'), 'utf8'));

// The metrics a real replica (with replication on) exports, from its /metrics.
let cluster: LocalCluster;
let families: Map<string, string>;
beforeAll(async () => {
  cluster = await startLocalCluster(1);
  families = await scrapeFamilies(cluster.trackers[0].metricsPort!);
});
afterAll(() => cluster?.close());

it('passes promtool check rules', () => {
  const out = execFileSync('promtool', ['check', 'rules', path.join(dir, 'alerts.yml')], {
    encoding: 'utf8',
  });
  expect(out).toMatch(/SUCCESS: \d+ rules found/);
});

it('fires as its promtool unit tests expect', () => {
  const out = execFileSync('promtool', ['test', 'rules', 'alerts.test.yml'], {
    cwd: dir,
    encoding: 'utf8',
    stdio: 'pipe',
  });
  expect(out).toMatch(/SUCCESS/);
});

it('covers a replica down, not ready, replication lag, the error rate, a link per peer, refusals and catalog divergence, each tested', () => {
  const alerts: { alert: string; labels: { severity: string }; annotations: object }[] =
    rules.groups.flatMap((g: { rules: object[] }) => g.rules);
  const names = alerts.map((a) => a.alert);
  for (const needed of [
    'EnjambreTrackerReplicaDown',
    'EnjambreTrackerReplicaNotReady',
    'EnjambreTrackerReplicationLagHigh',
    'EnjambreTrackerErrorRateHigh',
    'EnjambreTrackerReplicationLinkDown',
    'EnjambreTrackerRefusingRequests',
    'EnjambreTrackerCatalogDiverged',
  ]) {
    expect(names).toContain(needed);
  }
  const tests = fs.readFileSync(path.join(dir, 'alerts.test.yml'), 'utf8');
  for (const a of alerts) {
    expect(['warning', 'critical']).toContain(a.labels.severity);
    expect(a.annotations).toHaveProperty('summary');
    expect(tests).toContain(`alertname: ${a.alert}`);
  }
});

it('reads only exported metrics', () => {
  const exported = new Set(families.keys());
  const histograms = new Set(
    [...families].filter(([, type]) => type === 'histogram').map(([n]) => n),
  );
  const external = new Set(['up', 'kube_pod_status_ready']);
  const used = rules.groups
    .flatMap((g: { rules: { expr: string }[] }) => g.rules)
    .flatMap((r: { expr: string }) => metricNames(r.expr))
    .map((n: string) => family(n, histograms));
  expect(used.filter((n: string) => !exported.has(n) && !external.has(n))).toEqual([]);
});
