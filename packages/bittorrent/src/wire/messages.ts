/**
 * Peer wire messages (BEP 3, BEP 5 `port`, BEP 6 fast, BEP 10 extended): ids, the message union,
 * and encoders. Every message is `<length uint32 BE><id byte><payload>`; keep-alive is a bare
 * zero length.
 *
 * The encoders meant for the hot path avoid concatenation: `encodePieceHeader` and
 * `encodeExtendedHeader` return only the header so the caller can `writev` header + body, and the
 * `write*` functions put messages into a caller's buffer (e.g. a batch of requests in one write).
 */
import { WireError } from '../errors';
import { HashRequest, encodeHashReject, encodeHashRequest, encodeHashes } from './hash-messages';

export const MessageId = {
  Choke: 0,
  Unchoke: 1,
  Interested: 2,
  NotInterested: 3,
  Have: 4,
  Bitfield: 5,
  Request: 6,
  Piece: 7,
  Cancel: 8,
  Port: 9,
  Suggest: 13,
  HaveAll: 14,
  HaveNone: 15,
  Reject: 16,
  AllowedFast: 17,
  Extended: 20,
} as const;

/** Sizes on the wire, length prefix included. */
export const REQUEST_MESSAGE_LENGTH = 17;
export const HAVE_MESSAGE_LENGTH = 9;
export const PIECE_HEADER_LENGTH = 13;
export const EXTENDED_HEADER_LENGTH = 6;

export type WireMessage =
  | { type: 'keep-alive' }
  | { type: 'choke' }
  | { type: 'unchoke' }
  | { type: 'interested' }
  | { type: 'not-interested' }
  | { type: 'have'; index: number }
  | { type: 'bitfield'; bitfield: Buffer }
  | { type: 'request'; index: number; begin: number; length: number }
  | { type: 'piece'; index: number; begin: number; block: Buffer }
  | { type: 'cancel'; index: number; begin: number; length: number }
  | { type: 'port'; port: number }
  | { type: 'suggest'; index: number }
  | { type: 'have-all' }
  | { type: 'have-none' }
  | { type: 'reject'; index: number; begin: number; length: number }
  | { type: 'allowed-fast'; index: number }
  | { type: 'extended'; id: number; payload: Buffer }
  | ({ type: 'hash-request' } & HashRequest)
  | ({ type: 'hashes'; hashes: Buffer[] } & HashRequest)
  | ({ type: 'hash-reject' } & HashRequest)
  /** A message id enjambre does not know; safe to ignore. */
  | { type: 'unknown'; id: number; payload: Buffer };

export type WireMessageType = WireMessage['type'];

function u32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new WireError('wire.bad-value', `${name} must be a uint32, got ${v}`);
  }
}

function u8(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) {
    throw new WireError('wire.bad-value', `${name} must be a byte, got ${v}`);
  }
}

function writeU32(buf: Buffer, off: number, v: number): void {
  buf[off] = v >>> 24;
  buf[off + 1] = v >>> 16;
  buf[off + 2] = v >>> 8;
  buf[off + 3] = v;
}

function bare(id: number): Buffer {
  const b = Buffer.allocUnsafe(5);
  writeU32(b, 0, 1);
  b[4] = id;
  return b;
}

function indexOnly(id: number, index: number): Buffer {
  u32('index', index);
  const b = Buffer.allocUnsafe(9);
  writeU32(b, 0, 5);
  b[4] = id;
  writeU32(b, 5, index);
  return b;
}

function blockRef(id: number, index: number, begin: number, length: number): Buffer {
  const b = Buffer.allocUnsafe(REQUEST_MESSAGE_LENGTH);
  writeBlockRef(b, 0, id, index, begin, length);
  return b;
}

function writeBlockRef(
  buf: Buffer,
  off: number,
  id: number,
  index: number,
  begin: number,
  length: number,
): number {
  u32('index', index);
  u32('begin', begin);
  u32('length', length);
  writeU32(buf, off, 13);
  buf[off + 4] = id;
  writeU32(buf, off + 5, index);
  writeU32(buf, off + 9, begin);
  writeU32(buf, off + 13, length);
  return off + REQUEST_MESSAGE_LENGTH;
}

export function encodeKeepAlive(): Buffer {
  return Buffer.alloc(4);
}
export function encodeChoke(): Buffer {
  return bare(MessageId.Choke);
}
export function encodeUnchoke(): Buffer {
  return bare(MessageId.Unchoke);
}
export function encodeInterested(): Buffer {
  return bare(MessageId.Interested);
}
export function encodeNotInterested(): Buffer {
  return bare(MessageId.NotInterested);
}
export function encodeHaveAll(): Buffer {
  return bare(MessageId.HaveAll);
}
export function encodeHaveNone(): Buffer {
  return bare(MessageId.HaveNone);
}
export function encodeHave(index: number): Buffer {
  return indexOnly(MessageId.Have, index);
}
export function encodeSuggest(index: number): Buffer {
  return indexOnly(MessageId.Suggest, index);
}
export function encodeAllowedFast(index: number): Buffer {
  return indexOnly(MessageId.AllowedFast, index);
}
export function encodeRequest(index: number, begin: number, length: number): Buffer {
  return blockRef(MessageId.Request, index, begin, length);
}
export function encodeCancel(index: number, begin: number, length: number): Buffer {
  return blockRef(MessageId.Cancel, index, begin, length);
}
export function encodeReject(index: number, begin: number, length: number): Buffer {
  return blockRef(MessageId.Reject, index, begin, length);
}

/** Writes a 17-byte request message at `buf[offset]`; returns the offset after it. */
export function writeRequest(
  buf: Buffer,
  offset: number,
  index: number,
  begin: number,
  length: number,
): number {
  return writeBlockRef(buf, offset, MessageId.Request, index, begin, length);
}

/** Writes a 9-byte have message at `buf[offset]`; returns the offset after it. */
export function writeHave(buf: Buffer, offset: number, index: number): number {
  u32('index', index);
  writeU32(buf, offset, 5);
  buf[offset + 4] = MessageId.Have;
  writeU32(buf, offset + 5, index);
  return offset + HAVE_MESSAGE_LENGTH;
}

export interface BlockRef {
  index: number;
  begin: number;
  length: number;
}

/** Several request messages in one buffer (one socket write for a whole pipeline refill). */
export function encodeRequests(blocks: readonly BlockRef[]): Buffer {
  const out = Buffer.allocUnsafe(blocks.length * REQUEST_MESSAGE_LENGTH);
  let off = 0;
  for (const b of blocks) off = writeRequest(out, off, b.index, b.begin, b.length);
  return out;
}

/** Several have messages in one buffer. */
export function encodeHaves(indexes: readonly number[]): Buffer {
  const out = Buffer.allocUnsafe(indexes.length * HAVE_MESSAGE_LENGTH);
  let off = 0;
  for (const i of indexes) off = writeHave(out, off, i);
  return out;
}

export function encodeBitfield(bitfield: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(5 + bitfield.length);
  writeU32(b, 0, 1 + bitfield.length);
  b[4] = MessageId.Bitfield;
  b.set(bitfield, 5);
  return b;
}

/** The 13-byte header of a piece message; the block follows it on the wire (`writev`). */
export function encodePieceHeader(index: number, begin: number, blockLength: number): Buffer {
  u32('index', index);
  u32('begin', begin);
  if (!Number.isInteger(blockLength) || blockLength < 0 || blockLength > 0xffffffff - 9) {
    throw new WireError('wire.bad-value', `block length ${blockLength} out of range`);
  }
  const b = Buffer.allocUnsafe(PIECE_HEADER_LENGTH);
  writeU32(b, 0, 9 + blockLength);
  b[4] = MessageId.Piece;
  writeU32(b, 5, index);
  writeU32(b, 9, begin);
  return b;
}

/** A whole piece message in one buffer (copies the block; prefer the header + `writev`). */
export function encodePiece(index: number, begin: number, block: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(PIECE_HEADER_LENGTH + block.length);
  encodePieceHeader(index, begin, block.length).copy(b, 0);
  b.set(block, PIECE_HEADER_LENGTH);
  return b;
}

export function encodePort(port: number): Buffer {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
    throw new WireError('wire.bad-value', `port must be 0..65535, got ${port}`);
  }
  const b = Buffer.allocUnsafe(7);
  writeU32(b, 0, 3);
  b[4] = MessageId.Port;
  b.writeUInt16BE(port, 5);
  return b;
}

/** The 6-byte header of a BEP 10 extended message carrying `payloadLength` bytes. */
export function encodeExtendedHeader(extId: number, payloadLength: number): Buffer {
  u8('extended message id', extId);
  if (!Number.isInteger(payloadLength) || payloadLength < 0 || payloadLength > 0xffffffff - 2) {
    throw new WireError('wire.bad-value', `extended payload length ${payloadLength} out of range`);
  }
  const b = Buffer.allocUnsafe(EXTENDED_HEADER_LENGTH);
  writeU32(b, 0, 2 + payloadLength);
  b[4] = MessageId.Extended;
  b[5] = extId;
  return b;
}

/** A BEP 10 extended message: id 0 is the extended handshake, others as the peer's `m` says. */
export function encodeExtended(extId: number, payload: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(EXTENDED_HEADER_LENGTH + payload.length);
  encodeExtendedHeader(extId, payload.length).copy(b, 0);
  b.set(payload, EXTENDED_HEADER_LENGTH);
  return b;
}

/** Encodes any message of the union (convenient; the specific encoders avoid the object). */
export function encodeMessage(m: WireMessage): Buffer {
  switch (m.type) {
    case 'keep-alive':
      return encodeKeepAlive();
    case 'choke':
      return encodeChoke();
    case 'unchoke':
      return encodeUnchoke();
    case 'interested':
      return encodeInterested();
    case 'not-interested':
      return encodeNotInterested();
    case 'have':
      return encodeHave(m.index);
    case 'bitfield':
      return encodeBitfield(m.bitfield);
    case 'request':
      return encodeRequest(m.index, m.begin, m.length);
    case 'piece':
      return encodePiece(m.index, m.begin, m.block);
    case 'cancel':
      return encodeCancel(m.index, m.begin, m.length);
    case 'port':
      return encodePort(m.port);
    case 'suggest':
      return encodeSuggest(m.index);
    case 'have-all':
      return encodeHaveAll();
    case 'have-none':
      return encodeHaveNone();
    case 'reject':
      return encodeReject(m.index, m.begin, m.length);
    case 'allowed-fast':
      return encodeAllowedFast(m.index);
    case 'extended':
      return encodeExtended(m.id, m.payload);
    case 'hash-request':
      return encodeHashRequest(m);
    case 'hashes':
      return encodeHashes(m, m.hashes);
    case 'hash-reject':
      return encodeHashReject(m);
    case 'unknown': {
      u8('message id', m.id);
      const b = Buffer.allocUnsafe(5 + m.payload.length);
      writeU32(b, 0, 1 + m.payload.length);
      b[4] = m.id;
      b.set(m.payload, 5);
      return b;
    }
  }
}
