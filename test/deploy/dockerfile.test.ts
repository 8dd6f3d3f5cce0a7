// No Docker engine here: parse the tracker's Dockerfile and check what can be checked statically:
// a multi-stage build, a slim non-root runtime, ports and data dir consistent with the manifests,
// and COPY sources that exist in the repository.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { containerEnv, findObject, renderKustomize, repoRoot } from './manifests';

interface Instruction {
  op: string;
  args: string;
}

function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue; // comments inside a continued instruction
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      continue;
    }
    const full = (pending + line).trim();
    pending = '';
    const m = /^([A-Za-z]+)\s+(.*)$/.exec(full);
    if (!m) throw new Error(`unparsable Dockerfile line: ${full}`);
    out.push({ op: m[1].toUpperCase(), args: m[2].replace(/\s+/g, ' ') });
  }
  if (pending !== '') throw new Error('Dockerfile ends inside a continued line');
  return out;
}

const dockerfile = path.join(repoRoot, 'deploy', 'docker', 'Dockerfile');
const instructions = parseDockerfile(fs.readFileSync(dockerfile, 'utf8'));
const stages: Instruction[][] = [];
for (const i of instructions) {
  if (i.op === 'FROM') stages.push([]);
  else if (stages.length === 0) throw new Error(`${i.op} before FROM`);
  stages[stages.length - 1].push(i);
}
const froms = instructions.filter((i) => i.op === 'FROM').map((i) => i.args);
const runtime = stages[stages.length - 1];
const objects = renderKustomize();

it('is a multi-stage build on a supported Node LTS, the exact release CI tests the tracker under', () => {
  expect(stages.length).toBeGreaterThanOrEqual(2);
  // Node 20's support ended in April 2026; scripts/test-node24.sh runs the tracker's and the
  // engine's tests under this release, and every stage uses it (LevelDB's native module is built
  // in one stage and loaded in another).
  const ci = /^NODE_VERSION=(\S+)$/m.exec(
    fs.readFileSync(path.join(repoRoot, 'scripts', 'test-node24.sh'), 'utf8'),
  )![1];
  expect(ci).toMatch(/^(24|26)\./);
  for (const from of froms)
    expect(from).toMatch(new RegExp(`^node:${ci.replaceAll('.', '\\.')}-bookworm-slim( |$)`));
  expect(froms[froms.length - 1]).toMatch(/slim/);
  const known = new Set([
    'ARG',
    'ENV',
    'WORKDIR',
    'COPY',
    'RUN',
    'USER',
    'VOLUME',
    'EXPOSE',
    'ENTRYPOINT',
    'CMD',
    'LABEL',
  ]);
  for (const i of instructions.filter((x) => x.op !== 'FROM')) expect(known).toContain(i.op);
});

it('compiles with npm ci and tsc in a build stage and installs only production deps for runtime', () => {
  const runs = instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
  expect(runs.some((r) => /npm ci\b/.test(r) && !/--omit=dev/.test(r))).toBe(true);
  expect(runs.some((r) => /tsc -b/.test(r))).toBe(true);
  expect(runs.some((r) => /npm ci\b.*--omit=dev/.test(r))).toBe(true);
  // The runtime takes node_modules only from the production-deps stage.
  const nodeModules = runtime.filter((i) => i.op === 'COPY' && / node_modules$/.test(i.args));
  expect(nodeModules).toHaveLength(1);
  const from = /--from=(\S+)/.exec(nodeModules[0].args)?.[1];
  const stageName = (s: string) => / AS (\S+)$/i.exec(s)?.[1];
  const depsStage = froms.findIndex((f) => stageName(f) === from);
  const depsRuns = stages[depsStage].filter((i) => i.op === 'RUN').map((i) => i.args);
  expect(depsRuns.some((r) => /--omit=dev/.test(r))).toBe(true);
  expect(runtime.some((i) => i.op === 'RUN' && /npm (ci|install)/.test(i.args))).toBe(false);
});

it('runs as the same non-root user as the StatefulSet', () => {
  const users = runtime.filter((i) => i.op === 'USER');
  expect(users.length).toBeGreaterThanOrEqual(1);
  const [uid, gid] = users[users.length - 1].args.split(':').map(Number);
  const pod = findObject(objects, 'StatefulSet').spec.template.spec;
  expect(uid).toBeGreaterThan(0);
  expect(uid).toBe(pod.securityContext.runAsUser);
  expect(gid).toBe(pod.securityContext.runAsGroup);
});

it('exposes the ports and the data volume the manifests configure', () => {
  const env = containerEnv(objects);
  const exposed = runtime
    .filter((i) => i.op === 'EXPOSE')
    .flatMap((i) => i.args.split(' '))
    .sort();
  expect(exposed).toEqual(
    [
      `${env.ENJAMBRE_TRACKER_PORT}/tcp`,
      `${env.ENJAMBRE_TRACKER_HTTP_PORT}/tcp`,
      `${env.ENJAMBRE_TRACKER_UDP_PORT}/udp`,
      `${env.ENJAMBRE_TRACKER_METRICS_PORT}/tcp`,
      `${env.ENJAMBRE_TRACKER_REPLICATION_PORT}/tcp`,
    ].sort(),
  );
  const volume = runtime.find((i) => i.op === 'VOLUME');
  expect(JSON.parse(volume!.args)).toEqual([env.ENJAMBRE_TRACKER_DATA_DIR]);
});

it('starts the tracker CLI that the tracker package declares as its bin', () => {
  const pkg = JSON.parse(
    fs.readFileSync(path.join(repoRoot, 'services', 'tracker', 'package.json'), 'utf8'),
  );
  const entry = JSON.parse(runtime.find((i) => i.op === 'ENTRYPOINT')!.args);
  expect(entry[0]).toBe('node');
  expect(entry[1]).toBe(path.posix.join('services/tracker', pkg.bin['enjambre-tracker']));
});

it('copies only paths that exist in the repository, and the build context ignores node_modules', () => {
  for (const i of instructions.filter((x) => x.op === 'COPY' && !x.args.startsWith('--from'))) {
    const parts = i.args.split(' ');
    for (const src of parts.slice(0, -1))
      expect(fs.existsSync(path.join(repoRoot, src))).toBe(true);
  }
  const ignore = fs.readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8').split('\n');
  expect(ignore).toContain('**/node_modules');
  expect(ignore).toContain('**/dist');
});
