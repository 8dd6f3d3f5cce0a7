// The kustomize base (and its overlays) render with the real kubectl, every object validates
// against the Kubernetes schemas, and the pieces agree with each other and with the tracker flags.
import * as path from 'node:path';
import { networkKeyBytes } from '../../services/tracker/src/replication/auth';
import {
  K8sObject,
  containerEnv,
  findObject,
  kustomizeDir,
  peersFromConfigMap,
  renderKustomize,
} from './manifests';
import { expectNetworkPolicy, expectPortsFenced, servicesByRole } from './fencing';
import { validateObject } from './schemas';

const variants = {
  base: kustomizeDir,
  monitoring: path.join(kustomizeDir, 'overlays', 'monitoring'),
  tls: path.join(kustomizeDir, 'overlays', 'tls'),
};
const rendered = Object.fromEntries(
  Object.entries(variants).map(([name, dir]) => [name, renderKustomize(dir)]),
) as Record<keyof typeof variants, K8sObject[]>;

describe.each(Object.keys(variants) as (keyof typeof variants)[])('kustomize %s', (variant) => {
  const objects = rendered[variant];

  it('renders only objects that validate against their schemas', () => {
    expect(objects.length).toBeGreaterThanOrEqual(7);
    for (const o of objects) expect(() => validateObject(o)).not.toThrow();
  });

  it('has unique names per kind and common labels on every object', () => {
    const keys = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const o of objects.filter((x) => x.kind !== 'ServiceMonitor')) {
      expect(o.metadata.labels?.['app.kubernetes.io/name']).toBe('enjambre-tracker');
    }
  });

  it('runs non-root with a read-only root filesystem and only the data and tmp volumes writable', () => {
    const pod = findObject(objects, 'StatefulSet').spec.template.spec;
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    const c = pod.containers[0];
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(c.securityContext.allowPrivilegeEscalation).toBe(false);
    expect(c.securityContext.capabilities.drop).toEqual(['ALL']);
    const writable = c.volumeMounts.filter((m: { readOnly?: boolean }) => !m.readOnly);
    expect(writable.map((m: { name: string }) => m.name).sort()).toEqual(['data', 'tmp']);
    const env = containerEnv(objects);
    const dataMount = c.volumeMounts.find((m: { name: string }) => m.name === 'data');
    expect(env.ENJAMBRE_TRACKER_DATA_DIR).toBe(dataMount.mountPath);
    expect(c.resources.requests.cpu).toBeDefined();
    expect(c.resources.requests.memory).toBeDefined();
    expect(c.resources.limits.memory).toBeDefined();
  });

  it('keeps LevelDB data in a volumeClaimTemplate', () => {
    const sts = findObject(objects, 'StatefulSet');
    const claims = sts.spec.volumeClaimTemplates.map((t: K8sObject) => t.metadata.name);
    expect(claims).toEqual(['data']);
    expect(sts.spec.template.spec.volumes.map((v: { name: string }) => v.name)).not.toContain(
      'data',
    );
  });

  it('probes health the way the TLS setting allows', () => {
    const c = findObject(objects, 'StatefulSet').spec.template.spec.containers[0];
    const env = containerEnv(objects);
    for (const probe of [c.startupProbe, c.readinessProbe, c.livenessProbe]) {
      if (variant === 'tls') {
        // Native gRPC probes cannot speak TLS: the HTTP health endpoints on the metrics port.
        expect(probe.httpGet.port).toBe('metrics');
        expect(['/healthz', '/readyz']).toContain(probe.httpGet.path);
      } else {
        expect(probe.grpc.port).toBe(Number(env.ENJAMBRE_TRACKER_PORT));
        expect(probe.httpGet).toBeUndefined();
      }
    }
    expect(c.startupProbe.failureThreshold * c.startupProbe.periodSeconds).toBeGreaterThanOrEqual(
      60,
    );
  });

  it('uses the same ports in the flags, the container and the Services, each port only where it belongs', () => {
    const sts = findObject(objects, 'StatefulSet');
    const c = sts.spec.template.spec.containers[0];
    const env = containerEnv(objects);
    const containerPorts = Object.fromEntries(
      c.ports.map((p: { name: string; containerPort: number; protocol: string }) => [
        p.name,
        { port: p.containerPort, protocol: p.protocol },
      ]),
    );
    expect(containerPorts).toEqual({
      grpc: { port: Number(env.ENJAMBRE_TRACKER_PORT), protocol: 'TCP' },
      http: { port: Number(env.ENJAMBRE_TRACKER_HTTP_PORT), protocol: 'TCP' },
      udp: { port: Number(env.ENJAMBRE_TRACKER_UDP_PORT), protocol: 'UDP' },
      metrics: { port: Number(env.ENJAMBRE_TRACKER_METRICS_PORT), protocol: 'TCP' },
      replication: { port: Number(env.ENJAMBRE_TRACKER_REPLICATION_PORT), protocol: 'TCP' },
    });
    expectPortsFenced(objects);
    const { client, peers: headless, metrics } = servicesByRole(objects);
    for (const svc of [client, headless, metrics]) {
      for (const p of svc.spec.ports) {
        expect(containerPorts[p.targetPort]).toEqual({ port: p.port, protocol: p.protocol });
      }
      // Every selector label is on the pod template.
      for (const [k, v] of Object.entries(svc.spec.selector)) {
        expect(sts.spec.template.metadata.labels[k]).toBe(v);
      }
    }
  });

  it('fences replication off with a NetworkPolicy: only tracker pods reach it, only named namespaces scrape', () => {
    expectNetworkPolicy(objects, ['monitoring']);
  });

  it('lists every replica in the peers ConfigMap by its stable name behind the headless Service', () => {
    const sts = findObject(objects, 'StatefulSet');
    const env = containerEnv(objects);
    const { fileName, mountDir, peers } = peersFromConfigMap(objects);
    expect(env.ENJAMBRE_TRACKER_PEERS_FILE).toBe(`${mountDir}/${fileName}`);
    // Mounted as a directory: a subPath mount would never see ConfigMap updates.
    const mount = sts.spec.template.spec.containers[0].volumeMounts.find(
      (m: { mountPath: string }) => m.mountPath === mountDir,
    );
    expect(mount.subPath).toBeUndefined();
    const expected: Record<string, { ip: string; port: number }> = {};
    for (let i = 0; i < sts.spec.replicas; i++) {
      const host = `${sts.metadata.name}-${i}.${sts.spec.serviceName}`;
      expected[`${host}:${env.ENJAMBRE_TRACKER_REPLICATION_PORT}`] = {
        ip: host,
        port: Number(env.ENJAMBRE_TRACKER_REPLICATION_PORT),
      };
    }
    expect(peers).toEqual(expected);
    // Each pod advertises itself under its own peers-file name.
    for (let i = 0; i < sts.spec.replicas; i++) {
      const podEnv = containerEnv(objects, { 'metadata.name': `${sts.metadata.name}-${i}` });
      expect(Object.keys(peers)).toContain(podEnv.ENJAMBRE_TRACKER_ADVERTISE);
    }
  });

  it('takes the network key from the Secret and never from the ConfigMap, and ships no usable key', () => {
    const c = findObject(objects, 'StatefulSet').spec.template.spec.containers[0];
    const keyEnv = c.env.find((e: { name: string }) => e.name === 'ENJAMBRE_TRACKER_RED_KEY');
    const secret = findObject(objects, 'Secret', keyEnv.valueFrom.secretKeyRef.name);
    // The shipped value is a placeholder the tracker refuses (test/security has it refused by a
    // real tracker process).
    expect(() => networkKeyBytes(containerEnv(objects).ENJAMBRE_TRACKER_RED_KEY)).toThrow(
      /placeholder/,
    );
    expect(secret.type).toBe('Opaque');
    for (const cm of objects.filter((o) => o.kind === 'ConfigMap')) {
      expect(Object.keys(cm.data).join(' ')).not.toMatch(/RED_KEY|red-key/i);
    }
  });

  it('limits voluntary disruptions to one replica', () => {
    const sts = findObject(objects, 'StatefulSet');
    const pdb = findObject(objects, 'PodDisruptionBudget');
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual(sts.spec.selector.matchLabels);
    expect(sts.spec.replicas).toBe(3);
  });
});

it('adds a ServiceMonitor only in the monitoring overlay, selecting only the metrics Service', () => {
  expect(rendered.base.some((o) => o.kind === 'ServiceMonitor')).toBe(false);
  const sm = findObject(rendered.monitoring, 'ServiceMonitor');
  const selected = rendered.monitoring.filter(
    (o) =>
      o.kind === 'Service' &&
      Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => o.metadata.labels?.[k] === v),
  );
  expect(selected.map((o) => o.metadata.name)).toEqual(['enjambre-tracker-metrics']);
  expect(selected[0].spec.ports.map((p: { name: string }) => p.name)).toEqual([
    sm.spec.endpoints[0].port,
  ]);
});

it('turns on TLS in the tls overlay from a kubernetes.io/tls Secret volume', () => {
  const env = containerEnv(rendered.tls);
  expect(env.ENJAMBRE_TRACKER_TLS).toBe('true');
  const pod = findObject(rendered.tls, 'StatefulSet').spec.template.spec;
  const tlsVolume = pod.volumes.find((v: { name: string }) => v.name === 'tls');
  const mount = pod.containers[0].volumeMounts.find((m: { name: string }) => m.name === 'tls');
  expect(env.ENJAMBRE_TRACKER_TLS_CERT).toBe(`${mount.mountPath}/tls.crt`);
  expect(env.ENJAMBRE_TRACKER_TLS_KEY).toBe(`${mount.mountPath}/tls.key`);
  expect(tlsVolume.secret.secretName).toBe('enjambre-tracker-tls');
});

it('rejects an object that breaks its schema (the validation is real)', () => {
  const sts = structuredClone(findObject(rendered.base, 'StatefulSet'));
  sts.spec.template.spec.containers[0].ports[0].containerPort = 'grpc';
  expect(() => validateObject(sts)).toThrow(/containerPort/);
  const sm = structuredClone(findObject(rendered.monitoring, 'ServiceMonitor'));
  sm.spec.endpoints[0].prot = 'metrics';
  expect(() => validateObject(sm)).toThrow(/additional/);
});
