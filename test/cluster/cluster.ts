// Three tracker replicas as separate processes, each in its own network namespace with its own
// address and host name, configured from the Helm chart as `helm template` renders it (the
// kustomize base renders the same objects: test/deploy/helm-render.test.ts checks it): the
// StatefulSet's environment (ConfigMap, Secret, $(POD_NAME) expansion) and the peers ConfigMap as
// peers file.
// Only what a pod gets from its volumes is moved: the data dir and the peers file live in a temp
// dir. A client agent in a fourth namespace makes the calls.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  containerEnv,
  findObject,
  peersFromConfigMap,
  renderHelm,
  repoRoot,
  type K8sObject,
} from '../deploy/manifests';
import { PrivateNetwork } from './netns';

export interface Replica {
  name: string;
  index: number;
  ns: string;
  address: string;
  env: Record<string, string>;
  dataDir: string;
  logFile: string;
  proc: ChildProcess | null;
}

export class Cluster {
  readonly net: PrivateNetwork;
  readonly replicas: Replica[] = [];
  readonly dir: string;
  readonly objects: K8sObject[];
  readonly grpcPort: number;
  readonly replicationPort: number;
  readonly metricsPort: number;
  /** The network key the operator gives the chart (`--set networkKey.value=...`). */
  readonly networkKey = randomBytes(48).toString('base64');
  readonly peersFile: string;
  private readonly hosts: Record<string, string> = {};
  private agent: ChildProcess | null = null;
  private agentOut = '';
  private pending = new Map<
    number,
    (v: { ok: boolean; result?: unknown; error?: string }) => void
  >();
  private nextId = 1;

  constructor(prefix: string) {
    this.objects = renderHelm({ networkKey: { value: this.networkKey } });
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'enjambre-netns-'));
    const sts = findObject(this.objects, 'StatefulSet');
    const base = containerEnv(this.objects);
    this.grpcPort = Number(base.ENJAMBRE_TRACKER_PORT);
    this.replicationPort = Number(base.ENJAMBRE_TRACKER_REPLICATION_PORT);
    this.metricsPort = Number(base.ENJAMBRE_TRACKER_METRICS_PORT);
    const { peers } = peersFromConfigMap(this.objects);
    this.peersFile = path.join(this.dir, 'peers.json');
    fs.writeFileSync(this.peersFile, JSON.stringify(peers, null, 2));
    this.net = new PrivateNetwork(prefix);
    const hosts = this.hosts;
    for (let i = 0; i < sts.spec.replicas; i++) {
      const name = `${sts.metadata.name}-${i}`;
      const node = this.net.addNode(`r${i}`, 11 + i);
      // The pod's stable name behind the headless Service, as its peers-file entry says.
      hosts[`${name}.${sts.spec.serviceName}`] = node.address;
      hosts[name] = node.address;
      this.replicas.push(this.makeReplica(name, i, node.ns, node.address));
    }
    this.net.addNode('client', 100);
    this.net.setHosts(hosts);
  }

  private makeReplica(
    name: string,
    index: number,
    ns: string,
    address: string,
    extraEnv: Record<string, string> = {},
  ): Replica {
    const env = {
      ...containerEnv(this.objects, { 'metadata.name': name }),
      ENJAMBRE_TRACKER_DATA_DIR: path.join(this.dir, name),
      ENJAMBRE_TRACKER_PEERS_FILE: this.peersFile,
      ENJAMBRE_TRACKER_LOG_LEVEL: 'info',
      ...extraEnv,
    };
    return {
      name,
      index,
      ns,
      address,
      env,
      dataDir: env.ENJAMBRE_TRACKER_DATA_DIR,
      logFile: path.join(this.dir, `${name}.log`),
      proc: null,
    };
  }

  /**
   * `kubectl scale` by one: the next StatefulSet pod (enjambre-tracker-N) on a new node, its name
   * in every node's hosts file. Not started; the peers file is not changed (`writePeers` is the
   * ConfigMap update).
   */
  scaleUp(): Replica {
    const sts = findObject(this.objects, 'StatefulSet');
    const i = this.replicas.filter((r) => r.name.startsWith(`${sts.metadata.name}-`)).length;
    const name = `${sts.metadata.name}-${i}`;
    const node = this.net.addNode(`r${i}`, 11 + i);
    this.hosts[`${name}.${sts.spec.serviceName}`] = node.address;
    this.hosts[name] = node.address;
    this.net.setHosts(this.hosts);
    const r = this.makeReplica(name, i, node.ns, node.address);
    this.replicas.push(r);
    return r;
  }

  /** The ConfigMap update: the peers file for replicas 0..n-1, in the ConfigMap's own format. */
  writePeers(n: number): void {
    const sts = findObject(this.objects, 'StatefulSet');
    const peers: Record<string, { ip: string; port: number }> = {};
    for (let i = 0; i < n; i++) {
      const host = `${sts.metadata.name}-${i}.${sts.spec.serviceName}`;
      peers[`${host}:${this.replicationPort}`] = { ip: host, port: this.replicationPort };
    }
    // Kubernetes swaps the mounted file atomically.
    fs.writeFileSync(`${this.peersFile}.tmp`, JSON.stringify(peers, null, 2));
    fs.renameSync(`${this.peersFile}.tmp`, this.peersFile);
  }

  /** An extra replica outside the manifests (wrong key, say), on its own node. */
  addReplica(name: string, host: number, extraEnv: Record<string, string>): Replica {
    const node = this.net.addNode(name, host);
    const r = this.makeReplica(name, this.replicas.length, node.ns, node.address, {
      ENJAMBRE_TRACKER_ADVERTISE: `${node.address}:${this.replicationPort}`,
      ...extraEnv,
    });
    this.replicas.push(r);
    return r;
  }

  /** The replica's client gRPC address. */
  target(r: Replica): string {
    return `${r.address}:${this.grpcPort}`;
  }

  /** The replica's Replication address (what the peers file lists). */
  replicationTarget(r: Replica): string {
    return `${r.address}:${this.replicationPort}`;
  }

  start(r: Replica): void {
    if (r.proc !== null) throw new Error(`${r.name} is already running`);
    fs.mkdirSync(r.dataDir, { recursive: true });
    const out = fs.openSync(r.logFile, 'a');
    // Only the environment the manifests give the pod (plus PATH to find node).
    r.proc = spawn(
      'ip',
      [
        'netns',
        'exec',
        r.ns,
        process.execPath,
        path.join(repoRoot, 'services/tracker/bin/enjambre-tracker.js'),
      ],
      {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...r.env },
        stdio: ['ignore', out, out],
      },
    );
    fs.closeSync(out);
  }

  kill9(r: Replica): Promise<void> {
    return this.stop(r, 'SIGKILL');
  }

  async stop(r: Replica, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const proc = r.proc;
    if (proc === null || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    await exited;
    r.proc = null;
  }

  log(r: Replica): string {
    try {
      return fs.readFileSync(r.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  startAgent(): void {
    const node = this.net.nodes.get('client')!;
    this.agent = spawn(
      'ip',
      ['netns', 'exec', node.ns, process.execPath, path.join(__dirname, 'agent.cjs')],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
        cwd: repoRoot,
      },
    );
    this.agent.stdout!.on('data', (chunk: Buffer) => {
      this.agentOut += chunk.toString();
      let nl: number;
      while ((nl = this.agentOut.indexOf('\n')) >= 0) {
        const line = this.agentOut.slice(0, nl);
        this.agentOut = this.agentOut.slice(nl + 1);
        const msg = JSON.parse(line) as {
          id: number;
          ok: boolean;
          result?: unknown;
          error?: string;
        };
        this.pending.get(msg.id)?.(msg);
        this.pending.delete(msg.id);
      }
    });
  }

  /** Runs an agent operation; rejects with the agent's error. */
  call<T>(op: string, args: object = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, (msg) =>
        msg.ok ? resolve(msg.result as T) : reject(new Error(msg.error)),
      );
      this.agent!.stdin!.write(JSON.stringify({ id, op, ...args }) + '\n');
    });
  }

  /**
   * One agent operation from inside the replica's own namespace (on its loopback), so a replica cut
   * off from the network can still be asked what it holds. `target` in `args` defaults to the
   * replica's client gRPC port there.
   */
  callInside<T>(r: Replica, op: string, args: object = {}): Promise<T> {
    const agent = spawn(
      'ip',
      ['netns', 'exec', r.ns, process.execPath, path.join(__dirname, 'agent.cjs')],
      { stdio: ['pipe', 'pipe', 'inherit'], cwd: repoRoot },
    );
    let out = '';
    return new Promise<T>((resolve, reject) => {
      agent.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const nl = out.indexOf('\n');
        if (nl < 0) return;
        const msg = JSON.parse(out.slice(0, nl)) as { ok: boolean; result?: T; error?: string };
        agent.stdin!.end();
        if (msg.ok) resolve(msg.result as T);
        else reject(new Error(msg.error));
      });
      agent.once('exit', (code) => reject(new Error(`agent in ${r.ns} exited (${code})`)));
      agent.stdin!.write(
        JSON.stringify({ id: 1, op, target: `127.0.0.1:${this.grpcPort}`, ...args }) + '\n',
      );
    });
  }

  /** The replica's /metrics and /readyz as the client sees them. */
  async metric(r: Replica, name: string): Promise<number> {
    const res = await this.call<{ status: number; text: string }>('http', {
      url: `http://${r.address}:${this.metricsPort}/metrics`,
    });
    let total = 0;
    for (const line of res.text.split('\n')) {
      if (line.startsWith(name + ' ') || line.startsWith(name + '{'))
        total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return total;
  }

  async ready(r: Replica): Promise<boolean> {
    try {
      const res = await this.call<{ status: number }>('http', {
        url: `http://${r.address}:${this.metricsPort}/readyz`,
      });
      return res.status === 200;
    } catch {
      return false;
    }
  }

  async destroy(): Promise<void> {
    for (const r of this.replicas) await this.stop(r, 'SIGKILL');
    if (this.agent && this.agent.exitCode === null) {
      const exited = new Promise((resolve) => this.agent!.once('exit', resolve));
      this.agent.stdin!.end();
      this.agent.kill('SIGKILL');
      await exited;
    }
    // Anything still inside a namespace (a process that escaped its handle) goes too.
    for (const node of this.net.nodes.values()) {
      let pids: string[] = [];
      try {
        pids = execFileSync('ip', ['netns', 'pids', node.ns], { encoding: 'utf8' })
          .split('\n')
          .filter(Boolean);
      } catch {
        // Namespace already gone.
      }
      for (const pid of pids) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // Already exited.
        }
      }
    }
    this.net.destroy();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Builds what the replicas run (the tracker CLI and the generated proto code). */
export function buildTracker(): void {
  execFileSync(
    process.execPath,
    [
      path.join(repoRoot, 'node_modules/typescript/bin/tsc'),
      '-b',
      path.join(repoRoot, 'services/tracker'),
    ],
    { stdio: 'inherit' },
  );
}

export async function until<T>(
  what: string,
  f: () => Promise<T | null | false>,
  timeoutMs = 60_000,
  onTimeout?: () => string,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f().catch(() => null);
    if (v !== null && v !== false) return v as T;
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}${onTimeout ? `\n${onTimeout()}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
