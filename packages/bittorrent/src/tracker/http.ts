/**
 * HTTP tracker codec (BEP 3, BEP 7 IPv6, BEP 23 compact peers, BEP 24 external ip, BEP 48 scrape):
 * clients build announce/scrape URLs and decode bencoded responses; trackers parse the raw query
 * string and encode responses.
 *
 * Binary parameters (`info_hash`, `peer_id`) are percent-encoded byte by byte, as clients do;
 * the tracker-side parser decodes `%XX` escapes only (a `+` is a literal byte, as in opentracker),
 * so any 20 bytes round-trip whatever the client left unescaped.
 */
import {
  BencodeDict,
  BencodeValue,
  decode,
  encode,
  isBytes,
  isDict,
  isInt,
  isList,
} from '../bencode';
import { ProtocolError, TrackerCodecError } from '../errors';
import {
  AddressFamily,
  PeerAddress,
  compactPeerLength,
  decodeCompactPeers,
  formatIp,
  parseIp,
} from './compact';
import { AnnounceEvent, ScrapeStats } from './types';

export interface HttpAnnounceRequest {
  infoHash: Buffer;
  peerId: Buffer;
  port: number;
  uploaded: number;
  downloaded: number;
  left: number;
  event: AnnounceEvent;
  /** `compact=1` (BEP 23); undefined when the parameter is absent. */
  compact?: boolean;
  /** `no_peer_id=1`: leave peer ids out of a dictionary-model answer. */
  noPeerId?: boolean;
  numWant?: number;
  /**
   * `key` and `trackerid` are binary strings (one char per byte, latin1): clients send any bytes
   * (aria2's key is binary), and a tracker compares them exactly.
   */
  key?: string;
  trackerId?: string;
  /** `ip`: the address the peer wants announced (IPv4, IPv6 or a DNS name, as sent). */
  ip?: string;
  /** `ipv6` (BEP 7): the peer's IPv6 address, possibly `[addr]:port`, as sent. */
  ipv6?: string;
}

export interface HttpScrapeRequest {
  /** Empty for a "scrape everything" request (the tracker may refuse it). */
  infoHashes: Buffer[];
}

/** A peer in a decoded response. */
export interface HttpPeer extends PeerAddress {
  /** Present only in dictionary-model answers that carry it. */
  peerId?: Buffer;
}

export interface HttpTrackerFailure {
  failureReason: string;
  /** BEP 31: minutes to wait before retrying, or 'never'. */
  retryIn?: number | 'never';
}

/** What an announce answer carries besides its peers, the same in both directions. */
export interface HttpAnnounceFields {
  interval: number;
  minInterval?: number;
  complete?: number;
  incomplete?: number;
  /** Binary string (one char per byte), echoed back by clients as the request's `trackerid`. */
  trackerId?: string;
  warningMessage?: string;
  /** BEP 24: the client's address as the tracker saw it, IPv4 or IPv6 text. */
  externalIp?: string;
}

export interface HttpAnnounceSuccess extends HttpAnnounceFields {
  failureReason?: undefined;
  /** IPv4 and IPv6 peers together, whichever models the tracker used. */
  peers: HttpPeer[];
}

export type HttpAnnounceResponse = HttpAnnounceSuccess | HttpTrackerFailure;

export interface HttpScrapeFile extends ScrapeStats {
  infoHash: Buffer;
  name?: string;
}

export interface HttpScrapeSuccess {
  failureReason?: undefined;
  files: HttpScrapeFile[];
  /** `flags.min_request_interval`, seconds. */
  minRequestInterval?: number;
}

export type HttpScrapeResponse = HttpScrapeSuccess | HttpTrackerFailure;

export interface HttpQueryOptions {
  /** Longest query string accepted. Default 8 KiB (announce) / 16 KiB (scrape). */
  maxLength?: number;
  /** Most `info_hash` values in one scrape. Default 128. */
  maxScrapeHashes?: number;
}

function fail(code: string, message: string): never {
  throw new TrackerCodecError(code, `http tracker: ${message}`);
}

// ---------------------------------------------------------------------------------------------
// Percent-encoding

const HEX = '0123456789ABCDEF';
/** RFC 3986 unreserved characters stay as they are; every other byte becomes %XX. */
const UNRESERVED = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~') {
  UNRESERVED[c.charCodeAt(0)] = 1;
}

function isBinaryString(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 255) return false;
  return true;
}

/** Percent-encodes bytes (or a binary string, one char per byte) as BitTorrent clients do. */
export function percentEncode(bytes: Uint8Array | string): string {
  if (typeof bytes === 'string' && !isBinaryString(bytes)) {
    fail('http.bad-value', `${JSON.stringify(bytes)} is not a binary (latin1) string`);
  }
  const b = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
  let s = '';
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    s += UNRESERVED[c] ? String.fromCharCode(c) : '%' + HEX[c >> 4] + HEX[c & 15];
  }
  return s;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Decodes `%XX` escapes of `q[start, end)` into bytes; other characters must be single bytes. */
function percentDecode(q: string, start: number, end: number, name: string): Buffer {
  let n = 0;
  for (let i = start; i < end; i++, n++) if (q.charCodeAt(i) === 37) i += 2;
  const out = Buffer.allocUnsafe(n);
  let o = 0;
  for (let i = start; i < end; i++) {
    const c = q.charCodeAt(i);
    if (c === 37) {
      const hi = i + 2 < end ? hexVal(q.charCodeAt(i + 1)) : -1;
      const lo = i + 2 < end ? hexVal(q.charCodeAt(i + 2)) : -1;
      if (hi < 0 || lo < 0) fail('http.bad-escape', `bad percent-escape in ${name}`);
      out[o++] = (hi << 4) | lo;
      i += 2;
    } else {
      if (c > 255) fail('http.bad-escape', `non-byte character in ${name}`);
      out[o++] = c;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Client side: URLs

function appendQuery(base: string, query: string): string {
  const hash = base.indexOf('#');
  const url = hash >= 0 ? base.slice(0, hash) : base;
  const sep = url.includes('?') ? (url.endsWith('?') || url.endsWith('&') ? '' : '&') : '?';
  return url + sep + query;
}

function check20(name: string, b: Uint8Array): void {
  if (b.length !== 20) fail('http.bad-value', `${name} must be 20 bytes, got ${b.length}`);
}

function checkCount(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) fail('http.bad-value', `${name} ${v}`);
}

export type HttpAnnounceRequestInit = Omit<HttpAnnounceRequest, 'compact'> & { compact?: boolean };

/** The announce URL for `req` on the tracker `announceUrl` (keeps its own query, e.g. a passkey). */
export function buildAnnounceUrl(announceUrl: string, req: HttpAnnounceRequestInit): string {
  check20('info_hash', req.infoHash);
  check20('peer_id', req.peerId);
  if (!Number.isInteger(req.port) || req.port < 0 || req.port > 0xffff) {
    fail('http.bad-value', `port ${req.port}`);
  }
  checkCount('uploaded', req.uploaded);
  checkCount('downloaded', req.downloaded);
  checkCount('left', req.left);
  let q =
    `info_hash=${percentEncode(req.infoHash)}&peer_id=${percentEncode(req.peerId)}` +
    `&port=${req.port}&uploaded=${req.uploaded}&downloaded=${req.downloaded}&left=${req.left}` +
    `&compact=${req.compact === false ? 0 : 1}`;
  if (req.noPeerId) q += '&no_peer_id=1';
  if (req.event !== 'none') q += `&event=${req.event}`;
  if (req.numWant !== undefined) {
    checkCount('numwant', req.numWant);
    q += `&numwant=${req.numWant}`;
  }
  if (req.key !== undefined) q += `&key=${percentEncode(req.key)}`;
  if (req.trackerId !== undefined) q += `&trackerid=${percentEncode(req.trackerId)}`;
  if (req.ip !== undefined) q += `&ip=${percentEncode(req.ip)}`;
  if (req.ipv6 !== undefined) q += `&ipv6=${percentEncode(req.ipv6)}`;
  return appendQuery(announceUrl, q);
}

/**
 * BEP 48 convention: the scrape URL replaces the `announce` that starts the last path segment
 * with `scrape`; null when the announce URL does not follow it (the tracker cannot be scraped).
 */
export function scrapeUrlFor(announceUrl: string): string | null {
  const q = announceUrl.search(/[?#]/);
  const path = q >= 0 ? announceUrl.slice(0, q) : announceUrl;
  const slash = path.lastIndexOf('/');
  if (slash < 0 || !path.startsWith('announce', slash + 1)) return null;
  return path.slice(0, slash + 1) + 'scrape' + announceUrl.slice(slash + 1 + 'announce'.length);
}

/** The scrape URL for some info-hashes, from the tracker's scrape URL (see `scrapeUrlFor`). */
export function buildScrapeUrl(scrapeUrl: string, infoHashes: readonly Uint8Array[]): string {
  infoHashes.forEach((h) => check20('info_hash', h));
  return appendQuery(scrapeUrl, infoHashes.map((h) => `info_hash=${percentEncode(h)}`).join('&'));
}

// ---------------------------------------------------------------------------------------------
// Tracker side: query strings

/** Strips a leading `?` or a whole request target (`/announce?...`) down to the query. */
function queryOf(q: string): string {
  const i = q.indexOf('?');
  return i >= 0 ? q.slice(i + 1) : q;
}

function parseCount(q: string, start: number, end: number, name: string): number {
  if (end === start || end - start > 16) fail('http.bad-number', `${name} is not a number`);
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = q.charCodeAt(i) - 48;
    if (d < 0 || d > 9) {
      if (i === start && d === -3) fail('http.negative', `${name} is negative`);
      fail('http.bad-number', `${name} is not a non-negative integer`);
    }
    v = v * 10 + d;
  }
  if (!Number.isSafeInteger(v)) fail('http.bad-number', `${name} is too large`);
  return v;
}

function text(q: string, start: number, end: number, name: string): string {
  if (end - start > 512) fail('http.bad-value', `${name} is too long`);
  return percentDecode(q, start, end, name).toString('latin1');
}

/**
 * Parses an announce query string (with or without the path and `?`). Unknown parameters are
 * ignored; missing `uploaded`/`downloaded`/`left` count as 0; `event=paused` (BEP 21) and
 * `event=empty` count as a regular announce; `num_want` is accepted for `numwant`.
 */
export function parseAnnounceQuery(
  query: string,
  options: HttpQueryOptions = {},
): HttpAnnounceRequest {
  const q = queryOf(query);
  if (q.length > (options.maxLength ?? 8192)) fail('http.too-long', 'query string is too long');
  let infoHash: Buffer | undefined;
  let peerId: Buffer | undefined;
  let port = -1;
  const r: HttpAnnounceRequest = {
    infoHash: undefined as unknown as Buffer,
    peerId: undefined as unknown as Buffer,
    port: 0,
    uploaded: 0,
    downloaded: 0,
    left: 0,
    event: 'none',
  };
  let start = 0;
  while (start <= q.length) {
    let amp = q.indexOf('&', start);
    if (amp < 0) amp = q.length;
    // '=' looked for only inside this parameter: indexOf could rescan the whole rest of the
    // query for every parameter without one (quadratic on hostile input)
    let eq = start;
    while (eq < amp && q.charCodeAt(eq) !== 61) eq++;
    const hasValue = eq < amp;
    const keyEnd = hasValue ? eq : amp;
    const v = hasValue ? eq + 1 : amp;
    const key = q.slice(start, keyEnd);
    switch (key) {
      case 'info_hash':
        if (infoHash) fail('http.duplicate-param', 'more than one info_hash');
        infoHash = percentDecode(q, v, amp, 'info_hash');
        if (infoHash.length !== 20) {
          fail('http.bad-info-hash', `info_hash is ${infoHash.length} bytes, expected 20`);
        }
        break;
      case 'peer_id':
        if (peerId) fail('http.duplicate-param', 'more than one peer_id');
        peerId = percentDecode(q, v, amp, 'peer_id');
        if (peerId.length !== 20) {
          fail('http.bad-peer-id', `peer_id is ${peerId.length} bytes, expected 20`);
        }
        break;
      case 'port':
        port = parseCount(q, v, amp, 'port');
        if (port < 1 || port > 65535) fail('http.bad-port', `port ${port} out of range 1..65535`);
        break;
      case 'uploaded':
        r.uploaded = parseCount(q, v, amp, 'uploaded');
        break;
      case 'downloaded':
        r.downloaded = parseCount(q, v, amp, 'downloaded');
        break;
      case 'left':
        r.left = parseCount(q, v, amp, 'left');
        break;
      case 'event': {
        const e = q.slice(v, amp);
        if (e === 'started' || e === 'completed' || e === 'stopped') r.event = e;
        else if (e === '' || e === 'empty' || e === 'paused') r.event = 'none';
        else fail('http.bad-event', `unknown event ${JSON.stringify(e.slice(0, 20))}`);
        break;
      }
      case 'compact':
        r.compact = q.slice(v, amp) !== '0';
        break;
      case 'no_peer_id':
        r.noPeerId = q.slice(v, amp) !== '0';
        break;
      case 'numwant':
      case 'num_want':
        r.numWant = parseCount(q, v, amp, 'numwant');
        break;
      case 'key':
        r.key = text(q, v, amp, 'key');
        break;
      case 'trackerid':
        r.trackerId = text(q, v, amp, 'trackerid');
        break;
      case 'ip':
        r.ip = text(q, v, amp, 'ip');
        break;
      case 'ipv6':
        r.ipv6 = text(q, v, amp, 'ipv6');
        break;
      default:
      // unknown parameters (supportcrypto, corrupt, redundant, ...) are tolerated
    }
    start = amp + 1;
  }
  if (!infoHash) fail('http.missing-param', 'missing info_hash');
  if (!peerId) fail('http.missing-param', 'missing peer_id');
  if (port < 0) fail('http.missing-param', 'missing port');
  r.infoHash = infoHash;
  r.peerId = peerId;
  r.port = port;
  return r;
}

/** Parses a scrape query string: any number (up to the limit) of `info_hash`. */
export function parseScrapeQuery(query: string, options: HttpQueryOptions = {}): HttpScrapeRequest {
  const q = queryOf(query);
  if (q.length > (options.maxLength ?? 16384)) fail('http.too-long', 'query string is too long');
  const max = options.maxScrapeHashes ?? 128;
  const infoHashes: Buffer[] = [];
  let start = 0;
  while (start < q.length) {
    let amp = q.indexOf('&', start);
    if (amp < 0) amp = q.length;
    if (q.startsWith('info_hash=', start)) {
      const h = percentDecode(q, start + 10, amp, 'info_hash');
      if (h.length !== 20)
        fail('http.bad-info-hash', `info_hash is ${h.length} bytes, expected 20`);
      if (infoHashes.length >= max) fail('http.too-many-hashes', `more than ${max} info_hash`);
      infoHashes.push(h);
    }
    start = amp + 1;
  }
  return { infoHashes };
}

// ---------------------------------------------------------------------------------------------
// Tracker side: responses

export interface HttpAnnounceResponseInit extends HttpAnnounceFields {
  /**
   * Compact IPv4 peers (6 bytes each, BEP 23) — the fast path, written straight into the
   * answer — or the dictionary model (a list of `{ip, port, peer id}`).
   */
  peers?: Uint8Array | readonly HttpPeer[];
  /** Compact IPv6 peers (18 bytes each, BEP 7). */
  peers6?: Uint8Array;
}

function binaryString(s: string | undefined): Buffer | undefined {
  if (s === undefined) return undefined;
  if (!isBinaryString(s)) fail('http.bad-value', 'tracker id is not a binary (latin1) string');
  return Buffer.from(s, 'latin1');
}

/** Bytes of the `external ip` value (4 or 16 raw bytes). */
function externalIpBytes(ip: string): Buffer {
  return parseIp(ip) ?? fail('http.bad-value', `external ip ${JSON.stringify(ip)}`);
}

/**
 * Encodes an announce answer. With compact `peers`/`peers6` it writes the whole bencoded
 * dictionary into one buffer in a single pass, keys in the sorted order bencode requires.
 */
export function encodeHttpAnnounceResponse(r: HttpAnnounceResponseInit): Buffer {
  if (r.peers !== undefined && !(r.peers instanceof Uint8Array)) {
    return encodeDictAnnounce(r, r.peers);
  }
  const parts: (Uint8Array | string)[] = [];
  const int = (key: string, v: number | undefined) => {
    if (v === undefined) return;
    checkCount(key, v);
    parts.push(`${key.length}:${key}i${v}e`);
  };
  const bytes = (key: string, v: Uint8Array | string | undefined) => {
    if (v === undefined) return;
    const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
    parts.push(`${key.length}:${key}${b.length}:`, b);
  };
  if (r.peers && r.peers.length % 6 !== 0) fail('http.bad-value', 'compact peers not 6n bytes');
  if (r.peers6 && r.peers6.length % 18 !== 0)
    fail('http.bad-value', 'compact peers6 not 18n bytes');
  parts.push('d');
  int('complete', r.complete);
  bytes('external ip', r.externalIp === undefined ? undefined : externalIpBytes(r.externalIp));
  int('incomplete', r.incomplete);
  int('interval', r.interval);
  int('min interval', r.minInterval);
  bytes('peers', (r.peers as Uint8Array | undefined) ?? Buffer.alloc(0));
  bytes('peers6', r.peers6);
  bytes('tracker id', binaryString(r.trackerId));
  bytes('warning message', r.warningMessage);
  parts.push('e');
  let size = 0;
  for (const p of parts) size += typeof p === 'string' ? p.length : p.length;
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  for (const p of parts) {
    if (typeof p === 'string') {
      o += out.write(p, o, 'latin1');
    } else {
      out.set(p, o);
      o += p.length;
    }
  }
  return out;
}

function encodeDictAnnounce(r: HttpAnnounceResponseInit, peers: readonly HttpPeer[]): Buffer {
  checkCount('interval', r.interval);
  return encode({
    complete: r.complete,
    'external ip': r.externalIp === undefined ? undefined : externalIpBytes(r.externalIp),
    incomplete: r.incomplete,
    interval: r.interval,
    'min interval': r.minInterval,
    peers: peers.map((p) => {
      if (!Number.isInteger(p.port) || p.port < 0 || p.port > 0xffff) {
        fail('http.bad-value', `port ${p.port}`);
      }
      return { ip: p.ip, port: p.port, 'peer id': p.peerId };
    }),
    peers6: r.peers6,
    'tracker id': binaryString(r.trackerId),
    'warning message': r.warningMessage,
  });
}

/** `d14:failure reason...e`, with BEP 31 `retry in` when given. */
export function encodeHttpFailure(reason: string, retryIn?: number | 'never'): Buffer {
  return encode({ 'failure reason': reason, 'retry in': retryIn });
}

export interface HttpScrapeResponseInit {
  files: readonly HttpScrapeFile[];
  minRequestInterval?: number;
}

export function encodeHttpScrapeResponse(r: HttpScrapeResponseInit): Buffer {
  const files: Record<string, { [k: string]: number | string | undefined }> = {};
  for (const f of r.files) {
    check20('info-hash', f.infoHash);
    checkCount('complete', f.complete);
    checkCount('downloaded', f.downloaded);
    checkCount('incomplete', f.incomplete);
    files[Buffer.from(f.infoHash).toString('latin1')] = {
      complete: f.complete,
      downloaded: f.downloaded,
      incomplete: f.incomplete,
      name: f.name,
    };
  }
  return encode({
    files,
    flags:
      r.minRequestInterval === undefined
        ? undefined
        : { min_request_interval: r.minRequestInterval },
  });
}

// ---------------------------------------------------------------------------------------------
// Client side: responses

/** Largest tracker response body decoded. */
export const HTTP_MAX_RESPONSE = 4 * 1024 * 1024;

function decodeBody(body: Uint8Array): BencodeDict {
  let v: BencodeValue;
  try {
    v = decode(body, { maxSize: HTTP_MAX_RESPONSE, maxDepth: 8 });
  } catch (e) {
    if (e instanceof ProtocolError)
      fail('http.bad-bencode', `response is not bencode: ${e.message}`);
    throw e;
  }
  if (!isDict(v)) fail('http.bad-response', 'response is not a dictionary');
  return v;
}

function optInt(d: BencodeDict, key: string): number | undefined {
  const v = d[key];
  if (v === undefined) return undefined;
  if (!isInt(v) || v < 0) fail('http.bad-response', `"${key}" is not a non-negative integer`);
  return v;
}

function optStr(
  d: BencodeDict,
  key: string,
  encoding: 'utf8' | 'latin1' = 'utf8',
): string | undefined {
  const v = d[key];
  if (v === undefined) return undefined;
  if (!isBytes(v)) fail('http.bad-response', `"${key}" is not a string`);
  return v.toString(encoding);
}

function failureOf(d: BencodeDict): HttpTrackerFailure | null {
  const reason = d['failure reason'];
  if (reason === undefined) return null;
  if (!isBytes(reason)) fail('http.bad-response', '"failure reason" is not a string');
  const f: HttpTrackerFailure = { failureReason: reason.toString('utf8') };
  const retry = d['retry in'];
  if (isInt(retry) && retry >= 0) f.retryIn = retry;
  else if (isBytes(retry) && retry.toString('latin1') === 'never') f.retryIn = 'never';
  return f;
}

function dictPeer(v: BencodeValue): HttpPeer {
  if (!isDict(v)) fail('http.bad-response', 'a peer is not a dictionary');
  const ip = v.ip;
  const port = v.port;
  if (!isBytes(ip) || ip.length === 0 || ip.length > 255) {
    fail('http.bad-response', 'a peer without a valid "ip"');
  }
  if (!isInt(port) || port < 0 || port > 0xffff)
    fail('http.bad-response', 'a peer with a bad port');
  const peer: HttpPeer = { ip: ip.toString('utf8'), port };
  const id = v['peer id'];
  if (id !== undefined) {
    if (!isBytes(id) || id.length !== 20) fail('http.bad-response', 'a peer id is not 20 bytes');
    peer.peerId = Buffer.from(id);
  }
  return peer;
}

function compactPeers(v: BencodeValue, family: AddressFamily, key: string): HttpPeer[] {
  if (!isBytes(v)) fail('http.bad-response', `"${key}" is not a string`);
  if (v.length % compactPeerLength(family) !== 0) {
    fail('http.bad-response', `"${key}" is not a multiple of ${compactPeerLength(family)} bytes`);
  }
  return decodeCompactPeers(v, family);
}

/** Decodes an announce answer body (bencoded); a tracker's refusal is a `HttpTrackerFailure`. */
export function decodeHttpAnnounceResponse(body: Uint8Array): HttpAnnounceResponse {
  const d = decodeBody(body);
  const failure = failureOf(d);
  if (failure) return failure;
  const interval = optInt(d, 'interval');
  if (interval === undefined) fail('http.bad-response', 'missing "interval"');
  const peers: HttpPeer[] = [];
  const p = d.peers;
  if (p !== undefined) {
    if (isList(p)) for (const item of p) peers.push(dictPeer(item));
    else for (const x of compactPeers(p, 4, 'peers')) peers.push(x);
  }
  if (d.peers6 !== undefined) for (const x of compactPeers(d.peers6, 6, 'peers6')) peers.push(x);
  const res: HttpAnnounceSuccess = { interval, peers };
  const minInterval = optInt(d, 'min interval');
  if (minInterval !== undefined) res.minInterval = minInterval;
  const complete = optInt(d, 'complete');
  if (complete !== undefined) res.complete = complete;
  const incomplete = optInt(d, 'incomplete');
  if (incomplete !== undefined) res.incomplete = incomplete;
  const trackerId = optStr(d, 'tracker id', 'latin1');
  if (trackerId !== undefined) res.trackerId = trackerId;
  const warning = optStr(d, 'warning message');
  if (warning !== undefined) res.warningMessage = warning;
  const ext = d['external ip'];
  if (isBytes(ext) && (ext.length === 4 || ext.length === 16)) {
    res.externalIp = formatIp(ext);
  }
  return res;
}

/** Decodes a scrape answer body. */
export function decodeHttpScrapeResponse(body: Uint8Array): HttpScrapeResponse {
  const d = decodeBody(body);
  const failure = failureOf(d);
  if (failure) return failure;
  const files = d.files;
  if (!isDict(files)) fail('http.bad-response', 'missing "files" dictionary');
  const out: HttpScrapeFile[] = [];
  for (const key of Object.keys(files)) {
    if (key.length !== 20) fail('http.bad-response', 'a "files" key is not a 20-byte info-hash');
    const f = files[key];
    if (!isDict(f)) fail('http.bad-response', 'a "files" entry is not a dictionary');
    const file: HttpScrapeFile = {
      infoHash: Buffer.from(key, 'latin1'),
      complete: optInt(f, 'complete') ?? 0,
      downloaded: optInt(f, 'downloaded') ?? 0,
      incomplete: optInt(f, 'incomplete') ?? 0,
    };
    const name = optStr(f, 'name');
    if (name !== undefined) file.name = name;
    out.push(file);
  }
  const res: HttpScrapeSuccess = { files: out };
  const flags = d.flags;
  if (isDict(flags)) {
    const m = optInt(flags, 'min_request_interval');
    if (m !== undefined) res.minRequestInterval = m;
  }
  return res;
}
