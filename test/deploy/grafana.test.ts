// The Grafana dashboard: valid JSON with the panels an operator needs, every query parses
// (promtool), and every metric it reads is one the tracker exports.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './manifests';
import { checkPromql, family, metricNames } from './promql';
import { scrapeFamilies, startLocalCluster, type LocalCluster } from './local-cluster';
import { trackerMetrics } from './tracker-metrics';

interface Panel {
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { expr: string }[];
}

const dashboard = JSON.parse(
  fs.readFileSync(path.join(repoRoot, 'deploy', 'grafana', 'enjambre-tracker.json'), 'utf8'),
);
const panels: Panel[] = dashboard.panels;
const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
// Grafana's variables, as Grafana substitutes them before the query reaches Prometheus.
const substituted = exprs.map((e) =>
  e.replaceAll('$__rate_interval', '1m').replaceAll('$job', '.+').replaceAll('$instance', '.+'),
);

// The metrics a real replica (with replication on) exports, from its /metrics.
let cluster: LocalCluster;
let families: Map<string, string>;
beforeAll(async () => {
  cluster = await startLocalCluster(1);
  families = await scrapeFamilies(cluster.trackers[0].metricsPort!);
});
afterAll(() => cluster?.close());

it('has a stable uid, a Prometheus data source variable and no hard-coded data source', () => {
  expect(dashboard.uid).toBe('enjambre-tracker');
  const vars = dashboard.templating.list.map((v: { name: string }) => v.name);
  expect(vars).toEqual(expect.arrayContaining(['datasource', 'job', 'instance']));
  for (const p of panels.filter((x) => x.type !== 'row')) {
    expect((p as unknown as { datasource: { uid: string } }).datasource.uid).toBe('${datasource}');
  }
});

it('lays panels out without overlaps and gives every panel a unique id', () => {
  const ids = panels.map((p) => (p as unknown as { id: number }).id);
  expect(new Set(ids).size).toBe(ids.length);
  for (let i = 0; i < panels.length; i++) {
    for (let j = i + 1; j < panels.length; j++) {
      const a = panels[i].gridPos;
      const b = panels[j].gridPos;
      const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
      expect(overlap ? `${panels[i].title} / ${panels[j].title}` : '').toBe('');
    }
    expect(panels[i].gridPos.x + panels[i].gridPos.w).toBeLessThanOrEqual(24);
  }
});

it('shows what the issue asks for', () => {
  const joined = exprs.join('\n');
  expect(joined).toMatch(/sum by \(protocol\) \(rate\(enjambre_tracker_announces_total/);
  expect(joined).toMatch(/rate\(enjambre_tracker_errors_total/);
  expect(joined).toMatch(
    /histogram_quantile\(0\.99, sum by \(protocol, le\) \(rate\(enjambre_tracker_request_duration_seconds_bucket/,
  );
  expect(joined).toMatch(
    /histogram_quantile\([0-9.]+, .*enjambre_tracker_replication_lag_seconds_bucket/,
  );
  for (const gauge of ['torrents', 'seeders', 'leechers', 'replicas_live']) {
    expect(joined).toContain(`enjambre_tracker_${gauge}{`);
  }
  // What operators ask for beyond that: refusals by reason, each link per peer, the catalog
  // (and its spread between replicas), memory per peer.
  const panel = (title: RegExp) => {
    const found = panels.filter((p) => title.test(p.title));
    expect(found).toHaveLength(1);
    return found[0].targets!.map((t) => t.expr).join('\n');
  };
  expect(panel(/^Refused requests/)).toMatch(
    /^sum by \(protocol, reason\) \(rate\(enjambre_tracker_refused_total\{/,
  );
  expect(panel(/^Replication link state per peer/)).toMatch(
    /^enjambre_tracker_replication_link_up\{/,
  );
  expect(
    (
      panels.find((p) => /link state per peer/.test(p.title))!.targets![0] as {
        legendFormat?: string;
      }
    ).legendFormat,
  ).toContain('{{peer}}');
  expect(panel(/^Catalog entries per replica/)).toMatch(
    /max\(enjambre_tracker_catalog_torrents\{.*\) - min\(enjambre_tracker_catalog_torrents\{/,
  );
  // the replicas' DHT nodes (--dht-port): their size and what they refuse
  expect(panel(/^DHT nodes per replica/)).toMatch(/^enjambre_tracker_dht_nodes\{.*state="all"\}/m);
  expect(panel(/^DHT queries and drops/)).toMatch(
    /sum by \(reason\) \(rate\(enjambre_tracker_dht_dropped_total\{/,
  );
  expect(panel(/^Resident memory per peer/)).toMatch(
    /^process_resident_memory_bytes\{.*\} \/ clamp_min\(enjambre_tracker_seeders\{.*\} \+ enjambre_tracker_leechers\{/,
  );
});

it('has only queries that promtool parses', () => {
  expect(exprs.length).toBeGreaterThan(15);
  expect(() => checkPromql(substituted)).not.toThrow();
  expect(() => checkPromql(['sum(rate(enjambre_tracker_errors_total[1m])'])).toThrow();
});

it('queries only metrics the tracker exports', () => {
  const exported = new Set(families.keys());
  const histograms = new Set(
    [...families].filter(([, type]) => type === 'histogram').map(([n]) => n),
  );
  const used = new Set(exprs.flatMap(metricNames).map((n) => family(n, histograms)));
  used.delete('up'); // Prometheus' own
  expect(used.size).toBeGreaterThan(10);
  expect([...used].filter((n) => !exported.has(n))).toEqual([]);
});

it('is backed by a tracker that exports every agreed metric family with its type', () => {
  for (const m of trackerMetrics)
    expect(`${m.name} ${families.get(m.name)}`).toBe(`${m.name} ${m.type}`);
});
