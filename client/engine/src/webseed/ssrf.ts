import dns from 'node:dns';
import net from 'node:net';

/**
 * libtorrent's `ssrf_mitigation` (on by default in qBittorrent), for web seeds: a torrent names
 * the URLs, so it must not steer requests at services on the user's own machine or network
 * beyond what any web page can. A web seed on a loopback host may not carry a query string
 * (local web UIs act on GET queries), and a redirect from a server on the Internet may not lead
 * to a local address.
 */
const LOCAL = new net.BlockList();
for (const [net4, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT: local, as libtorrent counts it
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const)
  LOCAL.addSubnet(net4, bits, 'ipv4');
for (const [net6, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const)
  LOCAL.addSubnet(net6, bits, 'ipv6');

/** Whether `ip` is on this machine or its local network (an IP literal; false for a name). */
export function isLocalAddress(ip: string): boolean {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) return isLocalAddress(mapped[1]);
  const v = net.isIP(ip);
  return v !== 0 && LOCAL.check(ip, v === 6 ? 'ipv6' : 'ipv4');
}

/** A URL's hostname without IPv6 brackets. */
export function bareHost(hostname: string): string {
  return hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
}

/** `localhost`, a name under it, or a loopback address. */
export function isLoopbackHost(hostname: string): boolean {
  const h = bareHost(hostname).toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  const v = net.isIP(h);
  return v === 4 ? h.startsWith('127.') : v === 6 && (h === '::1' || /^::ffff:127\./.test(h));
}

/** A DNS lookup for `http.request` that fails when a name resolves to a local address. */
export const globalOnlyLookup = ((
  host: string,
  options: dns.LookupOptions,
  callback: (err: Error | null, address: string | dns.LookupAddress[], family?: number) => void,
) => {
  dns.lookup(host, { ...options }, (err, address, family) => {
    if (err) return callback(err, address as string, family);
    const list = Array.isArray(address) ? address.map((a) => a.address) : [address];
    if (list.some(isLocalAddress))
      return callback(new LocalRedirectError(), Array.isArray(address) ? [] : '', family);
    callback(null, address, family);
  });
}) as unknown as net.LookupFunction;

export class LocalRedirectError extends Error {
  constructor() {
    super('redirected from the Internet to a local address');
  }
}
