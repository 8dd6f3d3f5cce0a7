import { randomBytes } from 'node:crypto';

/**
 * Info-hash → swarm id, without a JS object per torrent: swarm ids are dense (freed ids are
 * reused), each swarm's info-hash sits in one Buffer at id × 20, and the lookup table is an
 * open-addressing Int32Array of id + 1 (linear probing, load at most 1/2, backward-shift
 * deletion, so no tombstones pile up). A Map<string, object> cost ~150 bytes per torrent
 * (the 20-character key string, the entry, the object); this costs 20 + 8..16 bytes.
 *
 * The probe start is a keyed mix of all 20 bytes: info-hashes come from the network, and anyone
 * could otherwise announce hashes that share a start and make every lookup walk one long chain.
 *
 * Per-swarm numbers that every swarm has live here too, in arrays indexed by id; the store adds
 * its own through `onGrow`.
 */

const HASH_LENGTH = 20;
const MIN_IDS = 1024;

export class SwarmIndex {
  /** Info-hash of swarm id at id × 20. */
  hashes = Buffer.alloc(0);
  /** 1 while the id is a live swarm. */
  live = new Uint8Array(0);
  /** Next time (Unix seconds) an announce should expire the swarm's silent peers. */
  nextExpiry = new Uint32Array(0);
  /** This replica's completed counter per swarm. */
  completed = new Float64Array(0);
  /** Live swarms. */
  count = 0;
  /** Ids 0 .. end - 1 have been handed out at least once. */
  end = 0;
  private slots = new Int32Array(MIN_IDS * 2);
  private readonly free: number[] = [];
  private readonly k0: number;
  private readonly k1: number;

  /** Called with the new id capacity before an id beyond the old one is handed out. */
  constructor(private readonly onGrow: (capacity: number) => void) {
    const key = randomBytes(8);
    this.k0 = key.readInt32LE(0);
    this.k1 = key.readInt32LE(4) | 1;
  }

  /** The id of the swarm of the first 20 bytes of `hash`, or -1. */
  get(hash: Buffer): number {
    if (hash.length < HASH_LENGTH) return -1;
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let i = this.mix(hash, 0) & mask; ; i = (i + 1) & mask) {
      const v = slots[i];
      if (v === 0) return -1;
      if (this.matches(v - 1, hash)) return v - 1;
    }
  }

  /** A new swarm for `hash` (which must not have one); returns its id. */
  add(hash: Buffer): number {
    let id: number;
    if (this.free.length > 0) id = this.free.pop() as number;
    else {
      id = this.end++;
      if (id >= this.live.length) this.growIds(Math.max(MIN_IDS, this.live.length * 2));
    }
    hash.copy(this.hashes, id * HASH_LENGTH, 0, HASH_LENGTH);
    this.live[id] = 1;
    this.nextExpiry[id] = 0;
    this.completed[id] = 0;
    this.count++;
    if (this.count * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(this.slots, id);
    return id;
  }

  delete(id: number): void {
    const slots = this.slots;
    const mask = slots.length - 1;
    let i = this.mix(this.hashes, id * HASH_LENGTH) & mask;
    while (slots[i] !== id + 1) i = (i + 1) & mask;
    for (let j = i; ;) {
      j = (j + 1) & mask;
      const v = slots[j];
      if (v === 0) break;
      const home = this.mix(this.hashes, (v - 1) * HASH_LENGTH) & mask;
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      slots[i] = v;
      i = j;
    }
    slots[i] = 0;
    this.live[id] = 0;
    this.count--;
    this.free.push(id);
    // Shrink a table left mostly empty by a wave of departures.
    if (this.slots.length > MIN_IDS * 2 && this.count * 8 < this.slots.length) {
      this.rehash(this.slots.length / 2);
    }
  }

  /** The info-hash of a swarm (a view: copy it to keep it). */
  hashOf(id: number): Buffer {
    return this.hashes.subarray(id * HASH_LENGTH, (id + 1) * HASH_LENGTH);
  }

  private matches(id: number, hash: Buffer): boolean {
    const hashes = this.hashes;
    const off = id * HASH_LENGTH;
    for (let j = 0; j < HASH_LENGTH; j++) if (hashes[off + j] !== hash[j]) return false;
    return true;
  }

  private mix(buf: Buffer, off: number): number {
    let h = this.k0;
    for (let j = 0; j < HASH_LENGTH; j += 4) {
      h = Math.imul(h ^ buf.readInt32LE(off + j), this.k1);
      h ^= h >>> 15;
    }
    h = Math.imul(h, 0x2c1b3c6d);
    return (h ^ (h >>> 13)) >>> 0;
  }

  private place(slots: Int32Array, id: number): void {
    const mask = slots.length - 1;
    let i = this.mix(this.hashes, id * HASH_LENGTH) & mask;
    while (slots[i] !== 0) i = (i + 1) & mask;
    slots[i] = id + 1;
  }

  private rehash(length: number): void {
    const slots = new Int32Array(length);
    for (let id = 0; id < this.end; id++) if (this.live[id] === 1) this.place(slots, id);
    this.slots = slots;
  }

  private growIds(capacity: number): void {
    const hashes = Buffer.alloc(capacity * HASH_LENGTH);
    this.hashes.copy(hashes);
    this.hashes = hashes;
    const live = new Uint8Array(capacity);
    live.set(this.live);
    this.live = live;
    const nextExpiry = new Uint32Array(capacity);
    nextExpiry.set(this.nextExpiry);
    this.nextExpiry = nextExpiry;
    const completed = new Float64Array(capacity);
    completed.set(this.completed);
    this.completed = completed;
    this.onGrow(capacity);
  }
}
