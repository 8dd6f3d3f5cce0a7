/**
 * The engine's BEP 10 / 9 / 11 payloads, on the protocol core's codec: our extension ids, the
 * limits we apply, and the shapes the torrent code uses.
 */
import {
  decodeExtendedHandshake,
  decodeMetadataMessage,
  decodePexMessage,
  encodeExtendedHandshake,
  encodeMetadataMessage,
  encodePexMessage,
  type MetadataMessage,
} from '@enjambre/bittorrent';

export type { MetadataMessage };

/** Our BEP 10 extension ids (what peers must use when sending to us). */
export const UT_PEX_ID = 1;
export const UT_METADATA_ID = 2;
export const CLIENT_VERSION = 'enjambre 0.1';
/** Largest info dictionary we fetch or serve (BEP 9). */
export const MAX_METADATA_SIZE = 16 * 1024 * 1024;
export const METADATA_PIECE = 16 * 1024;
/**
 * Requests we queue per peer, advertised as `reqq`. Transmission keeps at most `reqq` requests
 * out and tops them up about once a second, so this caps its download from us at
 * reqq × 16 KiB/s: 500 held it to 8 MB/s on loopback. libtorrent's fast seeders allow 2000.
 */
export const MAX_REQUEST_QUEUE = 2000;
/** Most peers taken from one PEX message (the codec refuses floods outright). */
const MAX_PEX_PEERS = 100;

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
  return encodeExtendedHandshake({
    m,
    metadataSize: opts.metadataSize,
    p: opts.port || undefined,
    reqq: MAX_REQUEST_QUEUE,
    v: CLIENT_VERSION,
  });
}

/** A peer's extended handshake; unknown or unusable fields are ignored. */
export function parseExtHandshake(payload: Buffer): ExtHandshake {
  const h = decodeExtendedHandshake(payload);
  return {
    m: new Map(Object.entries(h.m)),
    metadataSize: h.metadataSize,
    port: h.p,
    reqq: h.reqq === undefined ? undefined : Math.min(h.reqq, 2000),
    v: h.v?.slice(0, 64),
  };
}

export function encodeMetadataRequest(piece: number): Buffer {
  return encodeMetadataMessage({ type: 'request', piece });
}
export function encodeMetadataReject(piece: number): Buffer {
  return encodeMetadataMessage({ type: 'reject', piece });
}
export function encodeMetadataData(piece: number, totalSize: number, data: Buffer): Buffer {
  return encodeMetadataMessage({ type: 'data', piece, totalSize, data });
}

/** A ut_metadata message; `data` is a view into `payload` (copy it before the next read). */
export function parseMetadataMessage(payload: Buffer): MetadataMessage {
  const m = decodeMetadataMessage(payload);
  if (m.type === 'data' && m.totalSize > MAX_METADATA_SIZE) {
    throw new Error(`ut_metadata: info dictionary of ${m.totalSize} bytes is over our limit`);
  }
  return m;
}

/** BEP 11 peers added and dropped. */
export interface Pex {
  added: Array<{ host: string; port: number }>;
  dropped: Array<{ host: string; port: number }>;
}

export function encodePex(pex: Pex): Buffer {
  return encodePexMessage({
    added: pex.added.slice(0, MAX_PEX_PEERS).map((p) => ({ ip: p.host, port: p.port, flags: 0 })),
    dropped: pex.dropped.slice(0, MAX_PEX_PEERS).map((p) => ({ ip: p.host, port: p.port })),
  });
}

export function parsePex(payload: Buffer): Pex {
  const m = decodePexMessage(payload);
  const conv = (l: Array<{ ip: string; port: number }>) =>
    l
      .filter((p) => p.port > 0)
      .slice(0, MAX_PEX_PEERS)
      .map((p) => ({ host: p.ip, port: p.port }));
  return { added: conv(m.added), dropped: conv(m.dropped) };
}
