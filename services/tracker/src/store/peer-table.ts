/**
 * The peers of one swarm in one address family and one state (seeding or leeching), packed in a
 * single growable Buffer instead of one JS object per peer: that keeps a peer at ~58 (IPv4) or
 * ~70 (IPv6) bytes and makes the compact answer a byte copy.
 *
 * PEER_RECORD layout (doubles little-endian):
 *   ip (4 | 16) · port (2, big-endian) · peer id (20) · lastSeen f64 · left f64 · uploaded f64 ·
 *   downloaded f64
 * The first `keyLength` bytes (ip, port, peer id) are the peer's identity in the swarm, as in
 * chihaya: another host cannot displace or stop a peer by reusing its id.
 *
 * Small tables are searched linearly (a few dozen 26-byte compares beat hashing a string); a
 * Map index is built once a table outgrows INDEX_THRESHOLD.
 */

export const PEER_ID_LENGTH = 20;
const INDEX_THRESHOLD = 24;
const MIN_CAPACITY = 2;

export function keyLength(ipLength: number): number {
  return ipLength + 2 + PEER_ID_LENGTH;
}

export function recordLength(ipLength: number): number {
  return keyLength(ipLength) + 32;
}

export class PeerTable {
  readonly keyLength: number;
  readonly stride: number;
  /** Packed records; only the first `size` are live. */
  buf: Buffer;
  size = 0;
  private index: Map<string, number> | null = null;

  constructor(readonly ipLength: 4 | 16) {
    this.keyLength = keyLength(ipLength);
    this.stride = recordLength(ipLength);
    this.buf = Buffer.allocUnsafe(this.stride * MIN_CAPACITY);
  }

  /** Slot of the peer whose identity is the first keyLength bytes of `key`, or -1. */
  find(key: Buffer): number {
    if (this.index !== null) {
      const slot = this.index.get(key.toString('latin1', 0, this.keyLength));
      return slot === undefined ? -1 : slot;
    }
    const { buf, stride, keyLength: kl } = this;
    for (let slot = 0, off = 0; slot < this.size; slot++, off += stride) {
      let j = 0;
      while (j < kl && buf[off + j] === key[j]) j++;
      if (j === kl) return slot;
    }
    return -1;
  }

  /** Appends a peer (identity from `key`) and returns its slot. */
  insert(
    key: Buffer,
    lastSeen: number,
    left: number,
    uploaded: number,
    downloaded: number,
  ): number {
    if ((this.size + 1) * this.stride > this.buf.length) this.resize(this.size * 2);
    const slot = this.size++;
    const off = slot * this.stride;
    key.copy(this.buf, off, 0, this.keyLength);
    this.write(slot, lastSeen, left, uploaded, downloaded);
    if (this.index !== null) this.index.set(key.toString('latin1', 0, this.keyLength), slot);
    else if (this.size > INDEX_THRESHOLD) this.buildIndex();
    return slot;
  }

  /** Appends a whole packed record (persistence, replication). */
  insertRecord(record: Buffer, offset: number): number {
    const slot = this.insert(
      record.subarray(offset, offset + this.keyLength),
      record.readDoubleLE(offset + this.keyLength),
      record.readDoubleLE(offset + this.keyLength + 8),
      record.readDoubleLE(offset + this.keyLength + 16),
      record.readDoubleLE(offset + this.keyLength + 24),
    );
    return slot;
  }

  write(slot: number, lastSeen: number, left: number, uploaded: number, downloaded: number): void {
    const off = slot * this.stride + this.keyLength;
    const buf = this.buf;
    buf.writeDoubleLE(lastSeen, off);
    buf.writeDoubleLE(left, off + 8);
    buf.writeDoubleLE(uploaded, off + 16);
    buf.writeDoubleLE(downloaded, off + 24);
  }

  lastSeen(slot: number): number {
    return this.buf.readDoubleLE(slot * this.stride + this.keyLength);
  }

  /** Removes a slot by moving the last record into it (order is not meaningful). */
  remove(slot: number): void {
    const last = this.size - 1;
    const { stride } = this;
    if (this.index !== null) this.index.delete(this.keyString(slot));
    if (slot !== last) {
      this.buf.copy(this.buf, slot * stride, last * stride, last * stride + stride);
      if (this.index !== null) this.index.set(this.keyString(slot), slot);
    }
    this.size = last;
    const capacity = this.buf.length / stride;
    if (capacity > MIN_CAPACITY * 4 && this.size < capacity / 4) {
      this.resize(Math.max(MIN_CAPACITY, this.size * 2));
      if (this.index !== null && this.size <= INDEX_THRESHOLD / 2) this.index = null;
    }
  }

  /** Removes peers last seen before `cutoff`; calls `onRemoved` with each record's offset
   * before it is overwritten. */
  expire(cutoff: number, onRemoved: ((buf: Buffer, offset: number) => void) | null): number {
    let removed = 0;
    for (let slot = this.size - 1; slot >= 0; slot--) {
      if (this.lastSeen(slot) < cutoff) {
        if (onRemoved !== null) onRemoved(this.buf, slot * this.stride);
        this.remove(slot);
        removed++;
      }
    }
    return removed;
  }

  /** The live records as one packed buffer (a copy). */
  records(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.size * this.stride));
  }

  private keyString(slot: number): string {
    const off = slot * this.stride;
    return this.buf.toString('latin1', off, off + this.keyLength);
  }

  private buildIndex(): void {
    const index = new Map<string, number>();
    for (let slot = 0; slot < this.size; slot++) index.set(this.keyString(slot), slot);
    this.index = index;
  }

  private resize(capacity: number): void {
    const next = Buffer.allocUnsafe(Math.max(MIN_CAPACITY, capacity) * this.stride);
    this.buf.copy(next, 0, 0, this.size * this.stride);
    this.buf = next;
  }
}
