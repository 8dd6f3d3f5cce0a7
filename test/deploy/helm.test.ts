// The Helm chart's sources: values.yaml against values.schema.json (and bad values rejected),
// templates that reference only existing values and defined helpers, balanced template blocks, and
// defaults that agree with the kustomize base. helm-render.test.ts runs the real helm.
import Ajv from 'ajv';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { containerEnv, findObject, renderKustomize, repoRoot } from './manifests';

const chartDir = path.join(repoRoot, 'helm', 'enjambre-tracker');
const read = (f: string) => fs.readFileSync(path.join(chartDir, f), 'utf8');
const values = parse(read('values.yaml'));
const schema = JSON.parse(read('values.schema.json'));
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
const templateFiles = fs.readdirSync(path.join(chartDir, 'templates'));
const templates = Object.fromEntries(
  templateFiles.map((f) => [f, fs.readFileSync(path.join(chartDir, 'templates', f), 'utf8')]),
);

function withChange(change: (v: typeof values) => void): unknown {
  const copy = structuredClone(values);
  change(copy);
  return copy;
}

it('has a v2 Chart.yaml with semantic versions', () => {
  const chart = parse(read('Chart.yaml'));
  expect(chart.apiVersion).toBe('v2');
  expect(chart.name).toBe('enjambre-tracker');
  expect(chart.version).toMatch(/^\d+\.\d+\.\d+$/);
  expect(String(chart.appVersion)).toMatch(/^\d+\.\d+\.\d+$/);
});

it('accepts its own values.yaml', () => {
  expect(validate(values) ? [] : validate.errors).toEqual([]);
});

it('accepts the documented variants', () => {
  const variants = [
    withChange((v) => (v.replicaCount = 5)),
    withChange((v) => (v.tls = { enabled: true, existingSecret: 'tracker-tls' })),
    withChange((v) => (v.networkKey.existingSecret = 'my-key')),
    withChange((v) => (v.networkKey.value = 'x'.repeat(40))),
    withChange(
      (v) => (v.serviceMonitor = { enabled: true, interval: '30s', labels: { release: 'kp' } }),
    ),
    withChange((v) => (v.persistence.storageClassName = 'fast')),
    withChange((v) => (v.dht = { enabled: true, port: 6881, nodePort: 30881, bootstrap: [] })),
    withChange(
      (v) => (v.dht.bootstrap = ['router.example.org:6881', '10.0.0.5:6881', '[fd00::5]:6881']),
    ),
  ];
  for (const v of variants) expect(validate(v) ? [] : validate.errors).toEqual([]);
});

it.each([
  ['no replicas', (v: typeof values) => (v.replicaCount = 0)],
  ['a fractional replica count', (v: typeof values) => (v.replicaCount = 1.5)],
  ['a port out of range', (v: typeof values) => (v.ports.grpc = 70000)],
  ['a port as a string', (v: typeof values) => (v.ports.http = '6969')],
  ['an unknown top-level key', (v: typeof values) => (v.replicas = 3)],
  ['a misspelt nested key', (v: typeof values) => (v.tls.enable = true)],
  ['TLS without a certificate Secret', (v: typeof values) => (v.tls.enabled = true)],
  ['a short network key', (v: typeof values) => (v.networkKey.value = 'secret')],
  [
    'the placeholder network key',
    (v: typeof values) => (v.networkKey.value = 'REPLACE-ME-' + 'x'.repeat(40)),
  ],
  ['a bad pull policy', (v: typeof values) => (v.image.pullPolicy = 'Sometimes')],
  ['a bad memory quantity', (v: typeof values) => (v.resources.limits.memory = 'lots')],
  ['no access modes', (v: typeof values) => (v.persistence.accessModes = [])],
  ['a bad scrape interval', (v: typeof values) => (v.serviceMonitor.interval = 'often')],
  ['a DHT port out of range', (v: typeof values) => (v.dht.port = 70000)],
  ['a DHT bootstrap URL', (v: typeof values) => (v.dht.bootstrap = ['udp://router:6881'])],
  ['a misspelt DHT key', (v: typeof values) => (v.dht.enable = true)],
])('rejects %s', (_name, change) => {
  expect(validate(withChange(change))).toBe(false);
});

it('references only values that exist in values.yaml', () => {
  const missing: string[] = [];
  for (const [file, text] of Object.entries(templates)) {
    for (const m of text.matchAll(/\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) {
      let node: unknown = values;
      for (const key of m[1].slice(1).split('.')) {
        node =
          node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
        if (node === undefined) {
          missing.push(`${file}: .Values${m[1]}`);
          break;
        }
      }
    }
  }
  expect(missing).toEqual([]);
});

it('includes only helpers it defines, and every values key is used by a template', () => {
  const all = Object.values(templates).join('\n');
  const defined = new Set([...all.matchAll(/define "([^"]+)"/g)].map((m) => m[1]));
  const included = new Set([...all.matchAll(/include "([^"]+)"/g)].map((m) => m[1]));
  expect([...included].filter((n) => !defined.has(n))).toEqual([]);
  for (const key of Object.keys(values)) expect(all).toContain(`.Values.${key}`);
});

it('balances template actions and blocks in every template', () => {
  for (const [file, text] of Object.entries(templates)) {
    const opens = (text.match(/\{\{/g) ?? []).length;
    const closes = (text.match(/\}\}/g) ?? []).length;
    expect(`${file}: ${opens}`).toBe(`${file}: ${closes}`);
    let depth = 0;
    for (const m of text.matchAll(/\{\{-?\s*(if|with|range|define|end)\b/g)) {
      depth += m[1] === 'end' ? -1 : 1;
      expect(depth).toBeGreaterThanOrEqual(0);
    }
    expect(`${file}: depth ${depth}`).toBe(`${file}: depth 0`);
  }
});

it('generates the peers ConfigMap from the replica count with range', () => {
  const peers = templates['configmap-peers.yaml'];
  expect(peers).toMatch(/range \$i := until \(int \.Values\.replicaCount\)/);
  expect(peers).toContain('enjambre-tracker.peersService');
  expect(templates['statefulset.yaml']).toContain(
    'serviceName: {{ include "enjambre-tracker.peersService" . }}',
  );
});

it('defaults to the same cluster as the kustomize base', () => {
  const objects = renderKustomize();
  const env = containerEnv(objects);
  const sts = findObject(objects, 'StatefulSet');
  const c = sts.spec.template.spec.containers[0];
  expect(values.replicaCount).toBe(sts.spec.replicas);
  expect(values.ports).toEqual({
    grpc: Number(env.ENJAMBRE_TRACKER_PORT),
    http: Number(env.ENJAMBRE_TRACKER_HTTP_PORT),
    udp: Number(env.ENJAMBRE_TRACKER_UDP_PORT),
    metrics: Number(env.ENJAMBRE_TRACKER_METRICS_PORT),
    replication: Number(env.ENJAMBRE_TRACKER_REPLICATION_PORT),
  });
  expect(values.resources).toEqual(c.resources);
  expect(values.tracker.saveTime).toBe(Number(env.ENJAMBRE_TRACKER_SAVE_TIME));
  expect(values.persistence.size).toBe(
    sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage,
  );
  const stsTemplate = templates['statefulset.yaml'];
  for (const needle of [
    'runAsNonRoot: true',
    'readOnlyRootFilesystem: true',
    `runAsUser: ${sts.spec.template.spec.securityContext.runAsUser}`,
    `mountPath: ${env.ENJAMBRE_TRACKER_DATA_DIR}`,
    'grpc: { port: {{ .Values.ports.grpc }} }',
  ]) {
    expect(stsTemplate).toContain(needle);
  }
  expect(stsTemplate).toContain(
    'value: "$(POD_NAME).{{ include "enjambre-tracker.peersService" . }}:{{ .Values.ports.replication }}"',
  );
  const configMap = templates['configmap.yaml'];
  for (const key of Object.keys(env).filter((k) => !/RED_KEY|POD_NAME|ADVERTISE/.test(k))) {
    expect(configMap).toContain(`${key}:`);
  }
});
