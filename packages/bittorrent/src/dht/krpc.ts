/**
 * KRPC (BEP 5) messages over bencode: queries, responses and errors of the Mainline DHT, with
 * BEP 32 (`nodes6`, `want`), BEP 42 (`ip`), BEP 43 (`ro`) and BEP 51 (`sample_infohashes`).
 *
 * Every datagram is hostile: the decoder bounds the packet size, the nesting and each field's
 * length, and fails only with a `KrpcError`. When the failure comes after the transaction id was
 * read, the error carries it, so a server can answer with a KRPC error (203) instead of silence.
 */
import { decode, encode, isBytes, isDict, isInt, isList, type BencodeDict } from '../bencode';
import { ProtocolError } from '../errors';
import { formatIp, parseIp, type PeerAddress } from '../tracker/compact';
import { NODE_ID_LENGTH } from './node-id';

/** Largest datagram decoded. Real messages stay under a typical MTU (~1.5 KB). */
export const KRPC_MAX_PACKET = 4096;
/** Transaction ids longer than this are refused (implementations use 2 to 4 bytes). */
export const KRPC_MAX_TRANSACTION_ID = 16;
export const KRPC_MAX_TOKEN = 64;
/** Most peers (`values`) and samples read from one response. */
export const KRPC_MAX_VALUES = 256;
export const KRPC_MAX_SAMPLES = 256;
/** Bytes of one compact node: id, address, port. */
export const COMPACT_NODE4 = 26;
export const COMPACT_NODE6 = 38;

/** KRPC error codes (BEP 5). */
export const KRPC_GENERIC_ERROR = 201;
export const KRPC_SERVER_ERROR = 202;
export const KRPC_PROTOCOL_ERROR = 203;
export const KRPC_METHOD_UNKNOWN = 204;

export class KrpcError extends ProtocolError {
  constructor(
    code: string,
    message: string,
    /** The message's transaction id, when it was read before the failure. */
    readonly transactionId?: Buffer,
    /** Whether the message was a query (so the sender expects an answer). */
    readonly wasQuery = false,
  ) {
    super(code, message);
  }
}

export interface NodeInfo {
  id: Buffer;
  ip: string;
  port: number;
}

export type KrpcMethod = 'ping' | 'find_node' | 'get_peers' | 'announce_peer' | 'sample_infohashes';
export const KRPC_METHODS: readonly KrpcMethod[] = [
  'ping',
  'find_node',
  'get_peers',
  'announce_peer',
  'sample_infohashes',
];

export type Want = 'n4' | 'n6';

export interface QueryArgs {
  id: Buffer;
  /** find_node, sample_infohashes */
  target?: Buffer;
  /** get_peers, announce_peer */
  infoHash?: Buffer;
  /** announce_peer */
  port?: number;
  token?: Buffer;
  impliedPort?: boolean;
  /** BEP 32: which address families of nodes the querier wants. */
  want?: Want[];
}

export interface KrpcQuery {
  type: 'query';
  t: Buffer;
  /** A known method, or any other name (answered with error 204). */
  method: string;
  args: QueryArgs;
  /** BEP 43: the querier is read-only and must not enter routing tables. */
  readOnly: boolean;
  version?: Buffer;
}

export interface ResponseBody {
  id: Buffer;
  nodes?: NodeInfo[];
  nodes6?: NodeInfo[];
  values?: PeerAddress[];
  token?: Buffer;
  /** BEP 51 */
  samples?: Buffer[];
  interval?: number;
  num?: number;
}

export interface KrpcResponse {
  type: 'response';
  t: Buffer;
  body: ResponseBody;
  /** BEP 42: the address the responder saw us at. */
  ip?: PeerAddress;
  version?: Buffer;
}

export interface KrpcErrorMessage {
  type: 'error';
  t: Buffer;
  code: number;
  message: string;
  ip?: PeerAddress;
}

export type KrpcMessage = KrpcQuery | KrpcResponse | KrpcErrorMessage;

// ---------------------------------------------------------------------------------------------
// Decoding

function fail(code: string, what: string, t?: Buffer, wasQuery = false): never {
  throw new KrpcError(code, `krpc: ${what}`, t, wasQuery);
}

function copy(b: Buffer): Buffer {
  return Buffer.from(b); // decoded strings are views into the datagram, which the socket reuses
}

/** Decodes compact node info (26 bytes per IPv4 node, 38 per IPv6); a partial tail is ignored. */
export function decodeCompactNodes(b: Buffer, family: 4 | 6): NodeInfo[] {
  const size = family === 4 ? COMPACT_NODE4 : COMPACT_NODE6;
  const out: NodeInfo[] = [];
  for (let p = 0; p + size <= b.length; p += size) {
    const addrEnd = p + size - 2;
    out.push({
      id: copy(b.subarray(p, p + NODE_ID_LENGTH)),
      ip: formatIp(b.subarray(p + NODE_ID_LENGTH, addrEnd)),
      port: b.readUInt16BE(addrEnd),
    });
  }
  return out;
}

/** Decodes one compact peer (6 or 18 bytes), or returns null for any other length. */
export function decodeCompactAddress(b: Buffer): PeerAddress | null {
  if (b.length !== 6 && b.length !== 18) return null;
  return { ip: formatIp(b.subarray(0, b.length - 2)), port: b.readUInt16BE(b.length - 2) };
}

function id20(v: unknown, what: string, t: Buffer, q: boolean): Buffer {
  if (!isBytes(v as never) || (v as Buffer).length !== NODE_ID_LENGTH) {
    fail('krpc.bad-args', `${what} must be a 20-byte string`, t, q);
  }
  return copy(v as Buffer);
}

function decodeArgs(method: string, a: BencodeDict, t: Buffer): QueryArgs {
  const args: QueryArgs = { id: id20(a.id, 'id', t, true) };
  const want = a.want;
  if (isList(want)) {
    args.want = [];
    for (const w of want.slice(0, 4)) {
      if (isBytes(w)) {
        const s = w.toString('latin1');
        if ((s === 'n4' || s === 'n6') && !args.want.includes(s)) args.want.push(s);
      }
    }
  }
  switch (method) {
    case 'find_node':
    case 'sample_infohashes':
      args.target = id20(a.target, 'target', t, true);
      break;
    case 'get_peers':
      args.infoHash = id20(a.info_hash, 'info_hash', t, true);
      break;
    case 'announce_peer': {
      args.infoHash = id20(a.info_hash, 'info_hash', t, true);
      const token = a.token;
      if (!isBytes(token) || token.length === 0 || token.length > KRPC_MAX_TOKEN) {
        fail('krpc.bad-args', 'announce_peer needs a token', t, true);
      }
      args.token = copy(token);
      args.impliedPort = isInt(a.implied_port) && a.implied_port !== 0;
      const port = a.port;
      if (isInt(port) && port >= 1 && port <= 0xffff) args.port = port;
      else if (!args.impliedPort)
        fail('krpc.bad-args', 'announce_peer needs a port 1..65535', t, true);
      break;
    }
  }
  return args;
}

function decodeBody(r: BencodeDict, t: Buffer): ResponseBody {
  const body: ResponseBody = { id: id20(r.id, 'response id', t, false) };
  if (isBytes(r.nodes)) body.nodes = decodeCompactNodes(r.nodes, 4);
  if (isBytes(r.nodes6)) body.nodes6 = decodeCompactNodes(r.nodes6, 6);
  if (isBytes(r.token) && r.token.length > 0 && r.token.length <= KRPC_MAX_TOKEN) {
    body.token = copy(r.token);
  }
  if (isList(r.values)) {
    body.values = [];
    for (const v of r.values.slice(0, KRPC_MAX_VALUES)) {
      const peer = isBytes(v) ? decodeCompactAddress(v) : null;
      if (peer && peer.port !== 0) body.values.push(peer);
    }
  }
  if (isBytes(r.samples)) {
    body.samples = [];
    const n = Math.min(Math.floor(r.samples.length / 20), KRPC_MAX_SAMPLES);
    for (let i = 0; i < n; i++) body.samples.push(copy(r.samples.subarray(i * 20, i * 20 + 20)));
  }
  if (isInt(r.interval) && r.interval >= 0) body.interval = r.interval;
  if (isInt(r.num) && r.num >= 0) body.num = r.num;
  return body;
}

/** Decodes one KRPC datagram. Throws `KrpcError` (only) on anything malformed or oversized. */
export function decodeKrpc(packet: Uint8Array): KrpcMessage {
  if (packet.length > KRPC_MAX_PACKET) {
    fail('krpc.too-large', `datagram of ${packet.length} bytes exceeds ${KRPC_MAX_PACKET}`);
  }
  let root;
  try {
    root = decode(packet, { maxSize: KRPC_MAX_PACKET, maxDepth: 4 });
  } catch (err) {
    fail('krpc.bad-bencode', (err as Error).message);
  }
  if (!isDict(root)) fail('krpc.not-a-dict', 'message is not a dictionary');
  const tv = root.t;
  if (!isBytes(tv) || tv.length === 0 || tv.length > KRPC_MAX_TRANSACTION_ID) {
    fail('krpc.bad-transaction', 'missing or oversized transaction id');
  }
  const t = copy(tv);
  const y = root.y;
  const kind = isBytes(y) ? y.toString('latin1') : '';
  const version = isBytes(root.v) && root.v.length <= 16 ? copy(root.v) : undefined;
  const ip = isBytes(root.ip) ? (decodeCompactAddress(root.ip) ?? undefined) : undefined;
  if (kind === 'q') {
    const q = root.q;
    if (!isBytes(q) || q.length === 0 || q.length > 64)
      fail('krpc.bad-method', 'no method', t, true);
    const a = root.a;
    if (!isDict(a)) fail('krpc.bad-args', 'query without arguments', t, true);
    const method = q.toString('latin1');
    return {
      type: 'query',
      t,
      method,
      args: decodeArgs(method, a, t),
      readOnly: isInt(root.ro) && root.ro === 1,
      ...(version && { version }),
    };
  }
  if (kind === 'r') {
    const r = root.r;
    if (!isDict(r)) fail('krpc.bad-response', 'response without body', t);
    return {
      type: 'response',
      t,
      body: decodeBody(r, t),
      ...(ip && { ip }),
      ...(version && { version }),
    };
  }
  if (kind === 'e') {
    const e = root.e;
    if (!isList(e) || !isInt(e[0])) fail('krpc.bad-error', 'malformed error', t);
    const msg = isBytes(e[1]) ? e[1].subarray(0, 256).toString('utf8') : '';
    return { type: 'error', t, code: e[0], message: msg, ...(ip && { ip }) };
  }
  return fail('krpc.bad-type', 'y is not q, r or e', t);
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** Compact node info of the nodes of one family (others are skipped). */
export function encodeCompactNodes(nodes: readonly NodeInfo[], family: 4 | 6): Buffer {
  const size = family === 4 ? COMPACT_NODE4 : COMPACT_NODE6;
  const parts: Buffer[] = [];
  for (const n of nodes) {
    const ip = parseIp(n.ip);
    if (!ip || ip.length !== (family === 4 ? 4 : 16) || n.id.length !== NODE_ID_LENGTH) continue;
    const b = Buffer.allocUnsafe(size);
    n.id.copy(b, 0, 0, NODE_ID_LENGTH);
    ip.copy(b, NODE_ID_LENGTH);
    b.writeUInt16BE(n.port, size - 2);
    parts.push(b);
  }
  return Buffer.concat(parts);
}

/** One compact address (6 bytes for IPv4, 18 for IPv6). Throws RangeError on bad input. */
export function encodeCompactAddress(peer: PeerAddress): Buffer {
  const ip = parseIp(peer.ip);
  if (!ip) throw new RangeError(`not an IP address: ${peer.ip}`);
  if (!Number.isInteger(peer.port) || peer.port < 0 || peer.port > 0xffff) {
    throw new RangeError(`port out of range: ${peer.port}`);
  }
  const b = Buffer.allocUnsafe(ip.length + 2);
  ip.copy(b);
  b.writeUInt16BE(peer.port, ip.length);
  return b;
}

export interface QueryOptions {
  readOnly?: boolean;
  version?: Buffer;
}

export function encodeQuery(
  t: Buffer,
  method: KrpcMethod,
  args: QueryArgs,
  options: QueryOptions = {},
): Buffer {
  return encode({
    t,
    y: 'q',
    q: method,
    a: {
      id: args.id,
      target: args.target,
      info_hash: args.infoHash,
      port: args.port,
      token: args.token,
      implied_port: args.impliedPort ? 1 : undefined,
      want: args.want,
    },
    ro: options.readOnly ? 1 : undefined,
    v: options.version,
  });
}

export interface ResponseOptions {
  /** BEP 42: where we saw the querier. */
  ip?: PeerAddress;
  version?: Buffer;
}

export function encodeResponse(
  t: Buffer,
  body: ResponseBody,
  options: ResponseOptions = {},
): Buffer {
  return encode({
    t,
    y: 'r',
    r: {
      id: body.id,
      nodes: body.nodes && encodeCompactNodes(body.nodes, 4),
      nodes6: body.nodes6 && encodeCompactNodes(body.nodes6, 6),
      values: body.values?.map(encodeCompactAddress),
      token: body.token,
      samples: body.samples && Buffer.concat(body.samples),
      interval: body.interval,
      num: body.num,
    },
    ip: options.ip && encodeCompactAddress(options.ip),
    v: options.version,
  });
}

export function encodeError(
  t: Buffer,
  code: number,
  message: string,
  options: ResponseOptions = {},
): Buffer {
  return encode({
    t,
    y: 'e',
    e: [code, message],
    ip: options.ip && encodeCompactAddress(options.ip),
  });
}
