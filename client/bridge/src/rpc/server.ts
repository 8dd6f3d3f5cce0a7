import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { hostAllowed } from '../daemon/guard';
import { isInside } from '../daemon/roots';
import { parseBasic } from './auth';
import type { RpcContext } from './context';
import { RpcError } from './errors';
import { addBody, addUrlEncoded, emptyForm } from './form';
import { QbApi } from './qbittorrent';
import { handleTrRequest, parseTrRequest } from './transmission';

/** Transmission's own default; also where its clients look first. */
export const DEFAULT_RPC_PORT = 9091;
/** A .torrent of 16 MiB, base64 in JSON or several in one multipart body, fits. */
const MAX_BODY = 32 * 1024 * 1024;
const TR_SESSION_HEADER = 'x-transmission-session-id';
const TR_WEB_ROOT = '/usr/share/transmission/web';

export interface RpcServerOptions {
  ctx: RpcContext;
  host: string;
  port: number;
  /** Host names the server answers to (the API's, see guard.ts), each checked with our port. */
  hostnames: readonly string[];
  /** Transmission's web UI, served at /transmission/web/ when the folder exists. */
  trWebRoot?: string;
}

export interface RunningRpcServer {
  port: number;
  qb: QbApi;
  close(): Promise<void>;
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY) {
      reject(new BodyTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        req.removeAllListeners('data');
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  type: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'SAMEORIGIN',
    'referrer-policy': 'same-origin',
    ...headers,
  });
  res.end(body);
}

const html = (status: number, title: string, text: string) =>
  `<html><head><title>${status}: ${title}</title></head><body><h1>${status}: ${title}</h1>${text}</body></html>`;

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** qBittorrent's CSRF rule: an Origin or Referer, when sent, names the host the request went to. */
function sameOrigin(req: IncomingMessage): boolean {
  const host = (req.headers.host ?? '').toLowerCase();
  for (const h of [req.headers.origin, req.headers.referer]) {
    if (h === undefined) continue;
    try {
      if (new URL(h).host.toLowerCase() !== host) return false;
    } catch {
      return false;
    }
  }
  return true;
}

const MEDIA: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

/**
 * The remote-control port: Transmission RPC at /transmission/rpc (and its web UI), the
 * qBittorrent WebAPI under /api/v2/. Plain node:http so that every byte of a hostile request
 * meets a bound (body size, time) and a clear 4xx before any handler sees it.
 */
export async function startRpcServer(opts: RpcServerOptions): Promise<RunningRpcServer> {
  const { ctx } = opts;
  const qb = new QbApi(ctx);
  const trWeb = opts.trWebRoot ?? TR_WEB_ROOT;
  let port = opts.port;

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof BodyTooLarge) {
        send(res, 413, 'request body too large\n', 'text/plain', { connection: 'close' });
        return;
      }
      ctx.log.warn({ err: String(err), url: req.url?.slice(0, 200) }, 'rpc request failed');
      if (!res.headersSent) send(res, 500, 'internal error\n', 'text/plain');
      else res.destroy();
    });
  });
  server.requestTimeout = 60_000;
  server.headersTimeout = 20_000;
  server.maxHeadersCount = 100;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://rpc.invalid');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (!hostAllowed({ port, hostnames: opts.hostnames }, req.headers.host)) {
      req.resume();
      const text = 'Unknown Host: this port answers only on this machine';
      send(res, 421, html(421, 'Misdirected Request', text), 'text/html; charset=utf-8');
      return;
    }
    if (path === '/transmission' || path.startsWith('/transmission/')) {
      await transmission(req, res, path, method);
      return;
    }
    if (path.startsWith('/api/v2/')) {
      await qbittorrent(req, res, url, method);
      return;
    }
    req.resume();
    send(res, 404, 'Not Found', 'text/plain; charset=UTF-8');
  }

  async function transmission(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    method: string,
  ): Promise<void> {
    const creds = parseBasic(req.headers.authorization);
    if (!creds || !(await ctx.auth.verify(creds.username, creds.password))) {
      req.resume();
      send(res, 401, html(401, 'Unauthorized', 'Unauthorized User'), 'text/html; charset=utf-8', {
        'www-authenticate': 'Basic realm="Transmission"',
      });
      return;
    }
    if (path === '/transmission/rpc' || path === '/transmission/rpc/') {
      if (req.headers[TR_SESSION_HEADER] !== ctx.trSessionId) {
        req.resume();
        const text =
          '<p>Your request had an invalid session-id header.</p><p>To fix this, follow these steps:' +
          '<ol><li> When reading a response, get its X-Transmission-Session-Id header and remember it' +
          '<li> Add the updated header to your outgoing requests<li> When you get this 409 error ' +
          'message, resend your request with the updated header</ol></p>' +
          `<p><code>X-Transmission-Session-Id: ${ctx.trSessionId}</code></p>`;
        send(res, 409, html(409, 'Conflict', text), 'text/html; charset=utf-8', {
          'x-transmission-session-id': ctx.trSessionId,
        });
        return;
      }
      const body = await readBody(req);
      const parsed = parseTrRequest(body);
      const answer =
        typeof parsed === 'string'
          ? { result: parsed, arguments: {} }
          : await handleTrRequest(parsed, ctx);
      send(
        res,
        typeof parsed === 'string' ? 400 : 200,
        JSON.stringify(answer),
        'application/json; charset=UTF-8',
        {
          'x-transmission-session-id': ctx.trSessionId,
        },
      );
      return;
    }
    req.resume();
    if (path === '/transmission' || path === '/transmission/' || path === '/transmission/web') {
      send(res, 301, '', 'text/plain', { location: '/transmission/web/' });
      return;
    }
    if (path.startsWith('/transmission/web/') && method === 'GET') {
      await webFile(res, trWeb, path.slice('/transmission/web/'.length) || 'index.html');
      return;
    }
    send(res, 404, html(404, 'Not Found', ''), 'text/html; charset=utf-8');
  }

  async function webFile(res: ServerResponse, root: string, rel: string): Promise<void> {
    let file: string;
    try {
      file = normalize(join(root, decodeURIComponent(rel)));
    } catch {
      send(res, 400, 'bad path', 'text/plain');
      return;
    }
    const st = isInside(root, file) ? await stat(file).catch(() => undefined) : undefined;
    if (!st || !st.isFile()) {
      send(res, 404, html(404, 'Not Found', ''), 'text/html; charset=utf-8');
      return;
    }
    res.writeHead(200, {
      'content-type': MEDIA[extname(file)] ?? 'application/octet-stream',
      'content-length': st.size,
      'x-content-type-options': 'nosniff',
    });
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  }

  async function qbittorrent(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    method: string,
  ): Promise<void> {
    if (!sameOrigin(req)) {
      req.resume();
      send(res, 401, 'Unauthorized', 'text/plain; charset=UTF-8');
      return;
    }
    const name = url.pathname.slice('/api/v2/'.length);
    const sid = cookie(req, 'SID');
    if (name !== 'auth/login' && !qb.loggedIn(sid)) {
      req.resume();
      send(res, 403, 'Forbidden', 'text/plain; charset=UTF-8');
      return;
    }
    const form = emptyForm();
    addUrlEncoded(form, url.search.slice(1));
    try {
      if (method === 'POST') addBody(form, req.headers['content-type'], await readBody(req));
      else req.resume();
    } catch (err) {
      if (err instanceof RpcError) {
        send(res, err.status, err.message, 'text/plain; charset=UTF-8');
        return;
      }
      throw err;
    }
    const address = req.socket.remoteAddress ?? '';
    const reply = await qb.handle(name, method, form, sid, address);
    send(res, reply.status, reply.body, reply.type, reply.headers);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: opts.host, port: opts.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  return {
    port,
    qb,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
