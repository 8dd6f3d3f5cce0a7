/**
 * BEP 6 "allowed fast" set: the pieces a peer may request from us even while choked, derived from
 * its IPv4 /24 network and the info-hash, so that reconnecting (or a neighbour on the same /24)
 * cannot farm more free pieces.
 */
import { createHash } from 'node:crypto';
import { WireError } from '../errors';
import { parseIPv4 } from '../tracker/compact';

/** BEP 6 suggests 10 pieces. */
export const ALLOWED_FAST_COUNT = 10;

/**
 * The canonical allowed-fast set for a peer at `ip` (IPv4; BEP 6 defines no IPv6 variant, so an
 * IPv6 address gives an empty set). At most `count` distinct indexes, never more than the torrent
 * has pieces.
 */
export function allowedFastSet(
  ip: string,
  infoHash: Uint8Array,
  pieceCount: number,
  count = ALLOWED_FAST_COUNT,
): number[] {
  if (infoHash.length !== 20) throw new WireError('wire.bad-value', 'info-hash must be 20 bytes');
  const v4 = parseIPv4(ip);
  if (v4 < 0 || pieceCount <= 0) return [];
  const want = Math.min(count, pieceCount);
  let x: Buffer = Buffer.allocUnsafe(24);
  x.writeUInt32BE((v4 & 0xffffff00) >>> 0, 0);
  x.set(infoHash, 4);
  const set: number[] = [];
  while (set.length < want) {
    x = createHash('sha1').update(x).digest();
    for (let i = 0; i < 5 && set.length < want; i++) {
      const index = x.readUInt32BE(i * 4) % pieceCount;
      if (!set.includes(index)) set.push(index);
    }
  }
  return set;
}
