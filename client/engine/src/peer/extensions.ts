import {
  decode,
  decodePrefix,
  encode,
  isBytes,
  isDict,
  isInt,
  type BencodeDict,
} from '@enjambre/bittorrent';

/** Our BEP 10 extension ids (what peers must use when sending to us). */
export const UT_PEX_ID = 1;
export const UT_METADATA_ID = 2;
export const CLIENT_VERSION = 'enjambre 0.1';
/** Largest info dictionary we fetch or serve (BEP 9). */
export const MAX_METADATA_SIZE = 16 * 1024 * 1024;
export const METADATA_PIECE = 16 * 1024;

export interface ExtHandshake {
  m: Map<string, number>;
  metadataSize?: number;
  port?: number;
  reqq?: number;
  v?: string;
}

export function encodeExtHandshake(opts: {
  metadataSize?: number;
  port?: number;
  privateTorrent: boolean;
}): Buffer {
  const m: Record<string, number> = { ut_metadata: UT_METADATA_ID };
  if (!opts.privateTorrent) m.ut_pex = UT_PEX_ID;
  return encode({
    m,
    metadata_size: opts.metadataSize,
    p: opts.port || undefined,
    reqq: 500,
    v: CLIENT_VERSION,
  });
}

/** Parses a peer's extended handshake; unknown or malformed fields are ignored. */
export function parseExtHandshake(payload: Buffer): ExtHandshake {
  const d = decode(payload, { maxSize: 1024 * 1024 });
  if (!isDict(d)) throw new Error('extended handshake is not a dictionary');
  const out: ExtHandshake = { m: new Map() };
  const m = d.m;
  if (isDict(m)) {
    for (const [k, v] of Object.entries(m)) {
      if (isInt(v) && v >= 0 && v <= 255) out.m.set(k, v);
    }
  }
  if (isInt(d.metadata_size) && d.metadata_size > 0) out.metadataSize = d.metadata_size;
  if (isInt(d.p) && d.p > 0 && d.p < 65536) out.port = d.p;
  if (isInt(d.reqq) && d.reqq > 0) out.reqq = Math.min(d.reqq, 2000);
  if (isBytes(d.v)) out.v = d.v.subarray(0, 64).toString('utf8');
  return out;
}

export type MetadataMessage =
  | { type: 'request'; piece: number }
  | { type: 'data'; piece: number; totalSize: number; data: Buffer }
  | { type: 'reject'; piece: number };

export function encodeMetadataRequest(piece: number): Buffer {
  return encode({ msg_type: 0, piece });
}
export function encodeMetadataReject(piece: number): Buffer {
  return encode({ msg_type: 2, piece });
}
export function encodeMetadataData(piece: number, totalSize: number, data: Buffer): Buffer {
  return Buffer.concat([encode({ msg_type: 1, piece, total_size: totalSize }), data]);
}

export function parseMetadataMessage(payload: Buffer): MetadataMessage {
  const r = decodePrefix(payload, { maxSize: METADATA_PIECE + 1024 });
  const d = r.value as BencodeDict;
  if (!isDict(d) || !isInt(d.msg_type) || !isInt(d.piece) || d.piece < 0) {
    throw new Error('malformed ut_metadata message');
  }
  if (d.msg_type === 0) return { type: 'request', piece: d.piece };
  if (d.msg_type === 2) return { type: 'reject', piece: d.piece };
  if (d.msg_type === 1) {
    if (!isInt(d.total_size) || d.total_size <= 0 || d.total_size > MAX_METADATA_SIZE) {
      throw new Error('ut_metadata data with a bad total_size');
    }
    const data = payload.subarray(r.end);
    if (data.length > METADATA_PIECE) throw new Error('ut_metadata piece larger than 16 KiB');
    return { type: 'data', piece: d.piece, totalSize: d.total_size, data: Buffer.from(data) };
  }
  throw new Error(`unknown ut_metadata msg_type ${d.msg_type}`);
}

/** BEP 11: compact IPv4 peers added and dropped. */
export interface Pex {
  added: Array<{ host: string; port: number }>;
  dropped: Array<{ host: string; port: number }>;
}

const MAX_PEX_PEERS = 100;

export function encodePex(pex: Pex): Buffer {
  return encode({
    added: compact(pex.added),
    'added.f': Buffer.alloc(0),
    dropped: compact(pex.dropped),
  });
}

export function parsePex(payload: Buffer): Pex {
  const d = decode(payload, { maxSize: 64 * 1024 });
  if (!isDict(d)) throw new Error('ut_pex message is not a dictionary');
  return { added: uncompact(d.added), dropped: uncompact(d.dropped) };
}

function compact(peers: Array<{ host: string; port: number }>): Buffer {
  const v4 = peers.filter((p) => /^\d+\.\d+\.\d+\.\d+$/.test(p.host)).slice(0, MAX_PEX_PEERS);
  const out = Buffer.alloc(v4.length * 6);
  v4.forEach((p, i) => {
    p.host.split('.').forEach((o, j) => (out[i * 6 + j] = Number(o)));
    out.writeUInt16BE(p.port, i * 6 + 4);
  });
  return out;
}

function uncompact(v: unknown): Array<{ host: string; port: number }> {
  if (!Buffer.isBuffer(v)) return [];
  const out: Array<{ host: string; port: number }> = [];
  for (let i = 0; i + 6 <= v.length && out.length < MAX_PEX_PEERS; i += 6) {
    const port = v.readUInt16BE(i + 4);
    if (port === 0) continue;
    out.push({ host: `${v[i]}.${v[i + 1]}.${v[i + 2]}.${v[i + 3]}`, port });
  }
  return out;
}
