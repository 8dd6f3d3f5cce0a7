/**
 * Payloads of BEP 10 extended messages: the extended handshake (BEP 10), `ut_metadata` (BEP 9)
 * and `ut_pex` (BEP 11). These functions encode/decode the payload only; wrap it with
 * `encodeExtended(id, payload)` where `id` is 0 for the handshake, else the number the *peer*
 * gave the extension in its `m` dictionary. Decoding hostile payloads fails with `WireError`.
 */
import {
  BencodeDict,
  BencodeValue,
  DecodeResult,
  decode,
  decodePrefix,
  encode,
  isBytes,
  isDict,
  isInt,
} from '../bencode';
import { ProtocolError, WireError } from '../errors';
import {
  PeerAddress,
  decodeCompactPeers,
  encodeCompactPeers,
  formatIp,
  parseIp,
} from '../tracker/compact';

/** Extended handshake payloads are small; anything larger is refused before decoding. */
const MAX_EXTENSION_PAYLOAD = 1024 * 1024;

function bencodeOf(payload: Uint8Array, what: string): BencodeDict {
  let v: BencodeValue;
  try {
    v = decode(payload, { maxSize: MAX_EXTENSION_PAYLOAD, maxDepth: 8 });
  } catch (e) {
    if (e instanceof ProtocolError)
      throw new WireError('wire.bad-bencode', `${what}: ${e.message}`);
    throw e;
  }
  if (!isDict(v)) throw new WireError('wire.bad-bencode', `${what}: not a dictionary`);
  return v;
}

function ipBytes(ip: string): Buffer {
  const bytes = parseIp(ip);
  if (!bytes) throw new WireError('wire.bad-value', `not an IP address: ${JSON.stringify(ip)}`);
  return bytes;
}

function ipText(b: Buffer): string | undefined {
  return b.length === 4 || b.length === 16 ? formatIp(b) : undefined;
}

// ---------------------------------------------------------------------------------------------
// BEP 10 extended handshake

export interface ExtendedHandshake {
  /** Extension name → the id the sender wants to receive it with (0: disabled). */
  m: Record<string, number>;
  /** Client name and version, e.g. "enjambre 0.1.0". */
  v?: string;
  /** The sender's listening port. */
  p?: number;
  /** How many outstanding requests the sender queues. */
  reqq?: number;
  /** BEP 9: size of the info dictionary in bytes. */
  metadataSize?: number;
  /** Our address as the sender sees it. */
  yourip?: string;
  /** BEP 21: the sender only uploads (a partial seed). */
  uploadOnly?: boolean;
  /** The whole decoded dictionary, for keys not listed above (decoding only). */
  raw?: BencodeDict;
}

export function encodeExtendedHandshake(h: ExtendedHandshake): Buffer {
  for (const [name, id] of Object.entries(h.m)) {
    if (!Number.isInteger(id) || id < 0 || id > 255) {
      throw new WireError('wire.bad-value', `extension ${name} has id ${id}, expected 0..255`);
    }
  }
  return encode({
    m: h.m,
    v: h.v,
    p: h.p,
    reqq: h.reqq,
    metadata_size: h.metadataSize,
    yourip: h.yourip === undefined ? undefined : ipBytes(h.yourip),
    upload_only: h.uploadOnly === undefined ? undefined : h.uploadOnly ? 1 : 0,
  });
}

/**
 * Decodes an extended handshake. Only a payload that is not a dictionary, or an `m` that is not
 * one, is an error; optional fields with unusable values are left out (clients differ).
 */
export function decodeExtendedHandshake(payload: Uint8Array): ExtendedHandshake {
  const d = bencodeOf(payload, 'extended handshake');
  // null prototype: a peer's "__proto__" extension name is just a name
  const m: Record<string, number> = Object.create(null);
  if (d.m !== undefined) {
    if (!isDict(d.m)) throw new WireError('wire.bad-extended-handshake', '"m" is not a dictionary');
    for (const key of Object.keys(d.m)) {
      const id = d.m[key];
      if (isInt(id) && id >= 0 && id <= 255) m[key] = id;
    }
  }
  const h: ExtendedHandshake = { m, raw: d };
  if (isBytes(d.v) && d.v.length <= 256) h.v = d.v.toString('utf8');
  if (isInt(d.p) && d.p > 0 && d.p <= 0xffff) h.p = d.p;
  if (isInt(d.reqq) && d.reqq > 0) h.reqq = d.reqq;
  if (isInt(d.metadata_size) && d.metadata_size > 0) h.metadataSize = d.metadata_size;
  if (isBytes(d.yourip)) h.yourip = ipText(d.yourip);
  if (h.yourip === undefined) delete h.yourip;
  if (isInt(d.upload_only)) h.uploadOnly = d.upload_only !== 0;
  return h;
}

// ---------------------------------------------------------------------------------------------
// BEP 9 ut_metadata

/** The info dictionary travels in 16 KiB pieces (the last one shorter). */
export const METADATA_PIECE_LENGTH = 16 * 1024;

export type MetadataMessage =
  | { type: 'request'; piece: number }
  | { type: 'data'; piece: number; totalSize: number; data: Buffer }
  | { type: 'reject'; piece: number };

export function metadataPieceCount(totalSize: number): number {
  return Math.ceil(totalSize / METADATA_PIECE_LENGTH);
}

const METADATA_TYPES = ['request', 'data', 'reject'] as const;

export function encodeMetadataMessage(m: MetadataMessage): Buffer {
  if (!Number.isInteger(m.piece) || m.piece < 0) {
    throw new WireError('wire.bad-value', `metadata piece ${m.piece}`);
  }
  const msgType = METADATA_TYPES.indexOf(m.type);
  if (m.type !== 'data') return encode({ msg_type: msgType, piece: m.piece });
  if (m.data.length > METADATA_PIECE_LENGTH) {
    throw new WireError('wire.bad-value', `metadata piece of ${m.data.length} bytes`);
  }
  const dict = encode({ msg_type: msgType, piece: m.piece, total_size: m.totalSize });
  return Buffer.concat([dict, m.data]);
}

/**
 * Decodes a ut_metadata payload: a dictionary, followed (for `data`) by the piece's bytes, a view
 * into `payload`. Checks the piece index and size against `total_size`; the caller still checks
 * `total_size` against the handshake's `metadata_size` and its own limit.
 */
export function decodeMetadataMessage(payload: Uint8Array): MetadataMessage {
  let r: DecodeResult;
  try {
    r = decodePrefix(payload, { maxSize: MAX_EXTENSION_PAYLOAD, maxDepth: 4 });
  } catch (e) {
    if (e instanceof ProtocolError)
      throw new WireError('wire.bad-bencode', `ut_metadata: ${e.message}`);
    throw e;
  }
  const d = r.value;
  const bad = (why: string): never => {
    throw new WireError('wire.bad-metadata-message', `ut_metadata: ${why}`);
  };
  if (!isDict(d)) return bad('not a dictionary');
  const t = d.msg_type;
  const piece = d.piece;
  if (!isInt(piece) || piece < 0) return bad('missing or invalid "piece"');
  const rest = payload.length - r.end;
  if (t === 0 || t === 2) {
    if (rest !== 0) bad(`${rest} bytes after a ${METADATA_TYPES[t]} message`);
    return { type: t === 0 ? 'request' : 'reject', piece };
  }
  if (t !== 1) return bad(`unknown msg_type ${String(t)}`);
  const totalSize = d.total_size;
  if (!isInt(totalSize) || totalSize <= 0) return bad('missing or invalid "total_size"');
  const pieces = metadataPieceCount(totalSize);
  if (piece >= pieces) bad(`piece ${piece} beyond the ${pieces} pieces of ${totalSize} bytes`);
  const expected =
    piece === pieces - 1 ? totalSize - piece * METADATA_PIECE_LENGTH : METADATA_PIECE_LENGTH;
  if (rest !== expected) bad(`piece ${piece} has ${rest} bytes, expected ${expected}`);
  const data = Buffer.from(payload.buffer, payload.byteOffset + r.end, rest);
  return { type: 'data', piece, totalSize, data };
}

// ---------------------------------------------------------------------------------------------
// BEP 11 ut_pex

export const PexFlags = {
  PrefersEncryption: 0x01,
  Seed: 0x02,
  Utp: 0x04,
  Holepunch: 0x08,
  Reachable: 0x10,
} as const;

export interface PexPeer extends PeerAddress {
  /** `PexFlags` bits. */
  flags: number;
}

export interface PexMessage {
  /** Peers of both families (IPv4 from `added`, IPv6 from `added6`). */
  added: PexPeer[];
  dropped: PeerAddress[];
}

/** BEP 11 asks for at most 50 added and 50 dropped per message; refuse floods well above that. */
export const PEX_MAX_PEERS = 200;

function isV6(ip: string): boolean {
  return ip.includes(':');
}

export function encodePexMessage(m: PexMessage): Buffer {
  const add4 = m.added.filter((p) => !isV6(p.ip));
  const add6 = m.added.filter((p) => isV6(p.ip));
  const drop4 = m.dropped.filter((p) => !isV6(p.ip));
  const drop6 = m.dropped.filter((p) => isV6(p.ip));
  const flags = (peers: PexPeer[]) => Buffer.from(peers.map((p) => p.flags & 0xff));
  try {
    return encode({
      added: encodeCompactPeers(add4, 4),
      'added.f': flags(add4),
      added6: add6.length ? encodeCompactPeers(add6, 6) : undefined,
      'added6.f': add6.length ? flags(add6) : undefined,
      dropped: encodeCompactPeers(drop4, 4),
      dropped6: drop6.length ? encodeCompactPeers(drop6, 6) : undefined,
    });
  } catch (e) {
    if (e instanceof ProtocolError && !(e instanceof WireError)) {
      throw new WireError('wire.bad-value', `ut_pex: ${e.message}`);
    }
    throw e;
  }
}

export function decodePexMessage(payload: Uint8Array, maxPeers = PEX_MAX_PEERS): PexMessage {
  const d = bencodeOf(payload, 'ut_pex');
  const list = (key: string, family: 4 | 6): PeerAddress[] => {
    const v = d[key];
    if (v === undefined) return [];
    if (!isBytes(v)) throw new WireError('wire.bad-pex', `ut_pex: "${key}" is not a string`);
    const size = family === 4 ? 6 : 18;
    if (v.length % size !== 0) {
      throw new WireError('wire.bad-pex', `ut_pex: "${key}" is not a multiple of ${size} bytes`);
    }
    if (v.length / size > maxPeers) {
      throw new WireError('wire.pex-too-many', `ut_pex: ${v.length / size} peers in "${key}"`);
    }
    return decodeCompactPeers(v, family);
  };
  const withFlags = (peers: PeerAddress[], key: string): PexPeer[] => {
    const f = d[key];
    const fb = isBytes(f) ? f : undefined; // flags are advisory: missing or short means 0
    return peers.map((p, i) => ({ ...p, flags: fb && i < fb.length ? fb[i] : 0 }));
  };
  return {
    added: [...withFlags(list('added', 4), 'added.f'), ...withFlags(list('added6', 6), 'added6.f')],
    dropped: [...list('dropped', 4), ...list('dropped6', 6)],
  };
}
