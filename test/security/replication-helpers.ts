// Real tracker replicas for the replication red-team tests: the `enjambre-tracker` command line
// (services/tracker/dist, built by buildTracker) as separate processes on 127.0.0.1 with
// OS-picked ports, and a raw KnowMe client that records every byte the callee sends.
import * as grpc from '@grpc/grpc-js';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { replication } from '@enjambre/proto';
import { repoRoot } from '../deploy/manifests';

const cli = path.join(repoRoot, 'services', 'tracker', 'dist', 'cli.js');

export const KEY = randomBytes(48).toString('base64');

export function buildTracker(): void {
  execFileSync(process.execPath, [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-b'], {
    cwd: path.join(repoRoot, 'services', 'tracker'),
    stdio: 'inherit',
  });
}

export interface Replica {
  child: ChildProcess;
  grpcPort: number;
  metricsPort: number;
  replicationPort: number;
  /** Client gRPC address. */
  client: string;
  /** Replication address. */
  replication: string;
  stop(): Promise<void>;
}

const FREE_PORTS = ['--port', '0', '--http-port', '0', '--udp-port', '0', '--metrics-port', '0'];

/** Runs the CLI until it exits; for starts that must be refused. */
export function runToExit(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [cli, ...FREE_PORTS, '--replication-port', '0', ...args],
      {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c) => (stdout += c));
    child.stderr!.on('data', (c) => (stderr += c));
    // A tracker that did start is a failure of the test, not a hang.
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts a replica and resolves once it reports every port (it is then ready). */
export function startReplica(args: string[], env: Record<string, string> = {}): Promise<Replica> {
  const child = spawn(process.execPath, [cli, ...FREE_PORTS, '--replication-port', '0', ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ENJAMBRE_TRACKER_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c) => (stderr += c));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return new Promise((resolve, reject) => {
    let replicationPort = -1;
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      let entry: {
        msg?: string;
        replicationPort?: number;
        grpcPort?: number;
        metricsPort?: number;
      };
      try {
        entry = JSON.parse(line);
      } catch {
        return;
      }
      if (entry.msg === 'replication listening') replicationPort = entry.replicationPort!;
      if (entry.msg === 'listening') {
        resolve({
          child,
          grpcPort: entry.grpcPort!,
          metricsPort: entry.metricsPort!,
          replicationPort,
          client: `127.0.0.1:${entry.grpcPort}`,
          replication: `127.0.0.1:${replicationPort}`,
          async stop() {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
            await exited;
          },
        });
      }
    });
    child.once('exit', (code) => reject(new Error(`tracker exited with ${code}: ${stderr}`)));
  });
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'enjambre-sec-repl-'));
}

/** Writes a peers file in the manifests' format listing these replication addresses. */
export function writePeers(file: string, ports: number[]): void {
  const peers = Object.fromEntries(
    ports.map((p) => [`127.0.0.1:${p}`, { ip: '127.0.0.1', port: p }]),
  );
  fs.writeFileSync(file, JSON.stringify(peers));
}

/** Sum of a metric's samples from the replica's /metrics (name with or without labels). */
export async function metric(r: Replica, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${r.metricsPort}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`))
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

export interface KnowMeOutcome {
  /** Every message the callee sent, decoded. */
  received: replication.KnowMeResponse[];
  /** The same messages as the bytes that crossed the wire. */
  raw: Buffer[];
  code: grpc.status | null;
  details: string;
}

/**
 * One KnowMe call: writes `first`, then lets `onData` answer each message; resolves with what the
 * callee sent and how the call ended.
 */
export function knowMe(
  target: string,
  first: replication.KnowMeRequest[],
  onData?: (call: grpc.ClientDuplexStream<unknown, unknown>, m: replication.KnowMeResponse) => void,
): Promise<KnowMeOutcome> {
  const client = new replication.ReplicationClient(target, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    const call = client.knowMe({ deadline: Date.now() + 5000 });
    const received: replication.KnowMeResponse[] = [];
    const raw: Buffer[] = [];
    let settled = false;
    const done = (code: grpc.status | null, details: string) => {
      if (settled) return;
      settled = true;
      client.close();
      resolve({ received, raw, code, details });
    };
    call.on('data', (m: replication.KnowMeResponse) => {
      received.push(m);
      raw.push(Buffer.from(replication.KnowMeResponse.encode(m).finish()));
      onData?.(call as grpc.ClientDuplexStream<unknown, unknown>, m);
    });
    call.on('error', (err: grpc.ServiceError) => done(err.code, err.details));
    call.on('end', () => done(null, ''));
    for (const m of first) call.write(m);
  });
}

export function hello(replicaId: Buffer, nonce: Buffer, version = 2): replication.KnowMeRequest {
  return { hello: { replicaId, nonce, advertise: '', version } };
}
