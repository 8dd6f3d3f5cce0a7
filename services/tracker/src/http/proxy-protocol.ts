import { ipToBytes } from '../net/ip';

/**
 * The PROXY protocol header (HAProxy's spec, versions 1 and 2) that a load balancer sends at the
 * start of a TCP connection to pass on the client's address. Pure and total: any bytes give a
 * result, never an exception. Only read from peers in `--trusted-proxies`.
 */
export type ProxyHeader =
  /** More bytes are needed to decide. */
  | { kind: 'incomplete' }
  /** The connection does not start with a PROXY header. */
  | { kind: 'none' }
  | { kind: 'bad'; message: string }
  /** `length` bytes of header; `ip` null: keep the socket's address (LOCAL, UNKNOWN). */
  | { kind: 'ok'; length: number; ip: Buffer | null };

const V1_PREFIX = Buffer.from('PROXY ');
/** The longest v1 line the spec allows, CRLF included. */
const V1_MAX = 107;
const V2_SIGNATURE = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');
/** Addresses plus TLVs; real load balancers send well under this. */
const V2_MAX_PAYLOAD = 1024;

function prefixState(buf: Buffer, prefix: Buffer): 'match' | 'partial' | 'no' {
  const n = Math.min(buf.length, prefix.length);
  for (let i = 0; i < n; i++) if (buf[i] !== prefix[i]) return 'no';
  return n === prefix.length ? 'match' : 'partial';
}

export function parseProxyHeader(buf: Buffer): ProxyHeader {
  const v1 = prefixState(buf, V1_PREFIX);
  if (v1 === 'partial') return { kind: 'incomplete' };
  if (v1 === 'match') return parseV1(buf);
  const v2 = prefixState(buf, V2_SIGNATURE);
  if (v2 === 'partial') return { kind: 'incomplete' };
  if (v2 === 'match') return parseV2(buf);
  return { kind: 'none' };
}

function parseV1(buf: Buffer): ProxyHeader {
  const end = buf.indexOf('\r\n');
  if (end < 0) {
    return buf.length >= V1_MAX
      ? { kind: 'bad', message: 'PROXY v1 line too long' }
      : { kind: 'incomplete' };
  }
  if (end + 2 > V1_MAX) return { kind: 'bad', message: 'PROXY v1 line too long' };
  const parts = buf.toString('latin1', 0, end).split(' ');
  const length = end + 2;
  if (parts[1] === 'UNKNOWN') return { kind: 'ok', length, ip: null };
  if (parts.length !== 6 || (parts[1] !== 'TCP4' && parts[1] !== 'TCP6'))
    return { kind: 'bad', message: 'malformed PROXY v1 line' };
  const ip = ipToBytes(parts[2]);
  const port = Number(parts[4]);
  if (ip === null || (ip.length === 4) !== (parts[1] === 'TCP4'))
    return { kind: 'bad', message: 'bad source address in PROXY v1 line' };
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    return { kind: 'bad', message: 'bad source port in PROXY v1 line' };
  return { kind: 'ok', length, ip };
}

function parseV2(buf: Buffer): ProxyHeader {
  if (buf.length < 16) return { kind: 'incomplete' };
  const versionCommand = buf[12];
  if (versionCommand >> 4 !== 2) return { kind: 'bad', message: 'unknown PROXY version' };
  const payload = buf.readUInt16BE(14);
  if (payload > V2_MAX_PAYLOAD) return { kind: 'bad', message: 'PROXY v2 header too long' };
  const length = 16 + payload;
  if (buf.length < length) return { kind: 'incomplete' };
  const command = versionCommand & 0x0f;
  if (command === 0) return { kind: 'ok', length, ip: null }; // LOCAL: the proxy's own check
  if (command !== 1) return { kind: 'bad', message: 'unknown PROXY v2 command' };
  const family = buf[13] >> 4;
  if (family === 1) {
    if (payload < 12) return { kind: 'bad', message: 'truncated PROXY v2 addresses' };
    return { kind: 'ok', length, ip: Buffer.from(buf.subarray(16, 20)) };
  }
  if (family === 2) {
    if (payload < 36) return { kind: 'bad', message: 'truncated PROXY v2 addresses' };
    // An IPv4-mapped source is reported as IPv4, as sockets do.
    return { kind: 'ok', length, ip: ipToBytes(formatV6(buf.subarray(16, 32))) };
  }
  return { kind: 'ok', length, ip: null }; // AF_UNSPEC or a Unix socket: no address to use
}

function formatV6(b: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  return groups.join(':');
}
