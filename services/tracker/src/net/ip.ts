import { formatIp, parseIp } from '@enjambre/bittorrent';

const V4_MAPPED_PREFIX = Buffer.from('00000000000000000000ffff', 'hex');

/**
 * Textual IP address → network-order bytes: 4 for IPv4 (also for IPv4-mapped IPv6 such as
 * "::ffff:127.0.0.1", which is how a dual-stack socket reports IPv4 clients), 16 for IPv6.
 * Returns null for anything else, including zone ids ("fe80::1%eth0").
 */
export function ipToBytes(text: string): Buffer | null {
  const bytes = parseIp(text);
  if (bytes?.length === 16 && bytes.subarray(0, 12).equals(V4_MAPPED_PREFIX)) {
    return Buffer.from(bytes.subarray(12));
  }
  return bytes;
}

/** Network-order bytes (4 or 16) → the usual text form. */
export function bytesToIp(b: Buffer): string {
  return formatIp(b);
}

/**
 * "host:port" of a gRPC peer ("127.0.0.1:5000", "[::1]:5000", "ipv4:…") → address bytes.
 * grpc-js's server writes an IPv6 client's peer without brackets ("::1:5000": the address, a
 * colon, the port), so a trailing ":digits" whose rest is an address is taken as the port.
 */
export function grpcPeerIp(peer: string): Buffer | null {
  let s = peer.replace(/^ipv[46]:/, '');
  if (s.startsWith('[')) return ipToBytes(s.slice(1, s.indexOf(']')));
  const colon = s.lastIndexOf(':');
  if (colon > 0 && /^\d{1,5}$/.test(s.slice(colon + 1))) {
    const host = ipToBytes(s.slice(0, colon));
    if (host !== null) return host;
  }
  if (colon > 0 && s.indexOf(':') === colon) s = s.slice(0, colon);
  return ipToBytes(s);
}
