import { tokenMatches } from './token';

export interface GuardOptions {
  token: string;
  /** The port the API listens on: Host and Origin must name it. */
  port: number;
  /** Host names the API answers to (binding to 127.0.0.1 is not enough against DNS rebinding). */
  hostnames?: readonly string[];
}

export interface GuardRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

export type GuardVerdict = { ok: true } | { ok: false; status: 401 | 403; message: string };

const DEFAULT_HOSTNAMES = ['127.0.0.1', 'localhost', '[::1]'];

function header(req: GuardRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Decides whether a request may reach the API. Three checks, in this order:
 * - Host must be one of ours: a web page on another domain that rebinds its DNS name to
 *   127.0.0.1 still sends its own Host.
 * - Origin, when a browser sends one, must be the GUI's own: other sites' pages get nothing.
 * - The token, as `Authorization: Bearer …`, or as `?token=` only where a browser cannot set
 *   headers: the WebSocket upgrade, and links the browser opens itself (a `<video>`'s stream, a
 *   .torrent download). Elsewhere a token in the URL would end up in logs and history for nothing.
 */
export function checkRequest(opts: GuardOptions, req: GuardRequest): GuardVerdict {
  const hostnames = opts.hostnames ?? DEFAULT_HOSTNAMES;
  if (!hostAllowed(opts, header(req, 'host'))) {
    return {
      ok: false,
      status: 403,
      message: 'unknown Host: the API answers only on this machine',
    };
  }
  const origin = header(req, 'origin');
  if (origin !== undefined && origin !== 'null') {
    const allowedOrigins = new Set(hostnames.map((h) => `http://${h}:${opts.port}`));
    if (!allowedOrigins.has(origin.toLowerCase())) {
      return { ok: false, status: 403, message: 'cross-origin requests are not allowed' };
    }
  } else if (origin === 'null') {
    return { ok: false, status: 403, message: 'cross-origin requests are not allowed' };
  }
  if (!tokenMatches(opts.token, presentedToken(req))) {
    return { ok: false, status: 401, message: 'missing or wrong token' };
  }
  return { ok: true };
}

/** Who the server is: the port it listens on and the host names it answers to. */
export interface HostPolicy {
  port: number;
  hostnames?: readonly string[];
}

/** Host is `name:port` for one of our names (the remote-control port checks it too). */
export function hostAllowed(policy: HostPolicy, host: string | undefined): boolean {
  const names = policy.hostnames ?? DEFAULT_HOSTNAMES;
  return host !== undefined && names.some((h) => `${h}:${policy.port}` === host.toLowerCase());
}

const QUERY_TOKEN_PATHS = [
  /^\/api\/ws$/,
  /^\/api\/torrents\/[0-9a-fA-F]{40}\/files\/\d+\/stream$/,
  /^\/api\/torrents\/[0-9a-fA-F]{40}\/torrent$/,
];

function presentedToken(req: GuardRequest): string | undefined {
  const auth = header(req, 'authorization');
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    return m ? m[1] : undefined;
  }
  const q = req.url.indexOf('?');
  if (q < 0) return undefined;
  if (!QUERY_TOKEN_PATHS.some((re) => re.test(req.url.slice(0, q)))) return undefined;
  return new URLSearchParams(req.url.slice(q + 1)).get('token') ?? undefined;
}
