/**
 * What the bridge red-team tests share: a real daemon with a GUI build and one shared torrent,
 * raw HTTP requests (every byte of the request line and headers chosen by the test, Host
 * included), and the one question each test asks of an answer: did it carry API data?
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { DaemonOptions, RunningDaemon } from '@enjambre/bridge';
import { testDaemon, waitFor } from '../bridge/helpers';

export { removeDir, tempDir, waitFor } from '../bridge/helpers';

/** The GUI build the daemon serves: the only answers a request without the token may get. */
export const GUI_FILES: Record<string, string> = {
  'index.html': '<!doctype html><title>enjambre test shell</title>\n',
  'main-TEST.js': 'console.log("the test GUI");\n',
  'styles-TEST.css': 'body { color: black }\n',
};

/** Bytes in the shared file; no answer to an unauthenticated request may contain them. */
export const SECRET = 'SECRET-PAYLOAD-7f3a9c0e-of-the-shared-file';

export interface Fixture {
  root: string;
  daemon: RunningDaemon;
  /** The allowed folder the daemon was started with. */
  allowed: string;
  /** Info-hash of a torrent the daemon seeds (its file holds SECRET). */
  infoHash: string;
  /** The id of the share job that made it. */
  shareId: string;
}

/** Starts a daemon allowed only `root/allowed`, with a GUI build and one shared file. */
export async function startFixture(
  root: string,
  opts: Partial<DaemonOptions> = {},
): Promise<Fixture> {
  const webRoot = join(root, 'web');
  await mkdir(webRoot, { recursive: true });
  for (const [name, text] of Object.entries(GUI_FILES)) await writeFile(join(webRoot, name), text);
  const allowed = join(root, 'allowed');
  await mkdir(allowed, { recursive: true });
  await writeFile(join(allowed, 'shared.txt'), SECRET);
  const daemon = await testDaemon(join(root, 'data'), {
    webRoot,
    downloadDir: join(allowed, 'downloads'),
    allowFolders: [allowed],
    ...opts,
  });
  const ok = await raw(daemon.apiPort, {
    method: 'POST',
    path: '/api/shares',
    headers: { ...auth(daemon), 'content-type': 'application/json' },
    body: JSON.stringify({ path: join(allowed, 'shared.txt') }),
  });
  if (ok.status !== 202) throw new Error(`share failed: ${ok.status} ${ok.text}`);
  const id = (JSON.parse(ok.text) as { id: string }).id;
  const infoHash = await waitFor('the share', async () => {
    const job = await raw(daemon.apiPort, { path: `/api/shares/${id}`, headers: auth(daemon) });
    const j = JSON.parse(job.text) as { state: string; infoHash?: string };
    return j.state === 'done' ? j.infoHash : undefined;
  });
  return { root, daemon, allowed, infoHash, shareId: id } satisfies Fixture;
}

/** The headers of a legitimate call: our Host and the bearer token. */
export function auth(d: { apiPort: number; token: string }): Record<string, string> {
  return { host: `127.0.0.1:${d.apiPort}`, authorization: `Bearer ${d.token}` };
}

export interface RawRequest {
  method?: string;
  /** Sent as is on the request line. */
  path: string;
  /** Sent as is, in this order; no Host unless given. */
  headers?: Record<string, string>;
  body?: string;
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/** One request on its own connection, bytes exactly as given; resolves with status and body. */
export function raw(port: number, req: RawRequest): Promise<RawAnswer> {
  const method = req.method ?? 'GET';
  const headers: Record<string, string> = { ...(req.headers ?? {}), connection: 'close' };
  if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
  const head =
    `${method} ${req.path} HTTP/1.1\r\n` +
    Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('') +
    '\r\n';
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      try {
        resolve(parseAnswer(Buffer.concat(chunks), method));
      } catch (err) {
        reject(err as Error);
      }
    });
    socket.setTimeout(15_000, () =>
      socket.destroy(new Error(`no answer to ${method} ${req.path}`)),
    );
    socket.write(head + (req.body ?? ''));
  });
}

function parseAnswer(bytes: Buffer, method: string): RawAnswer {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`not an HTTP answer: ${JSON.stringify(bytes.toString('latin1'))}`);
  const lines = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0])?.[1]);
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  let body = bytes.subarray(end + 4);
  if (method === 'HEAD') body = Buffer.alloc(0);
  else if (headers['transfer-encoding'] === 'chunked') body = unchunk(body);
  return { status, headers, text: body.toString('utf8') };
}

function unchunk(b: Buffer): Buffer {
  const out: Buffer[] = [];
  let i = 0;
  for (;;) {
    const eol = b.indexOf('\r\n', i);
    if (eol < 0) break;
    const size = parseInt(b.subarray(i, eol).toString('latin1'), 16);
    if (!size) break;
    out.push(b.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

const PUBLIC_BODIES = new Set(Object.values(GUI_FILES));

/**
 * Whether an answer carries anything but the public GUI files or an error: a success whose
 * body is not one of the GUI's files (a HEAD is judged by its type), or any body that quotes
 * the shared file.
 */
export function leaks(answer: RawAnswer, method: string): boolean {
  if (answer.text.includes(SECRET)) return true;
  if (answer.status >= 300) return false;
  if (method === 'HEAD')
    return !/^(text\/html|text\/css|application\/javascript|text\/javascript)/.test(
      answer.headers['content-type'] ?? '',
    );
  return !PUBLIC_BODIES.has(answer.text);
}
