// Spawning real programs for tests: each runs in its own process group so that stop() also ends
// whatever it forked, and a registry kills leftovers when a test crashes or forgets to stop one.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { rmSync } from 'node:fs';
import { removeDir } from './util';

const OUTPUT_LINES_KEPT = 200;

// jest loads this module afresh for every test file in a worker process: keep one registry (and
// one exit handler) per process, not one per module instance.
interface Registry {
  running: Set<ManagedProcess>;
  dirsToRemove: Set<string>;
}
const REGISTRY = Symbol.for('enjambre.test.peers.registry');
const holder = process as unknown as { [REGISTRY]?: Registry };
const registry: Registry = holder[REGISTRY] ?? createRegistry();
const { running, dirsToRemove } = registry;

function createRegistry(): Registry {
  const created: Registry = { running: new Set(), dirsToRemove: new Set() };
  holder[REGISTRY] = created;
  // A crashed test run still must not leave peers behind: kill synchronously on exit.
  process.once('exit', () => {
    for (const p of created.running) signalGroup(p.pid, 'SIGKILL');
    for (const dir of created.dirsToRemove) rmSync(dir, { recursive: true, force: true });
  });
  return created;
}

/** A spawned program with its output split into lines (stdout and stderr, `\r` or `\n`). */
export class ManagedProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;
  private readonly recent: string[] = [];
  private readonly listeners: Array<(line: string) => void> = [];

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    options: SpawnOptions = {},
  ) {
    this.child = spawn(command, args, {
      ...options,
      detached: true, // own process group, killed as a whole
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(this);
    this.exited = new Promise((resolve) => {
      this.child.once('error', (error) => {
        this.remember(`[spawn error] ${error.message}`);
        this.exitCode = -1;
        running.delete(this);
        resolve(-1);
      });
      this.child.once('exit', (code, signal) => {
        this.remember(`[exit] code=${code} signal=${signal}`);
        this.exitCode = code;
        running.delete(this);
        resolve(code);
      });
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let pending = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (text: string) => {
        const parts = (pending + text).split(/[\r\n]+/);
        pending = parts.pop() ?? '';
        for (const line of parts) if (line.trim() !== '') this.remember(line);
      });
    }
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** True once the program has exited (or failed to start). */
  get hasExited(): boolean {
    return this.exitCode !== undefined;
  }

  /** Calls `listener` for every future output line. */
  onLine(listener: (line: string) => void): void {
    this.listeners.push(listener);
  }

  /** The last lines of output, for error messages. */
  tail(lines = 30): string {
    return this.recent.slice(-lines).join('\n');
  }

  /** SIGTERM to the process group, SIGKILL after `graceMs`; resolves once it has exited. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.hasExited) return;
    signalGroup(this.pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(this.pid, 'SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    signalGroup(this.pid, 'SIGKILL'); // anything it forked and left behind
  }

  private remember(line: string): void {
    this.recent.push(line);
    if (this.recent.length > OUTPUT_LINES_KEPT) this.recent.shift();
    for (const listener of this.listeners) listener(line);
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  if (pid <= 0) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Registers a directory to delete in `stopAll()` (or at exit). */
export function removeLater(dir: string): void {
  dirsToRemove.add(dir);
}

/** Stops every program still running and removes registered temp dirs; call it in `afterAll`. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop(2000)));
  await Promise.all([...dirsToRemove].map((dir) => removeDir(dir)));
  dirsToRemove.clear();
}
