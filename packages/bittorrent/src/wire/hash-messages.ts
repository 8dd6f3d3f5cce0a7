/**
 * BEP 52 hash messages: `hash request` (21), `hashes` (22) and `hash reject` (23). Each carries a
 * file's pieces root (32 bytes) and four uint32: base layer, index, length, proof layers;
 * `hashes` then has the requested hashes followed by the uncle hashes, 32 bytes each.
 * Checking the hashes against the root is merkle.ts's `verifyHashProof`.
 */
import { WireError } from '../errors';

export const HashMessageId = { HashRequest: 21, Hashes: 22, HashReject: 23 } as const;

/** Payload of a request or reject (id byte excluded). */
export const HASH_REQUEST_PAYLOAD = 48;
/** BEP 52: a request SHOULD NOT ask for more than 512 hashes; libtorrent takes up to 8192. */
export const MAX_HASH_REQUEST_LENGTH = 8192;

export interface HashRequest {
  /** The file's pieces root, 32 bytes. */
  root: Buffer;
  /** Layer of the requested hashes (0: the 16 KiB blocks). */
  baseLayer: number;
  /** Index of the first requested hash in its layer. */
  index: number;
  /** Number of hashes requested. */
  length: number;
  /** Number of ancestor layers whose uncle hashes are wanted. */
  proofLayers: number;
}

function u32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new WireError('wire.bad-value', `${name} must be a uint32, got ${v}`);
  }
}

function encode(id: number, r: HashRequest, hashes?: Uint8Array): Buffer {
  if (r.root.length !== 32) throw new WireError('wire.bad-value', 'pieces root must be 32 bytes');
  u32('base layer', r.baseLayer);
  u32('index', r.index);
  u32('length', r.length);
  u32('proof layers', r.proofLayers);
  const extra = hashes?.length ?? 0;
  if (extra % 32 !== 0) throw new WireError('wire.bad-value', 'hashes must be 32 bytes each');
  const b = Buffer.allocUnsafe(5 + HASH_REQUEST_PAYLOAD + extra);
  b.writeUInt32BE(1 + HASH_REQUEST_PAYLOAD + extra, 0);
  b[4] = id;
  r.root.copy(b, 5);
  b.writeUInt32BE(r.baseLayer, 37);
  b.writeUInt32BE(r.index, 41);
  b.writeUInt32BE(r.length, 45);
  b.writeUInt32BE(r.proofLayers, 49);
  if (hashes) b.set(hashes, 53);
  return b;
}

export function encodeHashRequest(r: HashRequest): Buffer {
  return encode(HashMessageId.HashRequest, r);
}
/** `hashes`: the requested hashes then the uncles, concatenated. */
export function encodeHashes(r: HashRequest, hashes: readonly Uint8Array[]): Buffer {
  return encode(HashMessageId.Hashes, r, Buffer.concat(hashes));
}
export function encodeHashReject(r: HashRequest): Buffer {
  return encode(HashMessageId.HashReject, r);
}

/** The length (id byte included) a hash message may have: exact for requests and rejects. */
export function hashMessageLengthOk(id: number, len: number, maxMessage: number): boolean {
  if (id === HashMessageId.Hashes) {
    return (
      len >= 1 + HASH_REQUEST_PAYLOAD &&
      (len - 1 - HASH_REQUEST_PAYLOAD) % 32 === 0 &&
      len <= maxMessage
    );
  }
  return len === 1 + HASH_REQUEST_PAYLOAD;
}

/** Reads the common header of a hash message's payload (validated length); the root is a copy. */
export function parseHashRequest(payload: Uint8Array): HashRequest {
  if (payload.length < HASH_REQUEST_PAYLOAD) {
    throw new WireError('wire.bad-length', `hash message of ${payload.length} bytes`);
  }
  const v = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  return {
    root: Buffer.from(v.subarray(0, 32)),
    baseLayer: v.readUInt32BE(32),
    index: v.readUInt32BE(36),
    length: v.readUInt32BE(40),
    proofLayers: v.readUInt32BE(44),
  };
}

/** A `hashes` payload: its header and the hashes after it (views into the payload). */
export function parseHashes(payload: Uint8Array): { request: HashRequest; hashes: Buffer[] } {
  const request = parseHashRequest(payload);
  const v = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if ((v.length - HASH_REQUEST_PAYLOAD) % 32 !== 0) {
    throw new WireError('wire.bad-length', 'hashes message is not a whole number of hashes');
  }
  const hashes: Buffer[] = [];
  for (let o = HASH_REQUEST_PAYLOAD; o < v.length; o += 32) hashes.push(v.subarray(o, o + 32));
  return { request, hashes };
}
