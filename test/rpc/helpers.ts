import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { DaemonOptions, RunningDaemon } from '@enjambre/bridge';
import { testDaemon } from '../bridge/helpers';

export { removeDir, tempDir, waitFor } from '../bridge/helpers';

/** A daemon in this process with its remote-control port on a free port. */
export function rpcDaemon(dataDir: string, opts: Partial<DaemonOptions> = {}) {
  return testDaemon(dataDir, { rpcPort: 'any', ...opts });
}

export interface Run {
  code: number;
  out: string;
}

/** Debian's transmission-remote 3.00 against the daemon; `auth` defaults to any user and the token. */
export function transmissionRemote(
  d: Pick<RunningDaemon, 'rpcPort' | 'token'>,
  args: string[],
  auth: string | null = `someone:${d.token}`,
): Promise<Run> {
  const all = [`127.0.0.1:${d.rpcPort}`, ...(auth !== null ? ['--auth', auth] : []), ...args];
  return new Promise((resolve) => {
    execFile('transmission-remote', all, { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, out: stdout + stderr });
    });
  });
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

export async function http(
  port: number,
  path: string,
  init: {
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer | FormData;
  } = {},
): Promise<HttpAnswer> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: init.method ?? 'GET',
    headers: init.headers ?? {},
    ...(init.body !== undefined ? { body: init.body as string } : {}),
    redirect: 'manual',
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: <T>() => JSON.parse(text) as T };
}

export const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** A Transmission RPC client doing the 409 handshake once, as every real one does. */
export function trClient(d: Pick<RunningDaemon, 'rpcPort' | 'token'>) {
  let sessionId = '';
  const auth = basic('any', d.token);
  async function raw(body: string, path = '/transmission/rpc'): Promise<HttpAnswer> {
    for (let attempt = 0; ; attempt++) {
      const res = await http(d.rpcPort, path, {
        method: 'POST',
        headers: { authorization: auth, 'x-transmission-session-id': sessionId },
        body,
      });
      if (res.status !== 409 || attempt > 0) return res;
      sessionId = res.headers.get('x-transmission-session-id') ?? '';
    }
  }
  async function call<T = Record<string, unknown>>(
    method: string,
    args: Record<string, unknown> = {},
  ): Promise<{ result: string; arguments: T }> {
    const res = await raw(JSON.stringify({ method, arguments: args }));
    return res.json();
  }
  return { raw, call };
}

/** A logged-in qBittorrent WebAPI client (form-encoded posts, the SID cookie). */
export async function qbClient(d: Pick<RunningDaemon, 'rpcPort' | 'token'>) {
  const login = await http(d.rpcPort, '/api/v2/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: 'admin', password: d.token }).toString(),
  });
  const sid = /SID=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')?.[1];
  if (login.text !== 'Ok.' || !sid) throw new Error(`login failed: ${login.status} ${login.text}`);
  const cookie = `SID=${sid}`;
  return {
    sid,
    get: (path: string, query: Record<string, string> = {}) =>
      http(d.rpcPort, `/api/v2/${path}?${new URLSearchParams(query).toString()}`, {
        headers: { cookie },
      }),
    post: (path: string, form: Record<string, string> | FormData = {}) =>
      http(d.rpcPort, `/api/v2/${path}`, {
        method: 'POST',
        headers:
          form instanceof FormData
            ? { cookie }
            : { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: form instanceof FormData ? form : new URLSearchParams(form).toString(),
      }),
  };
}

/** Runs a scenario of ctrl-clients.mjs (the ESM-only @ctrl clients) in a child Node. */
export function ctrlScenario(
  scenario: string,
  config: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(__dirname, 'ctrl-clients.mjs'), scenario, JSON.stringify(config)],
      { timeout: 120_000, cwd: join(__dirname, '..', '..') },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${scenario}: ${stderr || err.message}`));
        else resolve(JSON.parse(stdout) as Record<string, unknown>);
      },
    );
  });
}
