import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const BIN = join(__dirname, '..', '..', 'client', 'bridge', 'bin', 'enjambre.js');

export interface StartedBridge {
  /** The GUI URL with the token, as `enjambre start` prints it. */
  url: string;
  origin: string;
  token: string;
  tracker?: { grpc: string; http: string; udp: string };
  /** The peer port (also the DHT's UDP port by default). */
  listenPort: number;
  process: ChildProcess;
  /** Calls the bridge's REST API with the token. */
  api<T>(method: string, path: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

/** Runs a real `enjambre start` and waits for the line that says where its GUI is. */
export async function startBridge(args: string[]): Promise<StartedBridge> {
  const child = spawn(
    process.execPath,
    [BIN, 'start', '--json', '--api-port', '0', '--port', '0', ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const lines = createInterface({ input: child.stdout! });
  const started = await new Promise<{
    url: string;
    tracker?: StartedBridge['tracker'];
    listenPort: number;
  }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bridge did not start: ${stderr}`)), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bridge exited with ${code}: ${stderr}`));
    });
    lines.on('line', (line) => {
      try {
        const rec = JSON.parse(line) as { event?: string; url: string; listenPort: number };
        if (rec.event === 'started') {
          clearTimeout(timer);
          resolve(rec);
        }
      } catch {
        // not a JSON record
      }
    });
  });
  const url = new URL(started.url);
  const token = url.searchParams.get('token')!;
  const origin = url.origin;
  return {
    url: started.url,
    origin,
    token,
    tracker: started.tracker,
    listenPort: started.listenPort,
    process: child,
    async api<T>(method: string, path: string, body?: unknown): Promise<T> {
      const res = await fetch(origin + path, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      const type = res.headers.get('content-type') ?? '';
      return (type.includes('json') ? await res.json() : Buffer.from(await res.arrayBuffer())) as T;
    },
    async stop(): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
