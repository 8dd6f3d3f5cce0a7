import { request } from 'node:http';
import { join } from 'node:path';
import pino from 'pino';
import { RunningDaemon, startDaemon, DaemonOptions } from '@enjambre/bridge';
import { removeDir, tempDir } from '../peers/util';

export { removeDir, tempDir };

/** A daemon in this process: temp data dir, free ports, peers on 127.0.0.1, logs silenced. */
export async function testDaemon(
  dataDir: string,
  opts: Partial<DaemonOptions> = {},
): Promise<RunningDaemon> {
  return startDaemon({
    dataDir,
    downloadDir: join(dataDir, 'downloads'),
    apiPort: 0,
    listenPort: 0,
    listenHost: '127.0.0.1',
    webRoot: join(dataDir, 'no-web'),
    logger: pino({ level: 'silent' }),
    ...opts,
  });
}

export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** The REST API of a daemon, with its token. */
export function api(d: { apiPort: number; token: string }) {
  const base = `http://127.0.0.1:${d.apiPort}`;
  async function call<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiAnswer<T>> {
    const res = await fetch(base + path, {
      method,
      headers: {
        authorization: `Bearer ${d.token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }
  return {
    base,
    call,
    get: <T = unknown>(p: string) => call<T>('GET', p),
    post: <T = unknown>(p: string, b?: unknown) => call<T>('POST', p, b),
    put: <T = unknown>(p: string, b?: unknown) => call<T>('PUT', p, b),
    del: <T = unknown>(p: string) => call<T>('DELETE', p),
  };
}

/** A raw request, for headers fetch does not let us set (Host). */
export function rawGet(
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 60000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
