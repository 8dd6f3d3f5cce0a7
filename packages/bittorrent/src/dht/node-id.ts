/**
 * Node ids (BEP 5) and the BEP 42 rule that ties a node's id to its external address: the top 21
 * bits of the id come from CRC32-C of the masked address, the last byte is the random `r` that
 * went into it. Addresses in local networks are exempt, so nodes on a LAN or loopback keep any id.
 */
import { parseIp } from '../tracker/compact';

export const NODE_ID_LENGTH = 20;

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC32-C (Castagnoli), as BEP 42 uses it. */
export function crc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC32C_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const MASK4 = [0x03, 0x0f, 0x3f, 0xff];
const MASK6 = [0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff];

/** The CRC BEP 42 derives from `ip` (4 or 16 bytes) and `r` (0..7). */
function prefixCrc(ip: Uint8Array, r: number): number {
  const mask = ip.length === 4 ? MASK4 : MASK6;
  const b = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) b[i] = ip[i] & mask[i];
  b[0] |= (r & 7) << 5;
  return crc32c(b);
}

function ipBytes(ip: string | Uint8Array): Uint8Array | null {
  if (typeof ip !== 'string') return ip.length === 4 || ip.length === 16 ? ip : null;
  const b = parseIp(ip);
  if (!b) return null;
  return mapped4(b) ?? b;
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:a.b.c.d), or null. */
function mapped4(b: Uint8Array): Uint8Array | null {
  if (b.length !== 16) return null;
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return null;
  return b[10] === 0xff && b[11] === 0xff ? b.subarray(12) : null;
}

/**
 * Whether BEP 42 exempts `ip`: loopback, private, link-local and unspecified addresses (the
 * ranges BEP 42 lists, plus IPv6's loopback, unique-local and link-local).
 */
export function isLocalAddress(ip: string | Uint8Array): boolean {
  const b = ipBytes(ip);
  if (!b) return false;
  if (b.length === 4) {
    const [a, c] = [b[0], b[1]];
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 169 && c === 254) ||
      (a === 172 && (c & 0xf0) === 16) ||
      (a === 192 && c === 168)
    );
  }
  let zero = true;
  for (let i = 0; i < 15; i++) if (b[i] !== 0) zero = false;
  if (zero && (b[15] === 1 || b[15] === 0)) return true; // ::1 and ::
  return (b[0] & 0xfe) === 0xfc || (b[0] === 0xfe && (b[1] & 0xc0) === 0x80);
}

/**
 * A BEP 42 node id for external address `ip`; `random` supplies the 17 free bytes (r is taken
 * from its last byte). Throws on text that is not an IP address.
 */
export function nodeIdForAddress(ip: string | Uint8Array, random: Uint8Array): Buffer {
  const b = ipBytes(ip);
  if (!b) throw new RangeError(`not an IP address: ${String(ip)}`);
  if (random.length < NODE_ID_LENGTH) throw new RangeError('need 20 random bytes');
  const r = random[19] & 7;
  const crc = prefixCrc(b, r);
  const id = Buffer.from(random.subarray(0, NODE_ID_LENGTH));
  id[0] = crc >>> 24;
  id[1] = crc >>> 16;
  id[2] = ((crc >>> 8) & 0xf8) | (random[2] & 7);
  id[19] = r;
  return id;
}

/** Whether `id` satisfies BEP 42 for `ip`. Local addresses always pass. */
export function nodeIdMatchesAddress(id: Uint8Array, ip: string | Uint8Array): boolean {
  const b = ipBytes(ip);
  if (!b || id.length !== NODE_ID_LENGTH) return false;
  if (isLocalAddress(b)) return true;
  const crc = prefixCrc(b, id[19]);
  return (
    id[0] === crc >>> 24 &&
    id[1] === ((crc >>> 16) & 0xff) &&
    (id[2] & 0xf8) === ((crc >>> 8) & 0xf8)
  );
}

/** XOR distance of two 20-byte ids, as a new buffer (compare with Buffer.compare). */
export function distance(a: Uint8Array, b: Uint8Array): Buffer {
  const d = Buffer.allocUnsafe(NODE_ID_LENGTH);
  for (let i = 0; i < NODE_ID_LENGTH; i++) d[i] = a[i] ^ b[i];
  return d;
}

/** Negative when `a` is closer to `target` than `b`, positive when farther, 0 when equal. */
export function compareDistance(target: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < NODE_ID_LENGTH; i++) {
    const x = a[i] ^ target[i];
    const y = b[i] ^ target[i];
    if (x !== y) return x - y;
  }
  return 0;
}

/** Number of leading bits `a` and `b` share (0..160). */
export function commonPrefixLength(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < NODE_ID_LENGTH; i++) {
    const x = a[i] ^ b[i];
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return NODE_ID_LENGTH * 8;
}
