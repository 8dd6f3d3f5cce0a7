import { isIPv4, isIPv6 } from 'node:net';

/**
 * Textual IP address → network-order bytes: 4 for IPv4 (also for IPv4-mapped IPv6 such as
 * "::ffff:127.0.0.1", which is how a dual-stack socket reports IPv4 clients), 16 for IPv6.
 * Returns null for anything else, including zone ids ("fe80::1%eth0").
 */
export function ipToBytes(text: string): Buffer | null {
  if (isIPv4(text)) return v4(text);
  if (!isIPv6(text) || text.includes('%')) return null;
  const bytes = v6(text);
  if (bytes === null) return null;
  if (isV4Mapped(bytes)) return Buffer.from(bytes.subarray(12));
  return bytes;
}

function v4(text: string): Buffer {
  const out = Buffer.allocUnsafe(4);
  let part = 0;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      out[part++] = value;
      value = 0;
    } else value = value * 10 + (c - 48);
  }
  out[part] = value;
  return out;
}

function v6(text: string): Buffer | null {
  let head = text;
  let tail = '';
  const gap = text.indexOf('::');
  if (gap >= 0) {
    head = text.slice(0, gap);
    tail = text.slice(gap + 2);
  }
  const groups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (g.includes('.')) {
        const b = v4(g);
        out.push((b[0] << 8) | b[1], (b[2] << 8) | b[3]);
      } else out.push(parseInt(g, 16));
    }
    return out;
  };
  const h = groups(head);
  const t = groups(tail);
  if (h === null || t === null) return null;
  const fill = 8 - h.length - t.length;
  if (fill < 0 || (gap < 0 && fill !== 0)) return null;
  const all = [...h, ...new Array<number>(fill).fill(0), ...t];
  const out = Buffer.allocUnsafe(16);
  all.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

function isV4Mapped(b: Buffer): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** Network-order bytes (4 or 16) → the usual text form. */
export function bytesToIp(b: Buffer): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  // Compress the longest run of zero groups, as RFC 5952 asks.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** "host:port" of a gRPC peer ("127.0.0.1:5000", "[::1]:5000", "ipv4:…") → address bytes. */
export function grpcPeerIp(peer: string): Buffer | null {
  let s = peer.replace(/^ipv[46]:/, '');
  if (s.startsWith('[')) s = s.slice(1, s.indexOf(']'));
  else if (s.lastIndexOf(':') > 0 && s.indexOf(':') === s.lastIndexOf(':'))
    s = s.slice(0, s.lastIndexOf(':'));
  return ipToBytes(s);
}
