/**
 * Compact peer addresses shared by the HTTP (BEP 23 `peers`, BEP 7 `peers6`) and UDP (BEP 15)
 * tracker codecs, plus IP text ↔ bytes conversion: 6 bytes per IPv4 peer, 18 per IPv6 peer,
 * address then port, big-endian.
 */
import { TrackerCodecError } from '../errors';

export type AddressFamily = 4 | 6;

export interface PeerAddress {
  /** Dotted IPv4 ("192.0.2.1") or IPv6 text ("2001:db8::1"). */
  ip: string;
  port: number;
}

export function compactPeerLength(family: AddressFamily): number {
  return family === 4 ? 6 : 18;
}

function bad(code: string, message: string): never {
  throw new TrackerCodecError(code, message);
}

/**
 * Parses dotted IPv4 into a uint32, or returns -1. Strict: four decimal parts of 0..255 without
 * leading zeros. A plain character loop: trackers call it for every packet's source address.
 */
export function parseIPv4(text: string): number {
  const len = text.length;
  if (len < 7 || len > 15) return -1;
  let n = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= len; i++) {
    const c = i < len ? text.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || ++parts > 4) return -1;
      n = n * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // leading zero
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else return -1;
  }
  return parts === 4 ? n : -1;
}

export function formatIPv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Parses IPv6 text (with `::` and an optional dotted IPv4 tail) into 16 bytes, or null. */
export function parseIPv6(text: string): Buffer | null {
  if (text.length > 45 || text.length < 2) return null;
  const out = Buffer.alloc(16);
  let s = text;
  let tail4 = -1;
  const lastColon = s.lastIndexOf(':');
  if (s.indexOf('.', lastColon) >= 0) {
    tail4 = parseIPv4(s.slice(lastColon + 1));
    if (tail4 < 0) return null;
    s = s.slice(0, lastColon + 1) + '0:0';
  }
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return null;
  const parseGroups = (part: string): number[] | null => {
    if (part === '') return [];
    const groups = part.split(':');
    const vals: number[] = [];
    for (const g of groups) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      vals.push(parseInt(g, 16));
    }
    return vals;
  };
  let groups: number[];
  if (dbl >= 0) {
    const head = parseGroups(s.slice(0, dbl));
    const rest = parseGroups(s.slice(dbl + 2));
    if (!head || !rest || head.length + rest.length > 7) return null;
    groups = [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  } else {
    const all = parseGroups(s);
    if (!all || all.length !== 8) return null;
    groups = all;
  }
  for (let i = 0; i < 8; i++) out.writeUInt16BE(groups[i], i * 2);
  if (tail4 >= 0) out.writeUInt32BE(tail4, 12);
  return out;
}

/** RFC 5952 text of 16 address bytes: lower case, longest run of zero groups as `::`. */
export function formatIPv6(b: Uint8Array, offset = 0): string {
  const g: number[] = [];
  let mapped = true; // ::ffff:a.b.c.d is written with its IPv4 tail, as RFC 5952 says
  for (let i = 0; i < 10 && mapped; i++) mapped = b[offset + i] === 0;
  if (mapped && b[offset + 10] === 0xff && b[offset + 11] === 0xff) {
    return `::ffff:${b[offset + 12]}.${b[offset + 13]}.${b[offset + 14]}.${b[offset + 15]}`;
  }
  for (let i = 0; i < 8; i++) g.push((b[offset + i * 2] << 8) | b[offset + i * 2 + 1]);
  let bestStart = -1;
  let bestLen = 1; // a single zero group is not compressed
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return hex.slice(0, bestStart).join(':') + '::' + hex.slice(bestStart + bestLen).join(':');
}

/** IPv4 or IPv6 text (no zone id) → its 4 or 16 network-order bytes, or null. */
export function parseIp(text: string): Buffer | null {
  const v4 = parseIPv4(text);
  if (v4 >= 0) {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32BE(v4);
    return b;
  }
  return parseIPv6(text);
}

/** 4 or 16 network-order bytes → the usual text form. */
export function formatIp(b: Uint8Array): string {
  if (b.length === 4) return formatIPv4(((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0);
  return formatIPv6(b);
}

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
    bad('tracker.bad-port', `port ${port} out of range 0..65535`);
  }
}

/**
 * Writes one compact IPv4 peer from numbers (no text parsing: for a tracker that keeps addresses
 * as uint32); returns the offset after it.
 */
export function writeCompactPeer4(
  target: Buffer,
  offset: number,
  ip: number,
  port: number,
): number {
  target[offset] = ip >>> 24;
  target[offset + 1] = ip >>> 16;
  target[offset + 2] = ip >>> 8;
  target[offset + 3] = ip;
  target[offset + 4] = port >>> 8;
  target[offset + 5] = port;
  return offset + 6;
}

/** Writes one compact IPv6 peer from its 16 address bytes; returns the offset after it. */
export function writeCompactPeer6(
  target: Buffer,
  offset: number,
  ip: Uint8Array,
  port: number,
): number {
  target.set(ip.subarray(0, 16), offset);
  target[offset + 16] = port >>> 8;
  target[offset + 17] = port;
  return offset + 18;
}

/** Writes one compact peer at `target[offset]`; returns the offset after it. */
export function writeCompactPeer(
  target: Buffer,
  offset: number,
  peer: PeerAddress,
  family: AddressFamily,
): number {
  checkPort(peer.port);
  if (family === 4) {
    const n = parseIPv4(peer.ip);
    if (n < 0) bad('tracker.bad-ip', `not an IPv4 address: ${JSON.stringify(peer.ip)}`);
    target.writeUInt32BE(n, offset);
    target.writeUInt16BE(peer.port, offset + 4);
    return offset + 6;
  }
  const b = parseIPv6(peer.ip);
  if (!b) bad('tracker.bad-ip', `not an IPv6 address: ${JSON.stringify(peer.ip)}`);
  b.copy(target, offset);
  target.writeUInt16BE(peer.port, offset + 16);
  return offset + 18;
}

/** Packs peers of one family into compact form. */
export function encodeCompactPeers(peers: readonly PeerAddress[], family: AddressFamily): Buffer {
  const out = Buffer.allocUnsafe(peers.length * compactPeerLength(family));
  let off = 0;
  for (const p of peers) off = writeCompactPeer(out, off, p, family);
  return out;
}

/** Unpacks compact peers; the length must be a multiple of 6 (IPv4) or 18 (IPv6). */
export function decodeCompactPeers(
  buf: Uint8Array,
  family: AddressFamily,
  start = 0,
  end = buf.length,
): PeerAddress[] {
  const size = compactPeerLength(family);
  if ((end - start) % size !== 0) {
    bad(
      'tracker.bad-compact-peers',
      `compact IPv${family} peers: ${end - start} bytes is not a multiple of ${size}`,
    );
  }
  const peers: PeerAddress[] = [];
  for (let o = start; o < end; o += size) {
    if (family === 4) {
      const n = ((buf[o] << 24) | (buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3]) >>> 0;
      peers.push({ ip: formatIPv4(n), port: (buf[o + 4] << 8) | buf[o + 5] });
    } else {
      peers.push({ ip: formatIPv6(buf, o), port: (buf[o + 16] << 8) | buf[o + 17] });
    }
  }
  return peers;
}
