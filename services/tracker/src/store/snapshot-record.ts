import { PEER_ID_LENGTH } from './peer-table';
import type { PeerState } from './types';

/**
 * The packed peer records of a SwarmSnapshot (persistence in LevelDB and replication catch-up),
 * PEER_RECORD, doubles little-endian:
 *   ip (4 | 16) · port (2, big-endian) · peer id (20) · lastSeen f64 · left f64 · uploaded f64 ·
 *   downloaded f64
 * This is the layout the store kept in memory before it packed peers tighter (peer-table.ts);
 * it stays the snapshot layout so databases written before load unchanged. The store no longer
 * keeps left/uploaded/downloaded: a snapshot says left 0 for a seeder and 1 for a leecher, and
 * zero transfer counters.
 */

export function keyLength(ipLength: number): number {
  return ipLength + 2 + PEER_ID_LENGTH;
}

export function recordLength(ipLength: number): number {
  return keyLength(ipLength) + 32;
}

/** Writes one record at `off` from a stored peer's identity bytes (ip · port · id). */
export function writeRecord(
  out: Buffer,
  off: number,
  src: Buffer,
  srcOff: number,
  ipLength: number,
  lastSeen: number,
  seeder: boolean,
): void {
  const kl = keyLength(ipLength);
  src.copy(out, off, srcOff, srcOff + kl);
  out.writeDoubleLE(lastSeen, off + kl);
  out.writeDoubleLE(seeder ? 0 : 1, off + kl + 8);
  out.writeDoubleLE(0, off + kl + 16);
  out.writeDoubleLE(0, off + kl + 24);
}

/** The peer of the record at `off` (views into `buf`). */
export function readRecord(buf: Buffer, off: number, ipLength: number): PeerState {
  const kl = keyLength(ipLength);
  return {
    ip: buf.subarray(off, off + ipLength),
    port: buf.readUInt16BE(off + ipLength),
    peerId: buf.subarray(off + ipLength + 2, off + kl),
    lastSeen: buf.readDoubleLE(off + kl),
    left: buf.readDoubleLE(off + kl + 8),
    uploaded: buf.readDoubleLE(off + kl + 16),
    downloaded: buf.readDoubleLE(off + kl + 24),
  };
}
