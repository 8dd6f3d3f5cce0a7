import http from 'node:http';
import https from 'node:https';
import type { RateLimiter } from '../util/token-bucket';
import { bareHost, globalOnlyLookup, isLocalAddress, LocalRedirectError } from './ssrf';

const MAX_REDIRECTS = 5;
/** No byte (headers or body) for this long: the request failed. */
export const IDLE_TIMEOUT_MS = 30_000;
/** Retry-After beyond this is cut to it (a server cannot park a seed for a day). */
const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * Why a fetch from a web seed failed. `transient` errors (5xx, 408, 429, network, timeouts, a
 * short body) are retried after a growing back-off; the others (404, 416, a wrong Content-Range,
 * bad redirects) mean the seed cannot serve this torrent as asked.
 */
export class WebSeedError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Keep-alive connections for one web seed: at most `sockets` per host. */
export class SeedAgents {
  readonly http: http.Agent;
  readonly https: https.Agent;
  constructor(sockets: number) {
    this.http = new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
    this.https = new https.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  }
  destroy(): void {
    this.http.destroy();
    this.https.destroy();
  }
}

export interface FetchOptions {
  agents: SeedAgents;
  signal: AbortSignal;
  limiter: RateLimiter;
  userAgent: string;
  /** Called with every byte count received (for rates), including bytes skipped over. */
  received(n: number): void;
}

/** What one file fetch learned about the server. */
export interface FetchResult {
  /** The server answered a range request with the whole file (200): it ignores Range. */
  ignoresRange: boolean;
}

/**
 * Fetches byte ranges of one file (ascending, not touching) and hands their bytes in order to
 * `onData(fileOffset, chunk)`. One range request after another; a server that ignores Range and
 * answers 200 has the rest of the ranges read out of that one body, skipping what lies between,
 * and the body is dropped as soon as the last byte needed has come. Never more bytes are handed
 * on than were asked for.
 */
export async function fetchRanges(
  url: string,
  ranges: ReadonlyArray<{ start: number; length: number }>,
  onData: (fileOffset: number, chunk: Buffer) => void,
  o: FetchOptions,
): Promise<FetchResult> {
  let ignoresRange = false;
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i];
    const res = await get(url, r.start, r.start + r.length - 1, o);
    if (res.statusCode === 206) {
      const cr = parseContentRange(res.headers['content-range']);
      if (!cr || cr.start !== r.start || cr.end < r.start + r.length - 1) {
        res.destroy();
        throw new WebSeedError(
          `the server answered bytes ${r.start}-${r.start + r.length - 1} with ` +
            `Content-Range "${res.headers['content-range'] ?? ''}"`,
          false,
        );
      }
      await readBody(res, r.start, [r], onData, o);
    } else {
      // 200: the whole file; everything still wanted from this file comes out of this body
      ignoresRange = true;
      const rest = ranges.slice(i);
      const last = rest[rest.length - 1];
      const size = Number(res.headers['content-length'] ?? NaN);
      if (Number.isFinite(size) && size < last.start + last.length) {
        res.destroy();
        throw new WebSeedError(`the file is ${size} bytes, shorter than the torrent says`, false);
      }
      await readBody(res, 0, rest, onData, o);
      break;
    }
  }
  return { ignoresRange };
}

/**
 * GET with a Range header, following redirects (http/https only; once a server on the Internet
 * answered, never to a local address: see ssrf.ts). Resolves on 200 or 206.
 */
async function get(
  url: string,
  first: number,
  last: number,
  o: FetchOptions,
): Promise<http.IncomingMessage> {
  let target = url;
  let fromInternet = false;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const res = await request(target, first, last, o, fromInternet);
    const remote = res.socket?.remoteAddress ?? '';
    if (hop === 0) fromInternet = remote !== '' && !isLocalAddress(remote);
    else if (fromInternet && isLocalAddress(remote)) {
      res.destroy();
      throw new WebSeedError(new LocalRedirectError().message, false);
    }
    const status = res.statusCode ?? 0;
    if (status === 200 || status === 206) {
      const enc = res.headers['content-encoding'];
      if (enc && enc !== 'identity') {
        res.destroy();
        throw new WebSeedError(`the server sent ${enc}-encoded data`, false);
      }
      return res;
    }
    res.destroy(); // never read a body we do not use (it may be anything, of any size)
    if ([301, 302, 303, 307, 308].includes(status) && res.headers.location) {
      let next: URL;
      try {
        next = new URL(res.headers.location, target);
      } catch {
        throw new WebSeedError('the server redirected to an invalid URL', false);
      }
      if (next.protocol !== 'http:' && next.protocol !== 'https:')
        throw new WebSeedError(`the server redirected to a ${next.protocol} URL`, false);
      target = next.href;
      continue;
    }
    const transient = status >= 500 || status === 408 || status === 429;
    const retry = transient ? retryAfter(res.headers['retry-after']) : undefined;
    throw new WebSeedError(`HTTP ${status} ${res.statusMessage ?? ''}`.trim(), transient, retry);
  }
  throw new WebSeedError(`more than ${MAX_REDIRECTS} redirects`, false);
}

function request(
  target: string,
  first: number,
  last: number,
  o: FetchOptions,
  globalOnly: boolean,
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const u = new URL(target);
    if (globalOnly && isLocalAddress(bareHost(u.hostname)))
      return reject(new WebSeedError(new LocalRedirectError().message, false));
    const secure = u.protocol === 'https:';
    const req = (secure ? https : http).request(u, {
      ...(globalOnly && { lookup: globalOnlyLookup }),
      method: 'GET',
      agent: secure ? o.agents.https : o.agents.http,
      signal: o.signal,
      headers: {
        range: `bytes=${first}-${last}`,
        'accept-encoding': 'identity',
        'user-agent': o.userAgent,
      },
    });
    req.setTimeout(IDLE_TIMEOUT_MS, () =>
      req.destroy(new WebSeedError('the server did not answer in time', true)),
    );
    req.once('response', resolve);
    req.once('error', (err) => reject(asSeedError(err, o.signal)));
    req.end();
  });
}

/**
 * Reads a body that starts at file offset `bodyStart`, handing on the bytes of `ranges` and
 * skipping the rest; stops (dropping the connection) once the last range is complete.
 */
async function readBody(
  res: http.IncomingMessage,
  bodyStart: number,
  ranges: ReadonlyArray<{ start: number; length: number }>,
  onData: (fileOffset: number, chunk: Buffer) => void,
  o: FetchOptions,
): Promise<void> {
  const end = ranges[ranges.length - 1].start + ranges[ranges.length - 1].length;
  let pos = bodyStart;
  let ri = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      const chunkEnd = pos + chunk.length;
      o.received(chunk.length);
      while (ri < ranges.length && pos < end) {
        const r = ranges[ri];
        const from = Math.max(pos, r.start);
        const to = Math.min(chunkEnd, r.start + r.length);
        if (from < to) onData(from, chunk.subarray(from - pos, to - pos));
        if (r.start + r.length <= chunkEnd) ri++;
        else break;
      }
      pos = chunkEnd;
      // the rest is not ours to read (a 200 body may be gigabytes); a body that is complete is
      // read to its end instead, so its keep-alive socket goes back to the agent
      if (pos >= end && !res.complete) break;
      o.limiter.take(chunk.length);
      const wait = o.limiter.delay();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  } catch (err) {
    throw asSeedError(err as Error, o.signal);
  }
  if (pos < end) throw new WebSeedError('the server sent fewer bytes than asked for', true);
}

function asSeedError(err: Error, signal: AbortSignal): Error {
  if (err instanceof WebSeedError || signal.aborted) return err;
  if (err instanceof LocalRedirectError) return new WebSeedError(err.message, false);
  return new WebSeedError((err as NodeJS.ErrnoException).code ?? err.message, true);
}

function parseContentRange(v: string | undefined): { start: number; end: number } | undefined {
  const m = /^bytes (\d{1,15})-(\d{1,15})\/(\d{1,15}|\*)$/.exec(v?.trim() ?? '');
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  return end >= start ? { start, end } : undefined;
}

/** Retry-After in seconds or as an HTTP date, bounded. */
export function retryAfter(v: string | undefined): number | undefined {
  if (!v) return undefined;
  const s = v.trim();
  const ms = /^\d{1,10}$/.test(s) ? Number(s) * 1000 : Date.parse(s) - Date.now();
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}
