/**
 * UDP tracker packets (BEP 15, with the BEP 41 URL-data option), both directions:
 * a client encodes requests and decodes responses, a tracker decodes requests and encodes
 * responses. All integers are big-endian.
 *
 * Tracker hot path: `decodeUdpAnnounceRequest(packet, out)` fills a reusable object (copying the
 * ids into its own buffers) and allocates nothing unless the packet carries BEP 41 URL data;
 * the response encoders write into a caller's buffer when given one.
 *
 * Connection ids are 8-byte Buffers (opaque to the client; the tracker makes and checks them).
 * 64-bit counters are JS numbers: values beyond 2^53 - 1 or negative are refused.
 */
import { TrackerCodecError } from '../errors';
import { AddressFamily, PeerAddress, compactPeerLength, decodeCompactPeers } from './compact';
import { AnnounceEvent, ScrapeStats } from './types';

export const UdpAction = { Connect: 0, Announce: 1, Scrape: 2, Error: 3 } as const;

/** The magic connection id of a connect request, 0x41727101980. */
export const UDP_PROTOCOL_ID = Buffer.from([0, 0, 0x04, 0x17, 0x27, 0x10, 0x19, 0x80]);
export const UDP_CONNECT_LENGTH = 16;
export const UDP_ANNOUNCE_REQUEST_LENGTH = 98;
export const UDP_ANNOUNCE_RESPONSE_HEADER = 20;
/** BEP 15: "up to about 74 torrents can be scraped at once" (a 1500-byte MTU). */
export const UDP_MAX_SCRAPE_HASHES = 74;
/** Largest request a tracker accepts: an announce with a generous BEP 41 option area. */
export const UDP_MAX_REQUEST_LENGTH = 1500;

const EVENTS: readonly AnnounceEvent[] = ['none', 'completed', 'started', 'stopped'];
const TWO32 = 2 ** 32;

export interface UdpConnectRequest {
  action: 'connect';
  transactionId: number;
}

export interface UdpAnnounceRequest {
  action: 'announce';
  connectionId: Buffer;
  transactionId: number;
  infoHash: Buffer;
  peerId: Buffer;
  downloaded: number;
  left: number;
  uploaded: number;
  event: AnnounceEvent;
  /** IPv4 address as a uint32; 0 means "the packet's source address". */
  ip: number;
  key: number;
  /** -1 means "tracker's default". */
  numWant: number;
  port: number;
  /** BEP 41 URL data (path and query of the announce URL), '' when absent. */
  urlData: string;
}

export interface UdpScrapeRequest {
  action: 'scrape';
  connectionId: Buffer;
  transactionId: number;
  infoHashes: Buffer[];
}

export type UdpRequest = UdpConnectRequest | UdpAnnounceRequest | UdpScrapeRequest;

export interface UdpConnectResponse {
  action: 'connect';
  transactionId: number;
  connectionId: Buffer;
}

export interface UdpAnnounceResponse {
  action: 'announce';
  transactionId: number;
  interval: number;
  leechers: number;
  seeders: number;
  peers: PeerAddress[];
}

export interface UdpScrapeResponse {
  action: 'scrape';
  transactionId: number;
  /** In the order of the request's info-hashes. */
  files: ScrapeStats[];
}

export interface UdpErrorResponse {
  action: 'error';
  transactionId: number;
  message: string;
}

export type UdpResponse =
  UdpConnectResponse | UdpAnnounceResponse | UdpScrapeResponse | UdpErrorResponse;

function fail(code: string, message: string): never {
  throw new TrackerCodecError(code, `udp tracker: ${message}`);
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

function i32(b: Uint8Array, o: number): number {
  return (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
}

function readCount(b: Uint8Array, o: number, name: string): number {
  const hi = u32(b, o);
  if (hi >= 0x200000) {
    fail(hi >= 0x80000000 ? 'udp.negative' : 'udp.too-large', `${name} out of range`);
  }
  return hi * TWO32 + u32(b, o + 4);
}

/** Byte loop instead of `set(subarray())`: a view would be one more allocation per id. */
function copyBytes(src: Uint8Array, start: number, dst: Uint8Array, n: number): void {
  for (let i = 0; i < n; i++) dst[i] = src[start + i];
}

function writeU32(b: Buffer, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

function checkU32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) fail('udp.bad-value', `${name} ${v}`);
}

function writeCount(b: Buffer, o: number, v: number, name: string): void {
  if (!Number.isSafeInteger(v) || v < 0) fail('udp.bad-value', `${name} ${v}`);
  writeU32(b, o, Math.floor(v / TWO32));
  writeU32(b, o + 4, v % TWO32);
}

function checkId(name: string, b: Uint8Array, len: number): void {
  if (b.length !== len) fail('udp.bad-value', `${name} must be ${len} bytes, got ${b.length}`);
}

function target(out: Buffer | undefined, size: number): Buffer {
  if (!out) return Buffer.allocUnsafe(size);
  if (out.length < size)
    fail('udp.buffer-too-small', `needs ${size} bytes, buffer has ${out.length}`);
  return out.subarray(0, size);
}

// ---------------------------------------------------------------------------------------------
// Tracker side: decode requests

/** Transaction id of a request packet (for an error reply to a bad one), or -1 if too short. */
export function udpTransactionId(packet: Uint8Array): number {
  return packet.length >= 16 ? u32(packet, 12) : -1;
}

/** Action field of a request (0 connect, 1 announce, 2 scrape); validates the minimum size. */
export function udpRequestAction(packet: Uint8Array): number {
  if (packet.length < 16) fail('udp.truncated', `request of ${packet.length} bytes`);
  return u32(packet, 8);
}

/** A fresh object for `decodeUdpAnnounceRequest(packet, out)` to fill again and again. */
export function createUdpAnnounceRequest(): UdpAnnounceRequest {
  return {
    action: 'announce',
    connectionId: Buffer.alloc(8),
    transactionId: 0,
    infoHash: Buffer.alloc(20),
    peerId: Buffer.alloc(20),
    downloaded: 0,
    left: 0,
    uploaded: 0,
    event: 'none',
    ip: 0,
    key: 0,
    numWant: -1,
    port: 0,
    urlData: '',
  };
}

/**
 * Decodes an announce request. With `out`, fills it in place (ids copied into its buffers, which
 * must be 8/20/20 bytes, as `createUdpAnnounceRequest` makes them) and allocates nothing else.
 */
export function decodeUdpAnnounceRequest(
  packet: Uint8Array,
  out: UdpAnnounceRequest = createUdpAnnounceRequest(),
): UdpAnnounceRequest {
  const n = packet.length;
  if (n < UDP_ANNOUNCE_REQUEST_LENGTH) {
    fail(
      'udp.truncated',
      `announce request of ${n} bytes, expected ${UDP_ANNOUNCE_REQUEST_LENGTH}`,
    );
  }
  if (n > UDP_MAX_REQUEST_LENGTH) fail('udp.too-long', `announce request of ${n} bytes`);
  if (u32(packet, 8) !== UdpAction.Announce) fail('udp.bad-action', 'not an announce request');
  const event = u32(packet, 80);
  if (event > 3) fail('udp.bad-event', `unknown event ${event}`);
  copyBytes(packet, 0, out.connectionId, 8);
  out.transactionId = u32(packet, 12);
  copyBytes(packet, 16, out.infoHash, 20);
  copyBytes(packet, 36, out.peerId, 20);
  out.downloaded = readCount(packet, 56, 'downloaded');
  out.left = readCount(packet, 64, 'left');
  out.uploaded = readCount(packet, 72, 'uploaded');
  out.event = EVENTS[event];
  out.ip = u32(packet, 84);
  out.key = u32(packet, 88);
  out.numWant = i32(packet, 92);
  out.port = (packet[96] << 8) | packet[97];
  out.urlData = n > UDP_ANNOUNCE_REQUEST_LENGTH ? readOptions(packet) : '';
  return out;
}

/** BEP 41 options after the 98-byte announce: 0 end, 1 no-op, 2 URL data; others skipped. */
function readOptions(p: Uint8Array): string {
  let url = '';
  let o = UDP_ANNOUNCE_REQUEST_LENGTH;
  while (o < p.length) {
    const type = p[o++];
    if (type === 0) break;
    if (type === 1) continue;
    if (o >= p.length) fail('udp.bad-option', `option ${type} without a length`);
    const len = p[o++];
    if (o + len > p.length) fail('udp.bad-option', `option ${type} truncated`);
    if (type === 2) url += Buffer.from(p.buffer, p.byteOffset + o, len).toString('latin1');
    o += len;
  }
  return url;
}

/** Decodes a scrape request: 16 bytes then 1..`maxHashes` info-hashes (copied). */
export function decodeUdpScrapeRequest(
  packet: Uint8Array,
  maxHashes = UDP_MAX_SCRAPE_HASHES,
): UdpScrapeRequest {
  const n = packet.length;
  if (n < 36) fail('udp.truncated', `scrape request of ${n} bytes`);
  if ((n - 16) % 20 !== 0) fail('udp.bad-length', `scrape request of ${n} bytes`);
  const count = (n - 16) / 20;
  if (count > maxHashes) fail('udp.too-many-hashes', `${count} info-hashes, at most ${maxHashes}`);
  if (u32(packet, 8) !== UdpAction.Scrape) fail('udp.bad-action', 'not a scrape request');
  const all = Buffer.from(packet.subarray(16)); // one copy for all hashes
  const infoHashes: Buffer[] = [];
  for (let i = 0; i < count; i++) infoHashes.push(all.subarray(i * 20, i * 20 + 20));
  return {
    action: 'scrape',
    connectionId: Buffer.from(packet.subarray(0, 8)),
    transactionId: u32(packet, 12),
    infoHashes,
  };
}

/** Decodes any request packet a tracker receives. */
export function decodeUdpRequest(packet: Uint8Array): UdpRequest {
  const action = udpRequestAction(packet);
  switch (action) {
    case UdpAction.Connect:
      if (packet.length !== UDP_CONNECT_LENGTH) {
        fail('udp.bad-length', `connect request of ${packet.length} bytes, expected 16`);
      }
      if (!UDP_PROTOCOL_ID.equals(packet.subarray(0, 8))) {
        fail('udp.bad-protocol-id', 'connect request without the protocol id 0x41727101980');
      }
      return { action: 'connect', transactionId: u32(packet, 12) };
    case UdpAction.Announce:
      return decodeUdpAnnounceRequest(packet);
    case UdpAction.Scrape:
      return decodeUdpScrapeRequest(packet);
    default:
      return fail('udp.bad-action', `unknown action ${action}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Tracker side: encode responses (into `out` when given; the result is a view of it)

export function encodeUdpConnectResponse(
  transactionId: number,
  connectionId: Uint8Array,
  out?: Buffer,
): Buffer {
  checkU32('transaction id', transactionId);
  checkId('connection id', connectionId, 8);
  const b = target(out, 16);
  writeU32(b, 0, UdpAction.Connect);
  writeU32(b, 4, transactionId);
  b.set(connectionId, 8);
  return b;
}

/**
 * Writes the 20-byte announce response header at `out[0]`; the tracker then writes the compact
 * peers from offset 20 (e.g. with `writeCompactPeer`) and sends `out.subarray(0, 20 + k * size)`.
 */
export function writeUdpAnnounceResponseHeader(
  out: Buffer,
  transactionId: number,
  interval: number,
  leechers: number,
  seeders: number,
): number {
  checkU32('transaction id', transactionId);
  checkU32('interval', interval);
  checkU32('leechers', leechers);
  checkU32('seeders', seeders);
  if (out.length < UDP_ANNOUNCE_RESPONSE_HEADER) fail('udp.buffer-too-small', 'needs 20 bytes');
  writeU32(out, 0, UdpAction.Announce);
  writeU32(out, 4, transactionId);
  writeU32(out, 8, interval);
  writeU32(out, 12, leechers);
  writeU32(out, 16, seeders);
  return UDP_ANNOUNCE_RESPONSE_HEADER;
}

export interface UdpAnnounceResponseInit {
  transactionId: number;
  interval: number;
  leechers: number;
  seeders: number;
  /** Compact peers of the request's family: 6 bytes each over IPv4, 18 over IPv6. */
  peers: Uint8Array;
  family: AddressFamily;
}

export function encodeUdpAnnounceResponse(r: UdpAnnounceResponseInit, out?: Buffer): Buffer {
  if (r.peers.length % compactPeerLength(r.family) !== 0) {
    fail('udp.bad-value', `compact IPv${r.family} peers of ${r.peers.length} bytes`);
  }
  const b = target(out, UDP_ANNOUNCE_RESPONSE_HEADER + r.peers.length);
  writeUdpAnnounceResponseHeader(b, r.transactionId, r.interval, r.leechers, r.seeders);
  b.set(r.peers, UDP_ANNOUNCE_RESPONSE_HEADER);
  return b;
}

export function encodeUdpScrapeResponse(
  transactionId: number,
  files: readonly ScrapeStats[],
  out?: Buffer,
): Buffer {
  checkU32('transaction id', transactionId);
  const b = target(out, 8 + files.length * 12);
  writeU32(b, 0, UdpAction.Scrape);
  writeU32(b, 4, transactionId);
  let o = 8;
  for (const f of files) {
    checkU32('complete', f.complete);
    checkU32('downloaded', f.downloaded);
    checkU32('incomplete', f.incomplete);
    writeU32(b, o, f.complete);
    writeU32(b, o + 4, f.downloaded);
    writeU32(b, o + 8, f.incomplete);
    o += 12;
  }
  return b;
}

export function encodeUdpErrorResponse(
  transactionId: number,
  message: string,
  out?: Buffer,
): Buffer {
  checkU32('transaction id', transactionId);
  const len = Buffer.byteLength(message, 'utf8');
  const b = target(out, 8 + len);
  writeU32(b, 0, UdpAction.Error);
  writeU32(b, 4, transactionId);
  b.write(message, 8, len, 'utf8');
  return b;
}

// ---------------------------------------------------------------------------------------------
// Client side: encode requests

export function encodeUdpConnectRequest(transactionId: number): Buffer {
  checkU32('transaction id', transactionId);
  const b = Buffer.allocUnsafe(16);
  UDP_PROTOCOL_ID.copy(b, 0);
  writeU32(b, 8, UdpAction.Connect);
  writeU32(b, 12, transactionId);
  return b;
}

export type UdpAnnounceRequestInit = Omit<UdpAnnounceRequest, 'action' | 'urlData'> & {
  urlData?: string;
};

export function encodeUdpAnnounceRequest(r: UdpAnnounceRequestInit, out?: Buffer): Buffer {
  checkId('connection id', r.connectionId, 8);
  checkId('info-hash', r.infoHash, 20);
  checkId('peer id', r.peerId, 20);
  checkU32('transaction id', r.transactionId);
  checkU32('ip', r.ip);
  checkU32('key', r.key);
  if (!Number.isInteger(r.numWant) || r.numWant < -1 || r.numWant > 0x7fffffff) {
    fail('udp.bad-value', `numWant ${r.numWant}`);
  }
  if (!Number.isInteger(r.port) || r.port < 0 || r.port > 0xffff) {
    fail('udp.bad-value', `port ${r.port}`);
  }
  const event = EVENTS.indexOf(r.event);
  if (event < 0) fail('udp.bad-value', `event ${r.event}`);
  const url = r.urlData ? Buffer.from(r.urlData, 'latin1') : null;
  // BEP 41: URL data in chunks of at most 255 bytes, each as option 2 with a length byte.
  const optLen = url ? url.length + 2 * Math.ceil(url.length / 255) : 0;
  const b = target(out, UDP_ANNOUNCE_REQUEST_LENGTH + optLen);
  b.set(r.connectionId, 0);
  writeU32(b, 8, UdpAction.Announce);
  writeU32(b, 12, r.transactionId);
  b.set(r.infoHash, 16);
  b.set(r.peerId, 36);
  writeCount(b, 56, r.downloaded, 'downloaded');
  writeCount(b, 64, r.left, 'left');
  writeCount(b, 72, r.uploaded, 'uploaded');
  writeU32(b, 80, event);
  writeU32(b, 84, r.ip);
  writeU32(b, 88, r.key);
  writeU32(b, 92, r.numWant);
  b[96] = r.port >>> 8;
  b[97] = r.port;
  if (url) {
    let o = UDP_ANNOUNCE_REQUEST_LENGTH;
    for (let i = 0; i < url.length; i += 255) {
      const n = Math.min(255, url.length - i);
      b[o++] = 2;
      b[o++] = n;
      url.copy(b, o, i, i + n);
      o += n;
    }
  }
  return b;
}

export function encodeUdpScrapeRequest(
  connectionId: Uint8Array,
  transactionId: number,
  infoHashes: readonly Uint8Array[],
): Buffer {
  checkId('connection id', connectionId, 8);
  checkU32('transaction id', transactionId);
  if (infoHashes.length === 0 || infoHashes.length > UDP_MAX_SCRAPE_HASHES) {
    fail('udp.bad-value', `scrape of ${infoHashes.length} info-hashes (1..74)`);
  }
  const b = Buffer.allocUnsafe(16 + 20 * infoHashes.length);
  b.set(connectionId, 0);
  writeU32(b, 8, UdpAction.Scrape);
  writeU32(b, 12, transactionId);
  infoHashes.forEach((h, i) => {
    checkId('info-hash', h, 20);
    b.set(h, 16 + i * 20);
  });
  return b;
}

// ---------------------------------------------------------------------------------------------
// Client side: decode responses

/**
 * Decodes a tracker's response. `family` is the address family the request was sent over: a
 * tracker answers an announce over IPv6 with 18-byte peers (BEP 15).
 */
export function decodeUdpResponse(packet: Uint8Array, family: AddressFamily = 4): UdpResponse {
  const n = packet.length;
  if (n < 8) fail('udp.truncated', `response of ${n} bytes`);
  const action = u32(packet, 0);
  const transactionId = u32(packet, 4);
  switch (action) {
    case UdpAction.Connect:
      // BEP 15: "check whether the packet is at least 16 bytes"; extra bytes are ignored.
      if (n < 16) fail('udp.truncated', `connect response of ${n} bytes`);
      return {
        action: 'connect',
        transactionId,
        connectionId: Buffer.from(packet.subarray(8, 16)),
      };
    case UdpAction.Announce: {
      if (n < UDP_ANNOUNCE_RESPONSE_HEADER)
        fail('udp.truncated', `announce response of ${n} bytes`);
      const size = compactPeerLength(family);
      if ((n - 20) % size !== 0) {
        fail('udp.bad-length', `announce response peers of ${n - 20} bytes for IPv${family}`);
      }
      return {
        action: 'announce',
        transactionId,
        interval: u32(packet, 8),
        leechers: u32(packet, 12),
        seeders: u32(packet, 16),
        peers: decodeCompactPeers(packet, family, 20, n),
      };
    }
    case UdpAction.Scrape: {
      if ((n - 8) % 12 !== 0) fail('udp.bad-length', `scrape response of ${n} bytes`);
      const files: ScrapeStats[] = [];
      for (let o = 8; o < n; o += 12) {
        files.push({
          complete: u32(packet, o),
          downloaded: u32(packet, o + 4),
          incomplete: u32(packet, o + 8),
        });
      }
      return { action: 'scrape', transactionId, files };
    }
    case UdpAction.Error:
      return {
        action: 'error',
        transactionId,
        message: Buffer.from(packet.buffer, packet.byteOffset + 8, n - 8).toString('utf8'),
      };
    default:
      return fail('udp.bad-action', `unknown action ${action} in a response`);
  }
}
