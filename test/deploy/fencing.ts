// What "replication fenced off" means for rendered objects, checked the same way for the kustomize
// base and every Helm variant: each port only on the Service it belongs to, and a NetworkPolicy
// that admits replication only from the tracker's own pods and metrics only from named namespaces.
import { findObject, type K8sObject } from './manifests';

const portNames = (svc: K8sObject): string[] => svc.spec.ports.map((p: { name: string }) => p.name);

/** The Services by role: client, headless (the StatefulSet's serviceName) and metrics. */
export function servicesByRole(
  objects: K8sObject[],
): Record<'client' | 'peers' | 'metrics', K8sObject> {
  const sts = findObject(objects, 'StatefulSet');
  const services = objects.filter((o) => o.kind === 'Service');
  const peers = findObject(objects, 'Service', sts.spec.serviceName);
  const metrics = services.filter(
    (s) => s.metadata.labels?.['app.kubernetes.io/component'] === 'metrics',
  );
  const client = services.filter((s) => s !== peers && !metrics.includes(s));
  if (metrics.length !== 1 || client.length !== 1)
    throw new Error(`expected one metrics and one client Service, found ${services.length} in all`);
  return { client: client[0], peers, metrics: metrics[0] };
}

/** The ports clients reach: the tracker's, and the DHT node's when the pods run one. */
function clientPortNames(objects: K8sObject[]): string[] {
  const pod = findObject(objects, 'StatefulSet').spec.template.spec;
  const dht = pod.containers[0].ports.some((p: { name: string }) => p.name === 'dht');
  return ['grpc', 'http', 'udp', ...(dht ? ['dht'] : [])].sort();
}

/** Throws (through expect) unless each port is only where it belongs. */
export function expectPortsFenced(objects: K8sObject[]): void {
  const { client, peers, metrics } = servicesByRole(objects);
  // Clients get neither the replication nor the metrics port.
  expect(portNames(client).sort()).toEqual(clientPortNames(objects));
  expect(peers.spec.clusterIP).toBe('None');
  expect(peers.spec.publishNotReadyAddresses).toBe(true);
  expect(portNames(peers)).toEqual(['replication']);
  expect(metrics.spec.clusterIP).toBe('None');
  expect(portNames(metrics)).toEqual(['metrics']);
}

/**
 * Throws unless the NetworkPolicy selects the tracker pods, leaves the client ports open, admits
 * replication only from the tracker's pods and metrics only from `metricsNamespaces`.
 */
export function expectNetworkPolicy(objects: K8sObject[], metricsNamespaces: string[]): void {
  const sts = findObject(objects, 'StatefulSet');
  const podLabels = sts.spec.template.metadata.labels;
  const policy = findObject(objects, 'NetworkPolicy');
  expect(policy.spec.policyTypes).toEqual(['Ingress']);
  const selects = (sel: { matchLabels: Record<string, string> }) =>
    Object.keys(sel.matchLabels).length > 0 &&
    Object.entries(sel.matchLabels).every(([k, v]) => podLabels[k] === v);
  expect(selects(policy.spec.podSelector)).toBe(true);
  // The tracker pods are told apart from other pods of the namespace by their component label.
  expect(policy.spec.podSelector.matchLabels['app.kubernetes.io/component']).toBe('tracker');
  const rulesFor = (port: string) =>
    policy.spec.ingress.filter((r: { ports: { port: string }[] }) =>
      r.ports.some((p) => p.port === port),
    );
  for (const port of clientPortNames(objects)) {
    expect(rulesFor(port)).toHaveLength(1);
    expect(rulesFor(port)[0].from).toBeUndefined();
  }
  const [replication] = rulesFor('replication');
  expect(rulesFor('replication')).toHaveLength(1);
  expect(replication.ports).toHaveLength(1);
  expect(replication.from).toHaveLength(1);
  expect(replication.from[0].namespaceSelector).toBeUndefined();
  expect(replication.from[0].ipBlock).toBeUndefined();
  expect(selects(replication.from[0].podSelector)).toBe(true);
  const metrics = rulesFor('metrics');
  if (metricsNamespaces.length === 0) {
    expect(metrics).toHaveLength(0);
  } else {
    expect(metrics).toHaveLength(1);
    expect(metrics[0].ports).toHaveLength(1);
    const names = metrics[0].from.map(
      (peer: {
        podSelector?: unknown;
        namespaceSelector: { matchLabels: Record<string, string> };
      }) => {
        expect(peer.podSelector).toBeUndefined();
        expect(Object.keys(peer.namespaceSelector.matchLabels)).toEqual([
          'kubernetes.io/metadata.name',
        ]);
        return peer.namespaceSelector.matchLabels['kubernetes.io/metadata.name'];
      },
    );
    expect(names).toEqual(metricsNamespaces);
  }
  // Every port the policy names is a container port, and every container port is in a rule.
  const named = sts.spec.template.spec.containers[0].ports.map((p: K8sObject) => p.name).sort();
  const inRules = policy.spec.ingress.flatMap((r: { ports: { port: string }[] }) =>
    r.ports.map((p) => p.port),
  );
  for (const p of inRules) expect(named).toContain(p);
  for (const p of named)
    if (p !== 'metrics' || metricsNamespaces.length > 0) expect(inRules).toContain(p);
}
