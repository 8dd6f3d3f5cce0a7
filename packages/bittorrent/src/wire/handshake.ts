/**
 * The BitTorrent handshake (BEP 3): `<19>"BitTorrent protocol"<reserved 8><info-hash 20><peer id 20>`,
 * 68 bytes, with the reserved bits of BEP 5 (DHT), BEP 6 (fast), BEP 10 (extension protocol) and
 * BEP 52 (the peer supports v2).
 */
import { WireError } from '../errors';

export const PROTOCOL = 'BitTorrent protocol';
export const HANDSHAKE_LENGTH = 68;

/** The 20 bytes `<19>"BitTorrent protocol"` that open every handshake. */
const PREFIX = Buffer.concat([Buffer.from([PROTOCOL.length]), Buffer.from(PROTOCOL, 'latin1')]);

// Reserved-bit positions: byte index and mask.
const EXTENDED_BYTE = 5;
const EXTENDED_MASK = 0x10; // BEP 10
const FAST_BYTE = 7;
const FAST_MASK = 0x04; // BEP 6
const DHT_BYTE = 7;
const DHT_MASK = 0x01; // BEP 5
const V2_BYTE = 7;
const V2_MASK = 0x10; // BEP 52: the 4th most significant bit of the last byte

export interface Handshake {
  /** The 8 reserved bytes as received (bits enjambre does not know are kept here). */
  reserved: Buffer;
  infoHash: Buffer;
  peerId: Buffer;
  /** BEP 10 extension protocol (reserved[5] & 0x10). */
  extended: boolean;
  /** BEP 6 fast extension (reserved[7] & 0x04). */
  fast: boolean;
  /** BEP 5 DHT, the peer will send a `port` message (reserved[7] & 0x01). */
  dht: boolean;
  /** BEP 52: the peer supports BitTorrent v2 (reserved[7] & 0x10). */
  v2?: boolean;
}

export interface HandshakeInit {
  infoHash: Uint8Array;
  peerId: Uint8Array;
  extended?: boolean;
  fast?: boolean;
  dht?: boolean;
  v2?: boolean;
  /** Extra reserved bits to set, OR-ed with the flags above (8 bytes). */
  reserved?: Uint8Array;
}

function check20(name: string, b: Uint8Array): void {
  if (b.length !== 20) {
    throw new WireError(
      'wire.bad-handshake',
      `handshake: ${name} must be 20 bytes, got ${b.length}`,
    );
  }
}

/** Builds the 68-byte handshake. */
export function encodeHandshake(init: HandshakeInit): Buffer {
  check20('info-hash', init.infoHash);
  check20('peer id', init.peerId);
  const out = Buffer.alloc(HANDSHAKE_LENGTH);
  PREFIX.copy(out, 0);
  if (init.reserved) {
    if (init.reserved.length !== 8) {
      throw new WireError('wire.bad-handshake', 'handshake: reserved must be 8 bytes');
    }
    out.set(init.reserved, 20);
  }
  if (init.extended) out[20 + EXTENDED_BYTE] |= EXTENDED_MASK;
  if (init.fast) out[20 + FAST_BYTE] |= FAST_MASK;
  if (init.dht) out[20 + DHT_BYTE] |= DHT_MASK;
  if (init.v2) out[20 + V2_BYTE] |= V2_MASK;
  out.set(init.infoHash, 28);
  out.set(init.peerId, 48);
  return out;
}

/**
 * Checks the protocol string of a (possibly partial) handshake in `buf[start, start+len)`;
 * throws as soon as one byte differs, so a peer speaking something else is dropped early.
 */
export function checkHandshakePrefix(buf: Uint8Array, start: number, len: number): void {
  const n = Math.min(len, PREFIX.length);
  for (let i = 0; i < n; i++) {
    if (buf[start + i] !== PREFIX[i]) {
      throw new WireError(
        i === 0 ? 'wire.bad-protocol-length' : 'wire.bad-protocol',
        i === 0
          ? `handshake: protocol name length ${buf[start]}, expected 19`
          : 'handshake: protocol is not "BitTorrent protocol"',
      );
    }
  }
}

/** Parses a handshake from `buf[start, start+68)`; the fields are copies, safe to keep. */
export function parseHandshake(buf: Uint8Array, start = 0): Handshake {
  if (buf.length - start < HANDSHAKE_LENGTH) {
    throw new WireError(
      'wire.truncated',
      `handshake: ${buf.length - start} bytes, expected ${HANDSHAKE_LENGTH}`,
    );
  }
  checkHandshakePrefix(buf, start, PREFIX.length);
  const reserved = Buffer.from(buf.subarray(start + 20, start + 28));
  return {
    reserved,
    infoHash: Buffer.from(buf.subarray(start + 28, start + 48)),
    peerId: Buffer.from(buf.subarray(start + 48, start + 68)),
    extended: (reserved[EXTENDED_BYTE] & EXTENDED_MASK) !== 0,
    fast: (reserved[FAST_BYTE] & FAST_MASK) !== 0,
    dht: (reserved[DHT_BYTE] & DHT_MASK) !== 0,
    v2: (reserved[V2_BYTE] & V2_MASK) !== 0,
  };
}
