import { tokenMatches } from './token';

/**
 * How a route may be reached, set as `config: { access }` when the route is registered. A route
 * without it needs the token: forgetting to mark a route fails closed.
 * - `token`: `Authorization: Bearer …` only.
 * - `token-or-query`: also `?token=`, for what a browser opens without headers (the WebSocket
 *   upgrade, a `<video>`'s stream, a .torrent download). Elsewhere a token in the URL would end up
 *   in logs and history for nothing.
 * - `public`: no token; only the GUI's static files and its app shell, which hold no data.
 */
export type RouteAccess = 'token' | 'token-or-query' | 'public';

const ACCESS: readonly RouteAccess[] = ['token', 'token-or-query', 'public'];

/** The access a route's config declares; anything unknown is `token`. */
export function accessOf(config: unknown): RouteAccess {
  const a = (config as { access?: unknown } | undefined)?.access;
  return ACCESS.includes(a as RouteAccess) ? (a as RouteAccess) : 'token';
}

/** Who the server is: the port it listens on and the host names it answers to. */
export interface HostPolicy {
  port: number;
  /** Host names besides the loopback ones (an address the user chose to bind, bracketed if IPv6). */
  hostnames?: readonly string[];
}

/** The names a browser writes in Host for this machine's loopback, in its canonical form. */
export const LOOPBACK_HOSTNAMES: readonly string[] = ['127.0.0.1', 'localhost', '[::1]'];

function names(policy: HostPolicy): Set<string> {
  return new Set([...LOOPBACK_HOSTNAMES, ...(policy.hostnames ?? [])].map((h) => h.toLowerCase()));
}

/**
 * Whether a Host header names this server. A web page on another domain that rebinds its DNS
 * name to 127.0.0.1 still sends its own Host, so only our own names pass, with our port, written
 * exactly as a browser writes them (no trailing dot, no other spelling of an address: a browser
 * canonicalises `127.1` or `[0::1]` before it sends them, so other spellings come from elsewhere).
 */
export function hostAllowed(policy: HostPolicy, host: string | undefined): boolean {
  if (host === undefined) return false;
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(host);
  if (!m) return false;
  // A browser leaves the port out only when it is the scheme's default.
  const port = m[2] === undefined ? 80 : Number(m[2]);
  return port === policy.port && names(policy).has(m[1].toLowerCase());
}

/** Whether an Origin header is the GUI's own (`http://` + one of our Hosts). */
export function originAllowed(policy: HostPolicy, origin: string): boolean {
  const m = /^http:\/\/([^/]+)$/i.exec(origin);
  return m !== null && hostAllowed(policy, m[1]);
}

export interface GuardOptions extends HostPolicy {
  token: string;
}

export interface GuardRequest {
  headers: Record<string, string | string[] | undefined>;
  /** What the matched route declares (see RouteAccess). */
  access: RouteAccess;
  /** The `token` query parameter, if any; only `token-or-query` routes look at it. */
  queryToken?: string;
}

export type GuardVerdict = { ok: true } | { ok: false; status: 401 | 403; message: string };

function header(req: GuardRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Decides whether a request may reach the route the router matched. Three checks, in this order,
 * on every request (static files too: a rebinding page gets nothing at all):
 * - Host must be one of ours (hostAllowed).
 * - Origin, when a browser sends one, must be the GUI's own, whatever the method; `null` (a
 *   sandboxed frame, a file: page) is foreign too. Browsers send Origin on every request that
 *   changes state, so a page elsewhere cannot drive the API even blind.
 * - The token, unless the route is public.
 */
export function checkRequest(opts: GuardOptions, req: GuardRequest): GuardVerdict {
  if (!hostAllowed(opts, header(req, 'host'))) {
    return {
      ok: false,
      status: 403,
      message: 'unknown Host: the API answers only on this machine',
    };
  }
  const origin = header(req, 'origin');
  if (origin !== undefined && !originAllowed(opts, origin)) {
    return { ok: false, status: 403, message: 'cross-origin requests are not allowed' };
  }
  if (req.access === 'public') return { ok: true };
  if (!tokenMatches(opts.token, presentedToken(req))) {
    return { ok: false, status: 401, message: 'missing or wrong token' };
  }
  return { ok: true };
}

function presentedToken(req: GuardRequest): string | undefined {
  const auth = header(req, 'authorization');
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    return m ? m[1] : undefined;
  }
  return req.access === 'token-or-query' ? req.queryToken : undefined;
}
