import { AnnounceResponse } from '@enjambre/proto';

/**
 * AnnounceResponse → protobuf bytes, the same bytes as the generated encoder. The generated path
 * (BinaryWriter chunks, `finish()` joining them, then `Buffer.from` copying the result) made
 * three allocations per answer on the busiest call; a compact answer (no Peer messages, what
 * enjambre's engine asks for) is written here straight into one buffer of its exact size. An
 * answer with Peer messages still goes through the generated encoder, minus the last copy.
 */
export function encodeAnnounceResponse(m: AnnounceResponse): Buffer {
  if (m.peers.length > 0) {
    const bytes = AnnounceResponse.encode(m).finish();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  }
  const size =
    uintField(m.interval) +
    uintField(m.minInterval) +
    uintField(m.seeders) +
    uintField(m.leechers) +
    bytesField(m.peers4.length) +
    bytesField(m.peers6.length);
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  if (m.interval !== 0) at = writeVarint(out, writeVarint(out, at, 8), m.interval);
  if (m.minInterval !== 0) at = writeVarint(out, writeVarint(out, at, 16), m.minInterval);
  if (m.seeders !== 0) at = writeVarint(out, writeVarint(out, at, 32), m.seeders);
  if (m.leechers !== 0) at = writeVarint(out, writeVarint(out, at, 40), m.leechers);
  at = writeBytes(out, at, 50, m.peers4);
  writeBytes(out, at, 58, m.peers6);
  return out;
}

/** Bytes of a varint for a uint32 (a negative int is read as its uint32, as protobuf does). */
function varintSize(value: number): number {
  const v = value >>> 0;
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  return 5;
}

/** A uint32 field with a one-byte tag; absent when 0 (proto3 default). */
function uintField(value: number): number {
  return value === 0 ? 0 : 1 + varintSize(value);
}

/** A bytes field with a one-byte tag; absent when empty. */
function bytesField(length: number): number {
  return length === 0 ? 0 : 1 + varintSize(length) + length;
}

function writeVarint(out: Buffer, at: number, value: number): number {
  let v = value >>> 0;
  while (v >= 0x80) {
    out[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[at++] = v;
  return at;
}

function writeBytes(out: Buffer, at: number, tag: number, bytes: Uint8Array): number {
  if (bytes.length === 0) return at;
  at = writeVarint(out, writeVarint(out, at, tag), bytes.length);
  out.set(bytes, at);
  return at + bytes.length;
}
