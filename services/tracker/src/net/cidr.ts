import { ipToBytes } from './ip';

/** One address range: network bytes (4 or 16) and a prefix length. */
interface Range {
  bytes: Buffer;
  prefix: number;
}

/**
 * A set of address ranges ("10.0.0.0/8", "fd00::/8", "192.0.2.7"), for `--trusted-proxies`.
 * IPv4-mapped IPv6 addresses match the IPv4 ranges (ipToBytes reduces them to 4 bytes).
 */
export class CidrSet {
  private readonly ranges: Range[];

  private constructor(ranges: Range[]) {
    this.ranges = ranges;
  }

  /** Parses a comma-separated list; throws a RangeError naming the first bad entry. */
  static parse(list: string | readonly string[]): CidrSet {
    const items = typeof list === 'string' ? list.split(',') : list;
    const ranges: Range[] = [];
    for (const raw of items) {
      const item = raw.trim();
      if (item === '') continue;
      const slash = item.indexOf('/');
      const bytes = ipToBytes(slash < 0 ? item : item.slice(0, slash));
      if (bytes === null) throw new RangeError(`not an address or CIDR range: ${item}`);
      const max = bytes.length * 8;
      const prefix = slash < 0 ? max : Number(item.slice(slash + 1));
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || item.endsWith('/'))
        throw new RangeError(`bad prefix length in ${item}`);
      ranges.push({ bytes, prefix });
    }
    return new CidrSet(ranges);
  }

  get size(): number {
    return this.ranges.length;
  }

  /** Whether `ip` (4 or 16 bytes) lies in one of the ranges. */
  has(ip: Buffer | null): boolean {
    if (ip === null) return false;
    for (const r of this.ranges) {
      if (r.bytes.length !== ip.length) continue;
      const whole = r.prefix >> 3;
      let i = 0;
      while (i < whole && r.bytes[i] === ip[i]) i++;
      if (i < whole) continue;
      const rest = r.prefix & 7;
      if (rest === 0) return true;
      const mask = (0xff << (8 - rest)) & 0xff;
      if ((r.bytes[whole] & mask) === (ip[whole] & mask)) return true;
    }
    return false;
  }

  /**
   * The client address from an X-Forwarded-For value, added to by each proxy on the way: the
   * rightmost entry that is not itself a trusted proxy (entries to its left were written by the
   * client and prove nothing). Null when an entry on the way is not an address.
   */
  clientFromForwardedFor(value: string): Buffer | null {
    let end = value.length;
    let last: Buffer | null = null;
    while (end > 0) {
      const comma = value.lastIndexOf(',', end - 1);
      const ip = ipToBytes(stripPort(value.slice(comma + 1, end).trim()));
      if (ip === null) return null;
      if (!this.has(ip)) return ip;
      last = ip;
      end = comma < 0 ? 0 : comma;
    }
    // Every entry is a trusted proxy: the leftmost is the furthest one known.
    return last;
  }
}

/** "[2001:db8::1]:443" or "192.0.2.1:80" → the address (some proxies append the port). */
function stripPort(s: string): string {
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    return close < 0 ? s : s.slice(1, close);
  }
  const colon = s.indexOf(':');
  return colon > 0 && colon === s.lastIndexOf(':') ? s.slice(0, colon) : s;
}

/** Loopback and private ranges: what the legacy `--trust-proxy` switch trusts. */
export const PRIVATE_RANGES = [
  '127.0.0.0/8',
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  '::1/128',
  'fc00::/7',
];
