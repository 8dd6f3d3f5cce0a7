import { Slab, classSize } from './slab';

/**
 * The peers of one swarm in one address family and one state (seeding or leeching), packed
 * into one block of a shared Slab instead of one JS object per peer: a peer costs its record
 * (58 bytes for IPv4, 70 for IPv6) plus the slack of its size class (under a third), and a
 * compact answer is a byte copy.
 *
 * PEER_RECORD layout (doubles little-endian):
 *   ip (4 | 16) · port (2, big-endian) · peer id (20) · lastSeen f64 · left f64 · uploaded f64 ·
 *   downloaded f64
 * The first `keyLength` bytes (ip, port, peer id) are the peer's identity in the swarm, as in
 * chihaya: another host cannot displace or stop a peer by reusing its id.
 *
 * Small tables are searched linearly (a dozen 26-byte compares beat hashing); past
 * INDEX_THRESHOLD peers an open-addressing hash index (linear probing, an Int32Array of
 * slot + 1) finds a peer in O(1) for 8 bytes per peer.
 */

export const PEER_ID_LENGTH = 20;
const INDEX_THRESHOLD = 16;
const MIN_CAPACITY = 2;

export function keyLength(ipLength: number): number {
  return ipLength + 2 + PEER_ID_LENGTH;
}

export function recordLength(ipLength: number): number {
  return keyLength(ipLength) + 32;
}

function hashKey(buf: Buffer, off: number, length: number): number {
  let h = 0x811c9dc5;
  for (let j = 0; j < length; j++) h = Math.imul(h ^ buf[off + j], 16777619);
  return (h ^ (h >>> 15)) >>> 0;
}

export class PeerTable {
  readonly keyLength: number;
  readonly stride: number;
  /** The slab page holding the records; they start at `base`. */
  buf: Buffer;
  base = 0;
  size = 0;
  private capacity = 0;
  private handle = -1;
  private index: Int32Array | null = null;

  constructor(
    readonly ipLength: 4 | 16,
    private readonly slab: Slab,
  ) {
    this.keyLength = keyLength(ipLength);
    this.stride = recordLength(ipLength);
    this.buf = EMPTY;
  }

  /** Slot of the peer whose identity is the first keyLength bytes of `key`, or -1. */
  find(key: Buffer): number {
    const { buf, stride, keyLength: kl, index } = this;
    if (index !== null) {
      const mask = index.length - 1;
      for (let i = hashKey(key, 0, kl) & mask; ; i = (i + 1) & mask) {
        const v = index[i];
        if (v === 0) return -1;
        if (this.equals(v - 1, key)) return v - 1;
      }
    }
    for (let slot = 0, off = this.base; slot < this.size; slot++, off += stride) {
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
    // The next slab class up (about 1.5×): amortized O(1) copies, less slack than doubling.
    if (this.size === this.capacity) this.resize(Math.max(MIN_CAPACITY, this.size + 1));
    const slot = this.size++;
    key.copy(this.buf, this.base + slot * this.stride, 0, this.keyLength);
    this.write(slot, lastSeen, left, uploaded, downloaded);
    if (this.index !== null) {
      if (this.size * 2 > this.index.length) this.buildIndex();
      else this.indexInsert(slot);
    } else if (this.size > INDEX_THRESHOLD) this.buildIndex();
    return slot;
  }

  /** Appends a whole packed record (persistence, replication). */
  insertRecord(record: Buffer, offset: number): number {
    const kl = this.keyLength;
    return this.insert(
      record.subarray(offset, offset + kl),
      record.readDoubleLE(offset + kl),
      record.readDoubleLE(offset + kl + 8),
      record.readDoubleLE(offset + kl + 16),
      record.readDoubleLE(offset + kl + 24),
    );
  }

  write(slot: number, lastSeen: number, left: number, uploaded: number, downloaded: number): void {
    const off = this.base + slot * this.stride + this.keyLength;
    const buf = this.buf;
    buf.writeDoubleLE(lastSeen, off);
    buf.writeDoubleLE(left, off + 8);
    buf.writeDoubleLE(uploaded, off + 16);
    buf.writeDoubleLE(downloaded, off + 24);
  }

  lastSeen(slot: number): number {
    return this.buf.readDoubleLE(this.base + slot * this.stride + this.keyLength);
  }

  /** Byte offset of a slot's record in `buf`. */
  offset(slot: number): number {
    return this.base + slot * this.stride;
  }

  /** Removes a slot by moving the last record into it (order is not meaningful). */
  remove(slot: number): void {
    const last = this.size - 1;
    const { stride } = this;
    if (this.index !== null) this.indexDelete(slot);
    if (slot !== last) {
      const from = this.base + last * stride;
      this.buf.copy(this.buf, this.base + slot * stride, from, from + stride);
      if (this.index !== null) this.indexMove(last, slot);
    }
    this.size = last;
    if (this.size === 0) this.resize(0);
    else if (this.capacity > MIN_CAPACITY * 4 && this.size < this.capacity / 4) {
      this.resize(this.size * 2);
    }
    if (this.index !== null && this.size <= INDEX_THRESHOLD / 2) this.index = null;
  }

  /** Removes peers last seen before `cutoff`; calls `onRemoved` with each record's offset
   * before it is overwritten. */
  expire(cutoff: number, onRemoved: ((buf: Buffer, offset: number) => void) | null): number {
    let removed = 0;
    for (let slot = this.size - 1; slot >= 0; slot--) {
      if (this.lastSeen(slot) < cutoff) {
        if (onRemoved !== null) onRemoved(this.buf, this.offset(slot));
        this.remove(slot);
        removed++;
      }
    }
    return removed;
  }

  /** The live records as one packed buffer (a copy). */
  records(): Buffer {
    return Buffer.from(this.buf.subarray(this.base, this.base + this.size * this.stride));
  }

  /** Returns the table's memory to the slab (the table is empty afterwards). */
  release(): void {
    this.size = 0;
    this.index = null;
    this.resize(0);
  }

  private equals(slot: number, key: Buffer): boolean {
    const buf = this.buf;
    const off = this.base + slot * this.stride;
    for (let j = 0; j < this.keyLength; j++) if (buf[off + j] !== key[j]) return false;
    return true;
  }

  private slotHash(slot: number): number {
    return hashKey(this.buf, this.base + slot * this.stride, this.keyLength);
  }

  private buildIndex(): void {
    let length = 64;
    while (length < this.size * 4) length *= 2;
    this.index = new Int32Array(length);
    for (let slot = 0; slot < this.size; slot++) this.indexInsert(slot);
  }

  private indexInsert(slot: number): void {
    const index = this.index as Int32Array;
    const mask = index.length - 1;
    let i = this.slotHash(slot) & mask;
    while (index[i] !== 0) i = (i + 1) & mask;
    index[i] = slot + 1;
  }

  private indexPosition(slot: number): number {
    const index = this.index as Int32Array;
    const mask = index.length - 1;
    let i = this.slotHash(slot) & mask;
    while (index[i] !== slot + 1) i = (i + 1) & mask;
    return i;
  }

  /** The record now at `to` was at `from`: repoint its index entry. */
  private indexMove(from: number, to: number): void {
    const index = this.index as Int32Array;
    const mask = index.length - 1;
    let i = this.slotHash(to) & mask;
    while (index[i] !== from + 1) i = (i + 1) & mask;
    index[i] = to + 1;
  }

  /** Linear-probing deletion by backward shift: no tombstones, probes stay short. */
  private indexDelete(slot: number): void {
    const index = this.index as Int32Array;
    const mask = index.length - 1;
    let i = this.indexPosition(slot);
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const v = index[j];
      if (v === 0) break;
      const home = this.slotHash(v - 1) & mask;
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      index[i] = v;
      i = j;
    }
    index[i] = 0;
  }

  private resize(capacity: number): void {
    const bytes = capacity * this.stride;
    let handle = -1;
    let buf: Buffer = EMPTY;
    let base = 0;
    if (capacity > 0) {
      handle = this.slab.alloc(bytes);
      buf = this.slab.page(handle);
      base = Slab.offset(handle);
      this.buf.copy(buf, base, this.base, this.base + this.size * this.stride);
    }
    if (this.handle >= 0) this.slab.release(this.handle, this.capacity * this.stride);
    this.handle = handle;
    this.buf = buf;
    this.base = base;
    // Use the whole block.
    this.capacity = capacity > 0 ? Math.floor(classSize(bytes) / this.stride) : 0;
  }
}

const EMPTY = Buffer.alloc(0);
