// The Helm chart with the real helm (4.1.4, installed by scripts/test-deps.sh from an npm
// package): `helm lint` on every documented variant, every object of `helm template` validated
// with the kustomize test's schema checks, bad values refused by `helm template`, replication
// fenced off in every variant, and the default render equivalent to the kustomize base.
import { networkKeyBytes } from '../../services/tracker/src/replication/auth';
import { expectNetworkPolicy, expectPortsFenced, servicesByRole } from './fencing';
import {
  K8sObject,
  chartDir,
  containerEnv,
  findObject,
  peersFromConfigMap,
  renderHelm,
  renderKustomize,
  runHelm,
  secretData,
} from './manifests';
import { validateObject } from './schemas';

const variants: Record<string, object> = {
  default: {},
  tls: { tls: { enabled: true, existingSecret: 'tracker-tls' } },
  serviceMonitor: { serviceMonitor: { enabled: true, interval: '30s', labels: { release: 'kp' } } },
  '5 replicas': { replicaCount: 5 },
  'an existing key Secret': { networkKey: { existingSecret: 'my-key', existingSecretKey: 'k' } },
  'metrics from two namespaces': {
    networkPolicy: { metricsNamespaces: ['monitoring', 'observability'] },
  },
  'no NetworkPolicy': { networkPolicy: { enabled: false } },
  LoadBalancer: { service: { type: 'LoadBalancer', loadBalancerSourceRanges: ['0.0.0.0/0'] } },
  NodePort: { service: { type: 'NodePort', nodePorts: { http: 30969, udp: 30969, grpc: 30168 } } },
  Ingress: {
    ingress: {
      enabled: true,
      className: 'nginx',
      tlsSecret: 'tracker-tls',
      grpc: { enabled: true },
    },
    tracker: { trustedProxies: ['10.244.0.0/16', 'fd00:10:244::/56'] },
  },
  autoscaling: { autoscaling: { enabled: true, announcesPerSecond: { enabled: true } } },
  DHT: { dht: { enabled: true, port: 6881, bootstrap: ['router.example.org:6881'] } },
  'DHT on a NodePort': {
    service: { type: 'NodePort', nodePorts: { udp: 30969 } },
    dht: { enabled: true, port: 6882, nodePort: 30881 },
  },
  everything: {
    service: { type: 'LoadBalancer' },
    ingress: { enabled: true, grpc: { enabled: true } },
    tracker: { trustedProxies: ['10.0.0.0/8'] },
    autoscaling: { enabled: true, minReplicas: 5, maxReplicas: 20 },
    replicaCount: 5,
    tls: { enabled: true, existingSecret: 'tracker-tls' },
    serviceMonitor: { enabled: true },
    networkKey: { value: 'v'.repeat(48) },
    persistence: { storageClassName: 'fast' },
    dht: { enabled: true },
  },
};
const rendered = Object.fromEntries(
  Object.entries(variants).map(([name, values]) => [name, renderHelm(values)]),
) as Record<string, K8sObject[]>;

describe.each(Object.keys(variants))('helm chart, %s', (variant) => {
  const values = variants[variant] as {
    replicaCount?: number;
    autoscaling?: { enabled?: boolean };
    networkPolicy?: { enabled?: boolean; metricsNamespaces?: string[] };
    networkKey?: { existingSecret?: string; value?: string };
  };
  const objects = rendered[variant];

  it('passes helm lint --strict', () => {
    const r = runHelm(['lint', '--strict', chartDir], values);
    expect(`${r.stdout}${r.stderr}`).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    expect(r.status).toBe(0);
  });

  it('renders only objects that validate against their schemas, each name once per kind', () => {
    expect(objects.length).toBeGreaterThanOrEqual(8);
    for (const o of objects) expect(() => validateObject(o)).not.toThrow();
    const keys = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('fences replication and metrics off from clients', () => {
    expectPortsFenced(objects);
    if (values.networkPolicy?.enabled === false) {
      expect(objects.some((o) => o.kind === 'NetworkPolicy')).toBe(false);
    } else {
      expectNetworkPolicy(objects, values.networkPolicy?.metricsNamespaces ?? ['monitoring']);
    }
  });

  it('lists every replica at its replication port, and each pod advertises its own entry', () => {
    const sts = findObject(objects, 'StatefulSet');
    const env = containerEnv(objects);
    const n = values.replicaCount ?? 3;
    // With autoscaling the HPA owns the count; the peers ConfigMap still lists replicaCount.
    expect(sts.spec.replicas).toBe(values.autoscaling?.enabled ? undefined : n);
    const { peers } = peersFromConfigMap(objects);
    const port = Number(env.ENJAMBRE_TRACKER_REPLICATION_PORT);
    expect(port).not.toBe(Number(env.ENJAMBRE_TRACKER_PORT));
    const expected: Record<string, { ip: string; port: number }> = {};
    for (let i = 0; i < n; i++) {
      const host = `${sts.metadata.name}-${i}.${sts.spec.serviceName}`;
      expected[`${host}:${port}`] = { ip: host, port };
      const podEnv = containerEnv(objects, { 'metadata.name': `${sts.metadata.name}-${i}` });
      expect(podEnv.ENJAMBRE_TRACKER_ADVERTISE).toBe(`${host}:${port}`);
    }
    expect(peers).toEqual(expected);
  });

  it('gives the replicas a network key the tracker accepts, from the chart or the named Secret', () => {
    const c = findObject(objects, 'StatefulSet').spec.template.spec.containers[0];
    const ref = c.env.find((e: { name: string }) => e.name === 'ENJAMBRE_TRACKER_RED_KEY').valueFrom
      .secretKeyRef;
    if (values.networkKey?.existingSecret) {
      expect(ref.name).toBe(values.networkKey.existingSecret);
      expect(objects.some((o) => o.kind === 'Secret')).toBe(false);
    } else {
      const key = secretData(findObject(objects, 'Secret', ref.name))[ref.key];
      expect(() => networkKeyBytes(key)).not.toThrow();
      if (values.networkKey?.value) expect(key).toBe(values.networkKey.value);
    }
  });
});

it('generates a different key per install (helm template has no cluster to look one up in)', () => {
  const key = (objects: K8sObject[]) => secretData(findObject(objects, 'Secret'))['red-key'];
  expect(key(renderHelm())).not.toBe(key(rendered.default));
});

it('adds a ServiceMonitor only when asked, selecting only the metrics Service', () => {
  expect(rendered.default.some((o) => o.kind === 'ServiceMonitor')).toBe(false);
  const objects = rendered.serviceMonitor;
  const sm = findObject(objects, 'ServiceMonitor');
  expect(sm.metadata.labels?.release).toBe('kp');
  expect(sm.spec.endpoints[0].interval).toBe('30s');
  const selected = objects.filter(
    (o) =>
      o.kind === 'Service' &&
      Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => o.metadata.labels?.[k] === v),
  );
  expect(selected).toEqual([servicesByRole(objects).metrics]);
});

it('runs a DHT node only when asked: flags, a UDP container port, the client Service and the policy', () => {
  const off = containerEnv(rendered.default);
  expect(off.ENJAMBRE_TRACKER_DHT_PORT).toBeUndefined();
  expect(off.ENJAMBRE_TRACKER_DHT_BOOTSTRAP).toBeUndefined();

  const objects = rendered.DHT;
  const env = containerEnv(objects);
  const sts = findObject(objects, 'StatefulSet');
  expect(env.ENJAMBRE_TRACKER_DHT_PORT).toBe('6881');
  // every replica by its stable name, then the extra nodes
  const replicas = [0, 1, 2].map((i) => `${sts.metadata.name}-${i}.${sts.spec.serviceName}:6881`);
  expect(env.ENJAMBRE_TRACKER_DHT_BOOTSTRAP).toBe(
    [...replicas, 'router.example.org:6881'].join(','),
  );
  const port = sts.spec.template.spec.containers[0].ports.find(
    (p: { name: string }) => p.name === 'dht',
  );
  expect(port).toEqual({ name: 'dht', containerPort: 6881, protocol: 'UDP' });
  const client = servicesByRole(objects).client;
  expect(client.spec.ports.find((p: { name: string }) => p.name === 'dht')).toEqual({
    name: 'dht',
    port: 6881,
    targetPort: 'dht',
    protocol: 'UDP',
  });
  const policy = findObject(objects, 'NetworkPolicy');
  expect(
    policy.spec.ingress.filter((r: { ports: { port: string; protocol: string }[] }) =>
      r.ports.some((p) => p.port === 'dht' && p.protocol === 'UDP'),
    ),
  ).toHaveLength(1);

  const nodePort = servicesByRole(rendered['DHT on a NodePort']).client;
  expect(nodePort.spec.ports.find((p: { name: string }) => p.name === 'dht').nodePort).toBe(30881);
});

it('with TLS mounts the certificate Secret and probes over the metrics port', () => {
  const objects = rendered.tls;
  const env = containerEnv(objects);
  expect(env.ENJAMBRE_TRACKER_TLS).toBe('true');
  const pod = findObject(objects, 'StatefulSet').spec.template.spec;
  expect(pod.volumes.find((v: { name: string }) => v.name === 'tls').secret.secretName).toBe(
    'tracker-tls',
  );
  const c = pod.containers[0];
  for (const probe of [c.startupProbe, c.readinessProbe, c.livenessProbe]) {
    expect(probe.httpGet.port).toBe('metrics');
    expect(probe.grpc).toBeUndefined();
  }
});

it('autoscales only when asked: CPU and announces per second, scale-down held back and one by one', () => {
  expect(rendered.default.some((o) => o.kind === 'HorizontalPodAutoscaler')).toBe(false);
  const objects = rendered.autoscaling;
  const hpa = findObject(objects, 'HorizontalPodAutoscaler');
  const sts = findObject(objects, 'StatefulSet');
  expect(hpa.spec.scaleTargetRef).toEqual({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    name: sts.metadata.name,
  });
  expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).toEqual([3, 10]);
  expect(hpa.spec.metrics).toEqual([
    {
      type: 'Resource',
      resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
    },
    {
      type: 'Pods',
      pods: {
        metric: { name: 'enjambre_tracker_announces_per_second' },
        target: { type: 'AverageValue', averageValue: '500' },
      },
    },
  ]);
  expect(hpa.spec.behavior.scaleDown.stabilizationWindowSeconds).toBe(600);
  expect(hpa.spec.behavior.scaleDown.policies).toEqual([
    { type: 'Pods', value: 1, periodSeconds: 120 },
  ]);
  // The HPA never takes more than the PodDisruptionBudget allows down at once.
  expect(findObject(objects, 'PodDisruptionBudget').spec.maxUnavailable).toBe(1);
  // CPU utilisation needs a CPU request to be measured against.
  expect(sts.spec.template.spec.containers[0].resources.requests.cpu).toBeDefined();
  const cpuOnly = findObject(
    renderHelm({ autoscaling: { enabled: true } }),
    'HorizontalPodAutoscaler',
  );
  expect(cpuOnly.spec.metrics.map((m: { type: string }) => m.type)).toEqual(['Resource']);
});

it.each([
  [
    'fewer autoscaled replicas than the peers ConfigMap lists',
    { replicaCount: 5, autoscaling: { enabled: true, minReplicas: 3 } },
    /at least replicaCount/,
  ],
  [
    'maxReplicas below minReplicas',
    { autoscaling: { enabled: true, minReplicas: 4, maxReplicas: 3 } },
    /at least autoscaling.minReplicas/,
  ],
  [
    'a DHT port that is the UDP tracker port',
    { dht: { enabled: true, port: 6969 } },
    /dht.port must differ from ports.udp/,
  ],
  [
    'autoscaling without a metric',
    { autoscaling: { enabled: true, targetCPUUtilizationPercentage: 0 } },
    /needs a metric/,
  ],
])('helm template refuses %s', (_name, values, message) => {
  const r = runHelm(['template', 't', chartDir], values);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(message);
  expect(r.stdout).toBe('');
});

it.each([
  ['an unknown Service type', { service: { type: 'ExternalName' } }],
  ['a bad externalTrafficPolicy', { service: { externalTrafficPolicy: 'Nearest' } }],
  ['a node port out of the node-port range', { service: { nodePorts: { udp: 6969 } } }],
  ['a trusted proxy that is not a CIDR', { tracker: { trustedProxies: ['the ingress'] } }],
  ['an Ingress host that is not a host name', { ingress: { host: 'http://tracker' } }],
  ['a bad autoscaling metric name', { autoscaling: { announcesPerSecond: { metricName: 'a b' } } }],
  [
    'a scale-down window as a string',
    { autoscaling: { scaleDown: { stabilizationWindowSeconds: '600' } } },
  ],
  ['no replicas', { replicaCount: 0 }],
  ['a fractional replica count', { replicaCount: 1.5 }],
  ['a port out of range', { ports: { replication: 70000 } }],
  ['a port as a string', { ports: { http: '6969' } }],
  ['an unknown top-level key', { replicas: 3 }],
  ['a misspelt nested key', { tls: { enable: true } }],
  ['TLS without a certificate Secret', { tls: { enabled: true } }],
  ['a short network key', { networkKey: { value: 'secret' } }],
  ['the placeholder network key', { networkKey: { value: 'REPLACE-ME-' + 'x'.repeat(40) } }],
  ['a bad pull policy', { image: { pullPolicy: 'Sometimes' } }],
  ['a bad memory quantity', { resources: { limits: { memory: 'lots' } } }],
  ['a bad scrape interval', { serviceMonitor: { interval: 'often' } }],
  ['a DHT port out of range', { dht: { enabled: true, port: 0 } }],
  ['a DHT bootstrap node without a port', { dht: { bootstrap: ['router.example.org'] } }],
  ['a DHT node port out of the node-port range', { dht: { nodePort: 6881 } }],
  ['a namespace name that is not one', { networkPolicy: { metricsNamespaces: ['Not_A_Name'] } }],
])('helm template refuses %s', (_name, values) => {
  const r = runHelm(['template', 't', chartDir], values);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/values don't meet the specifications of the schema/);
  expect(r.stdout).toBe('');
});

it('renders the same cluster as the kustomize base', () => {
  const helm = rendered.default;
  const kustomize = renderKustomize();
  const kinds = (objects: K8sObject[]) =>
    objects.map((o) => `${o.apiVersion} ${o.kind}/${o.metadata.name}`).sort();
  expect(kinds(helm)).toEqual(kinds(kustomize));
  // Every flag the same, but the key (a generated key here, a refused placeholder there).
  const env = (objects: K8sObject[]) => {
    const { ENJAMBRE_TRACKER_RED_KEY: _key, ...rest } = containerEnv(objects, {
      'metadata.name': 'enjambre-tracker-1',
    });
    return rest;
  };
  expect(env(helm)).toEqual(env(kustomize));
  expect(peersFromConfigMap(helm).peers).toEqual(peersFromConfigMap(kustomize).peers);
  // The pod the same but for its labels, annotations and the image tag.
  const pod = (objects: K8sObject[]) => {
    const sts = findObject(objects, 'StatefulSet');
    const spec = structuredClone(sts.spec.template.spec);
    delete spec.affinity;
    for (const c of spec.containers) delete c.image;
    return { spec, claims: sts.spec.volumeClaimTemplates.map((t: K8sObject) => t.spec) };
  };
  expect(pod(helm)).toEqual(pod(kustomize));
  // Services and the NetworkPolicy the same but for the label values in their selectors.
  const withoutLabels = (o: unknown): unknown =>
    JSON.parse(
      JSON.stringify(o, (k, v) =>
        k === 'matchLabels' || (k === 'selector' && !('matchLabels' in v))
          ? { 'app.kubernetes.io/component': v['app.kubernetes.io/component'] }
          : v,
      ),
    );
  for (const kind of ['Service', 'NetworkPolicy', 'PodDisruptionBudget']) {
    const specs = (objects: K8sObject[]) =>
      objects
        .filter((o) => o.kind === kind)
        .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
        .map((o) => withoutLabels(o.spec));
    expect(specs(helm)).toEqual(specs(kustomize));
  }
});

it('the fencing checks are real: a metrics or replication port on the client Service fails them', () => {
  for (const name of ['metrics', 'replication']) {
    const objects = structuredClone(rendered.default);
    const client = servicesByRole(objects).client;
    client.spec.ports.push({ name, port: 1, targetPort: name, protocol: 'TCP' });
    expect(() => expectPortsFenced(objects)).toThrow();
  }
  const open = structuredClone(rendered.default);
  const policy = findObject(open, 'NetworkPolicy');
  delete policy.spec.ingress[1].from;
  expect(() => expectNetworkPolicy(open, ['monitoring'])).toThrow();
  // a DHT port on the client Service but not in the pods, or not open in the policy, fails them
  const stray = structuredClone(rendered.default);
  servicesByRole(stray).client.spec.ports.push({ name: 'dht', port: 6881, protocol: 'UDP' });
  expect(() => expectPortsFenced(stray)).toThrow();
  const closed = structuredClone(rendered.DHT);
  const rule = findObject(closed, 'NetworkPolicy').spec.ingress[0];
  rule.ports = rule.ports.filter((p: { port: string }) => p.port !== 'dht');
  expect(() => expectNetworkPolicy(closed, ['monitoring'])).toThrow();
});
