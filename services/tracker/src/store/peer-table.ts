import { PAGE, Slab, UNIT, classBytes, classOf, classSize } from './slab';

/**
 * Every swarm's peers, packed: a swarm has four tables (IPv4/IPv6 × leechers/seeders), numbered
 * `swarm * 4 + kind`, and a table is one block of a shared Slab. What a table is (block handle,
 * size, size class) lives in typed arrays indexed by its number, not in a JS object per table:
 * an object with its fields costs more than the ten peers of a typical swarm.
 *
 * Record layout (stride 32 for IPv4, 44 for IPv6):
 *   ip (4 | 16) · port (2, big-endian) · peer id (20) · lastSeen (Unix ms, 48-bit little-endian)
 * The first `keyLength` bytes (ip, port, peer id) are the peer's identity in the swarm, as in
 * chihaya: another host cannot displace or stop a peer by reusing its id; they are also the
 * answer's entry (BEP 23 compact form, then the id when asked), so sampling is a byte copy.
 * Seeding or leeching is the table a peer is in; left/uploaded/downloaded are not kept (no
 * answer depends on them). lastSeen keeps milliseconds: replication merges last-writer-wins on
 * it, and two announces of one peer within a second must still order.
 *
 * Small tables are searched linearly (a dozen 26-byte compares beat hashing); past
 * INDEX_THRESHOLD peers an open-addressing index (linear probing, an Int32Array of slot + 1)
 * finds a peer in O(1); big tables are few, so their indexes sit in a Map.
 */

export const PEER_ID_LENGTH = 20;
const TIME_BYTES = 6;
const INDEX_THRESHOLD = 16;
// A swarm's tables mostly hold a peer or two: a lone IPv4 peer takes a 32-byte block.
const MIN_CAPACITY = 1;
const EMPTY = Buffer.alloc(0);

export function peerKeyLength(ipLength: number): number {
  return ipLength + 2 + PEER_ID_LENGTH;
}

export function strideOf(ipLength: number): number {
  return peerKeyLength(ipLength) + TIME_BYTES;
}

/** A swarm's table kinds: bit 1 IPv6, bit 0 seeders. */
export function kindOf(v6: boolean, seed: boolean): number {
  return (v6 ? 2 : 0) | (seed ? 1 : 0);
}

export const isSeedTable = (t: number): boolean => (t & 1) === 1;
export const ipLengthOf = (t: number): 4 | 16 => (t & 2 ? 16 : 4);

export class PeerTables {
  /** Peers per table. */
  size = new Int32Array(0);
  /** Block handle / UNIT (valid while cls > 0). */
  private handle = new Int32Array(0);
  /** Size-class index of the block; 0: no block. */
  private cls = new Uint8Array(0);
  private readonly indexes = new Map<number, Int32Array>();

  constructor(
    private readonly slab: Slab,
    /** Seeds the peer-key hash: ids are chosen by peers, who must not aim at one probe chain. */
    private readonly seed: number,
  ) {}

  /** Makes room for tables 0 .. count - 1. */
  grow(count: number): void {
    if (count <= this.size.length) return;
    const size = new Int32Array(count);
    size.set(this.size);
    const handle = new Int32Array(count);
    handle.set(this.handle);
    const cls = new Uint8Array(count);
    cls.set(this.cls);
    this.size = size;
    this.handle = handle;
    this.cls = cls;
  }

  /** The slab page holding table t's records. */
  buf(t: number): Buffer {
    return this.cls[t] === 0 ? EMPTY : this.slab.page(this.handle[t] * UNIT);
  }

  /** Byte offset of a slot's record in buf(t). */
  offset(t: number, slot: number): number {
    return ((this.handle[t] * UNIT) % PAGE) + slot * strideOf(ipLengthOf(t));
  }

  lastSeen(t: number, slot: number): number {
    const buf = this.buf(t);
    const off = this.offset(t, slot) + peerKeyLength(ipLengthOf(t));
    return buf.readUInt16LE(off + 4) * 2 ** 32 + buf.readUInt32LE(off);
  }

  touch(t: number, slot: number, lastSeen: number): void {
    writeTime(this.buf(t), this.offset(t, slot) + peerKeyLength(ipLengthOf(t)), lastSeen);
  }

  /** Slot of the peer whose identity is the first keyLength bytes of `key`, or -1. */
  find(t: number, key: Buffer): number {
    const n = this.size[t];
    if (n === 0) return -1;
    const kl = peerKeyLength(ipLengthOf(t));
    const index = this.indexes.get(t);
    if (index !== undefined) {
      const mask = index.length - 1;
      for (let i = this.hash(key, 0, kl) & mask; ; i = (i + 1) & mask) {
        const v = index[i];
        if (v === 0) return -1;
        if (this.equals(t, v - 1, key)) return v - 1;
      }
    }
    const buf = this.buf(t);
    const stride = strideOf(ipLengthOf(t));
    for (let slot = 0, off = this.offset(t, 0); slot < n; slot++, off += stride) {
      let j = 0;
      while (j < kl && buf[off + j] === key[j]) j++;
      if (j === kl) return slot;
    }
    return -1;
  }

  /** Appends a peer (identity from `key`) and returns its slot. */
  insert(t: number, key: Buffer, lastSeen: number): number {
    const ipLength = ipLengthOf(t);
    const stride = strideOf(ipLength);
    const slot = this.size[t];
    // The next slab class up (about 1.5×): amortized O(1) copies, less slack than doubling.
    if (slot === this.capacity(t)) this.resize(t, Math.max(MIN_CAPACITY, slot + 1));
    this.size[t] = slot + 1;
    const buf = this.buf(t);
    const off = this.offset(t, slot);
    key.copy(buf, off, 0, peerKeyLength(ipLength));
    writeTime(buf, off + stride - TIME_BYTES, lastSeen);
    const index = this.indexes.get(t);
    if (index !== undefined) {
      if ((slot + 1) * 2 > index.length) this.buildIndex(t);
      else this.indexInsert(t, index, slot);
    } else if (slot + 1 > INDEX_THRESHOLD) this.buildIndex(t);
    return slot;
  }

  /** Removes a slot by moving the last record into it (order is not meaningful). */
  remove(t: number, slot: number): void {
    const last = this.size[t] - 1;
    const stride = strideOf(ipLengthOf(t));
    const index = this.indexes.get(t);
    if (index !== undefined) this.indexDelete(t, index, slot);
    if (slot !== last) {
      const buf = this.buf(t);
      const from = this.offset(t, last);
      buf.copy(buf, this.offset(t, slot), from, from + stride);
      if (index !== undefined) this.indexMove(t, index, last, slot);
    }
    this.size[t] = last;
    const capacity = this.capacity(t);
    if (last === 0) this.resize(t, 0);
    else if (capacity > MIN_CAPACITY * 4 && last < capacity / 4) this.resize(t, last * 2);
    if (index !== undefined && last <= INDEX_THRESHOLD / 2) this.indexes.delete(t);
  }

  /** Removes peers last seen before `cutoff`; calls `onRemoved` with each record's offset
   * before it is overwritten. Returns how many it removed. */
  expire(
    t: number,
    cutoff: number,
    onRemoved: ((buf: Buffer, offset: number) => void) | null,
  ): number {
    let removed = 0;
    for (let slot = this.size[t] - 1; slot >= 0; slot--) {
      if (this.lastSeen(t, slot) < cutoff) {
        if (onRemoved !== null) onRemoved(this.buf(t), this.offset(t, slot));
        this.remove(t, slot);
        removed++;
      }
    }
    return removed;
  }

  /** Returns the table's memory to the slab (the table is empty afterwards). */
  release(t: number): void {
    this.size[t] = 0;
    this.indexes.delete(t);
    this.resize(t, 0);
  }

  private capacity(t: number): number {
    const c = this.cls[t];
    return c === 0 ? 0 : Math.floor(classBytes(c) / strideOf(ipLengthOf(t)));
  }

  private hash(buf: Buffer, off: number, length: number): number {
    let h = this.seed ^ 0x811c9dc5;
    for (let j = 0; j < length; j++) h = Math.imul(h ^ buf[off + j], 16777619);
    return (h ^ (h >>> 15)) >>> 0;
  }

  private equals(t: number, slot: number, key: Buffer): boolean {
    const buf = this.buf(t);
    const off = this.offset(t, slot);
    const kl = peerKeyLength(ipLengthOf(t));
    for (let j = 0; j < kl; j++) if (buf[off + j] !== key[j]) return false;
    return true;
  }

  private slotHash(t: number, slot: number): number {
    return this.hash(this.buf(t), this.offset(t, slot), peerKeyLength(ipLengthOf(t)));
  }

  private buildIndex(t: number): void {
    let length = 64;
    while (length < this.size[t] * 4) length *= 2;
    const index = new Int32Array(length);
    this.indexes.set(t, index);
    for (let slot = 0; slot < this.size[t]; slot++) this.indexInsert(t, index, slot);
  }

  private indexInsert(t: number, index: Int32Array, slot: number): void {
    const mask = index.length - 1;
    let i = this.slotHash(t, slot) & mask;
    while (index[i] !== 0) i = (i + 1) & mask;
    index[i] = slot + 1;
  }

  /** The record now at `to` was at `from`: repoint its index entry. */
  private indexMove(t: number, index: Int32Array, from: number, to: number): void {
    const mask = index.length - 1;
    let i = this.slotHash(t, to) & mask;
    while (index[i] !== from + 1) i = (i + 1) & mask;
    index[i] = to + 1;
  }

  /** Linear-probing deletion by backward shift: no tombstones, probes stay short. */
  private indexDelete(t: number, index: Int32Array, slot: number): void {
    const mask = index.length - 1;
    let i = this.slotHash(t, slot) & mask;
    while (index[i] !== slot + 1) i = (i + 1) & mask;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const v = index[j];
      if (v === 0) break;
      const home = this.slotHash(t, v - 1) & mask;
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      index[i] = v;
      i = j;
    }
    index[i] = 0;
  }

  private resize(t: number, capacity: number): void {
    const stride = strideOf(ipLengthOf(t));
    const oldCls = this.cls[t];
    const oldHandle = this.handle[t] * UNIT;
    if (capacity > 0) {
      const bytes = classSize(capacity * stride);
      const handle = this.slab.alloc(bytes);
      if (oldCls !== 0) {
        const from = oldHandle % PAGE;
        this.slab
          .page(oldHandle)
          .copy(this.slab.page(handle), handle % PAGE, from, from + this.size[t] * stride);
      }
      this.handle[t] = handle / UNIT;
      this.cls[t] = classOf(bytes);
    } else {
      this.cls[t] = 0;
    }
    if (oldCls !== 0) this.slab.release(oldHandle, classBytes(oldCls));
  }
}

/** Unix ms in 48 bits (year 10889); anything outside is clamped, never wrapped. */
function writeTime(buf: Buffer, off: number, ms: number): void {
  const v = ms > 0 ? Math.min(Math.floor(ms), 2 ** 48 - 1) : 0;
  buf.writeUInt32LE(v % 2 ** 32, off);
  buf.writeUInt16LE(Math.floor(v / 2 ** 32) & 0xffff, off + 4);
}
