import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DAEMON_FILE, DaemonFile } from '../daemon/daemon';
import { UserError } from './errors';

/** Talks to the daemon that runs on a data dir, through its REST API. */
export class DaemonClient {
  private constructor(
    readonly base: string,
    private readonly token: string,
  ) {}

  /** The running daemon of `dataDir`, or undefined when none runs. */
  static async find(dataDir: string): Promise<DaemonClient | undefined> {
    let info: DaemonFile;
    let token: string;
    try {
      info = JSON.parse(await readFile(join(dataDir, DAEMON_FILE), 'utf8')) as DaemonFile;
      token = (await readFile(join(dataDir, 'token'), 'utf8')).trim();
    } catch {
      return undefined;
    }
    if (!isAlive(info.pid)) return undefined;
    const host = info.host === '0.0.0.0' || info.host === '::' ? '127.0.0.1' : info.host;
    const h = host.includes(':') ? `[${host}]` : host;
    return new DaemonClient(`http://${h}:${info.apiPort}`, token);
  }

  static async connect(dataDir: string): Promise<DaemonClient> {
    const c = await DaemonClient.find(dataDir);
    if (!c) {
      throw new UserError(
        `no enjambre daemon is running with the data dir ${dataDir} (start one with \`enjambre start\`)`,
      );
    }
    return c;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      throw new UserError(`cannot reach the daemon at ${this.base}: ${(err as Error).message}`);
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let data: unknown;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      data = undefined;
    }
    if (!res.ok) {
      const msg = (data as { error?: string } | undefined)?.error ?? `HTTP ${res.status}`;
      throw new UserError(msg);
    }
    return data as T;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
