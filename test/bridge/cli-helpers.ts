import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = join(__dirname, '..', '..');
export const BIN = join(ROOT, 'client', 'bridge', 'bin', 'enjambre.js');

/** The CLI runs from its build (`npx tsc -b`, which `npm test` runs first). */
export function requireBuild(): void {
  if (!existsSync(join(ROOT, 'client', 'bridge', 'dist', 'cli.js'))) {
    throw new Error('client/bridge is not built: run `npx tsc -b` before these tests');
  }
}

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * The command line that runs `enjambre ARGS`, inside `wrap` if given (e.g. `ip netns exec NS`,
 * which execs it: the child's pid is enjambre's).
 */
function argv(args: string[], wrap: string[]): [string, string[]] {
  const all = [...wrap, process.execPath, BIN, ...args];
  return [all[0], all.slice(1)];
}

/** Runs `enjambre ARGS` to its end. */
export function run(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 120000,
  wrap: string[] = [],
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(...argv(args, wrap), {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`enjambre ${args.join(' ')} did not finish: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface Spawned {
  child: ChildProcess;
  /** The first JSON line on stdout. */
  first: Record<string, unknown>;
  stderr: () => string;
  /** Resolves with the exit code when the process ends. */
  exited: Promise<number | null>;
}

/** Starts a long-running `enjambre ARGS --json` and waits for its first JSON line. */
export function spawnJson(
  args: string[],
  env: Record<string, string> = {},
  wrap: string[] = [],
): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child = spawn(...argv(args, wrap), {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    const lines = createInterface({ input: child.stdout! });
    let done = false;
    lines.on('line', (line) => {
      if (done) return;
      done = true;
      try {
        resolve({ child, first: JSON.parse(line), stderr: () => err, exited });
      } catch (e) {
        reject(e);
      }
    });
    void exited.then((code) => {
      if (!done) reject(new Error(`enjambre ${args[0]} exited with ${code}: ${err}`));
    });
  });
}
