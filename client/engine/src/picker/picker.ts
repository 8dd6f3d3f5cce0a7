export const BLOCK_SIZE = 16 * 1024;

/** A request for one block. */
export interface BlockRequest {
  index: number;
  begin: number;
  length: number;
}

/** What the picker needs to know of a peer: identity, and which pieces it has. */
export interface PickerPeer {
  hasPiece(index: number): boolean;
}

const FREE = 0;
const REQUESTED = 1;
const RECEIVED = 2;

/** Availability counts above this share one bucket (keeps the bucket count bounded). */
const CAP = 255;
const HIGH_BASE = 0;
const NORMAL_BASE = CAP + 1;
const DONE = 2 * CAP + 2;
const KEYS = DONE + 1;
/** Pieces picked at random before switching to rarest-first. */
const RANDOM_FIRST = 4;

interface Partial {
  index: number;
  state: Uint8Array;
  /** Peer that requested each block (first requester). */
  owner: (PickerPeer | undefined)[];
  /** Endgame: further peers that requested the same block. */
  extra: Map<number, Set<PickerPeer>>;
  free: number;
  received: number;
  /** Lowest block index that may be free. */
  nextFree: number;
}

/**
 * Chooses which blocks to request from which peer. See STATE.md for the invariants.
 *
 * Pieces are kept in one array ordered by bucket key (priority class, availability), with the start
 * of each bucket: an availability change moves a piece one bucket by a swap with the bucket edge
 * (O(1)); a completed or skipped piece moves to the DONE bucket at the end.
 */
export class PiecePicker {
  readonly pieceCount: number;
  private readonly have: Uint8Array;
  private readonly avail: Uint32Array;
  /** Peers that have every piece: counted once here, not per piece (order unchanged). */
  private seeds = 0;
  private readonly prio: Uint8Array;
  private readonly key: Uint16Array;
  private readonly order: Int32Array;
  private readonly pos: Int32Array;
  private readonly start: Int32Array;
  private readonly partials = new Map<number, Partial>();
  private readonly first: number[] = [];
  private sequential = false;
  private seqCursor = 0;
  private haveCount = 0;
  private wantedMissing = 0;

  constructor(
    pieceCount: number,
    private readonly pieceLength: number,
    private readonly lastPieceLength: number,
  ) {
    this.pieceCount = pieceCount;
    this.have = new Uint8Array(pieceCount);
    this.avail = new Uint32Array(pieceCount);
    this.prio = new Uint8Array(pieceCount).fill(1);
    this.key = new Uint16Array(pieceCount);
    this.order = new Int32Array(pieceCount);
    this.pos = new Int32Array(pieceCount);
    this.start = new Int32Array(KEYS + 1);
    this.rebuild();
  }

  // ---- piece state ------------------------------------------------------------------------

  hasPiece(index: number): boolean {
    return this.have[index] === 1;
  }
  get completedCount(): number {
    return this.haveCount;
  }
  /** Wanted pieces (priority > 0) not yet verified. */
  get missingWanted(): number {
    return this.wantedMissing;
  }
  isWanted(index: number): boolean {
    return this.prio[index] > 0;
  }

  /** A piece passed its hash check. */
  setHave(index: number): void {
    if (this.have[index]) return;
    this.have[index] = 1;
    this.haveCount++;
    if (this.prio[index] > 0) this.wantedMissing--;
    this.partials.delete(index);
    this.move(index, DONE);
  }

  /** A piece is no longer held (recheck found it bad). */
  unsetHave(index: number): void {
    if (!this.have[index]) return;
    this.have[index] = 0;
    this.haveCount--;
    if (this.prio[index] > 0) this.wantedMissing++;
    this.move(index, this.keyOf(index));
  }

  /** Per-piece priority: 0 skip, 1 normal, 2 high (derived from file priorities). */
  setPriorities(prio: Uint8Array): void {
    this.prio.set(prio);
    this.rebuild();
  }

  setSequential(on: boolean): void {
    this.sequential = on;
    this.seqCursor = 0;
  }

  /** Pieces to fetch before anything else, in this order (streaming a range). */
  fetchFirst(pieces: number[]): void {
    for (const p of pieces) if (!this.have[p] && !this.first.includes(p)) this.first.push(p);
  }

  // ---- availability ------------------------------------------------------------------------

  availability(index: number): number {
    return this.avail[index] + this.seeds;
  }
  addHave(index: number): void {
    this.avail[index]++;
    if (this.key[index] !== DONE && this.avail[index] <= CAP) this.move(index, this.key[index] + 1);
  }
  removeHave(index: number): void {
    if (this.avail[index] === 0) return;
    this.avail[index]--;
    if (this.key[index] !== DONE && this.avail[index] < CAP) this.move(index, this.keyOf(index));
  }
  addSeed(): void {
    this.seeds++;
  }
  removeSeed(): void {
    if (this.seeds > 0) this.seeds--;
  }

  // ---- requests -----------------------------------------------------------------------------

  blocksIn(index: number): number {
    return Math.ceil(this.sizeOf(index) / BLOCK_SIZE);
  }

  /**
   * Picks up to `max` blocks for `peer` and marks them requested. Order: partly requested pieces,
   * fetch-first pieces, then new pieces (sequential, random first, rarest first), and finally,
   * when nothing is free anywhere, blocks already requested from other peers (endgame).
   */
  pick(peer: PickerPeer, max: number, out: BlockRequest[]): number {
    let n = 0;
    for (const part of this.partials.values()) {
      if (n >= max) return n;
      if (part.free > 0 && peer.hasPiece(part.index)) n += this.takeFree(part, peer, max - n, out);
    }
    while (n < max) {
      const index = this.pickNewPiece(peer);
      if (index < 0) break;
      n += this.takeFree(this.openPartial(index), peer, max - n, out);
    }
    if (n < max) n += this.endgame(peer, max - n, out);
    return n;
  }

  /**
   * Up to `max` FREE blocks of piece `index` for `peer`, if the piece is wanted and missing: a
   * web seed extends a run of pieces with it, so one HTTP range covers several pieces.
   */
  claim(peer: PickerPeer, index: number, max: number, out: BlockRequest[]): number {
    if (index < 0 || index >= this.pieceCount || this.key[index] === DONE) return 0;
    return this.takeFree(this.partials.get(index) ?? this.openPartial(index), peer, max, out);
  }

  /**
   * A block arrived from `peer`. Returns false when it was not wanted (already received, or never
   * requested from anyone). `cancel` receives the other peers that still have it requested.
   */
  received(peer: PickerPeer, index: number, begin: number, cancel: PickerPeer[]): boolean {
    const part = this.partials.get(index);
    if (!part || begin % BLOCK_SIZE !== 0) return false;
    const b = begin / BLOCK_SIZE;
    if (b >= part.state.length || part.state[b] === RECEIVED) return false;
    if (part.state[b] === FREE) part.free--;
    part.state[b] = RECEIVED;
    part.received++;
    const owner = part.owner[b];
    if (owner && owner !== peer) cancel.push(owner);
    const extra = part.extra.get(b);
    if (extra) {
      for (const p of extra) if (p !== peer) cancel.push(p);
      part.extra.delete(b);
    }
    part.owner[b] = peer;
    return true;
  }

  /** True when every block of the piece has arrived. */
  isComplete(index: number): boolean {
    const part = this.partials.get(index);
    return !!part && part.received === part.state.length;
  }

  /** Which peers sent the blocks of a complete piece (for banning on a hash failure). */
  contributors(index: number): Set<PickerPeer> {
    const part = this.partials.get(index);
    const s = new Set<PickerPeer>();
    if (part) for (const o of part.owner) if (o) s.add(o);
    return s;
  }

  /** The peer no longer has this request outstanding (rejected, timed out, choked, gone). */
  release(peer: PickerPeer, index: number, begin: number): void {
    const part = this.partials.get(index);
    if (!part) return;
    const b = begin / BLOCK_SIZE;
    if (part.state[b] !== REQUESTED) return;
    const extra = part.extra.get(b);
    if (extra?.delete(peer) && extra.size === 0) part.extra.delete(b);
    if (part.owner[b] === peer) {
      const next = extra?.values().next().value;
      if (next) {
        part.owner[b] = next;
        extra!.delete(next);
        if (extra!.size === 0) part.extra.delete(b);
      } else {
        part.owner[b] = undefined;
        part.state[b] = FREE;
        part.free++;
        if (b < part.nextFree) part.nextFree = b;
      }
    }
  }

  /** The piece failed its hash check: every block becomes free again. */
  pieceFailed(index: number): void {
    this.partials.delete(index);
  }

  /** Number of pieces with blocks in flight or received (for memory bounds and status). */
  get partialCount(): number {
    return this.partials.size;
  }

  // ---- internals ---------------------------------------------------------------------------

  private sizeOf(index: number): number {
    return index === this.pieceCount - 1 ? this.lastPieceLength : this.pieceLength;
  }

  private keyOf(index: number): number {
    if (this.have[index] || this.prio[index] === 0) return DONE;
    const a = Math.min(this.avail[index], CAP);
    return (this.prio[index] === 2 ? HIGH_BASE : NORMAL_BASE) + a;
  }

  private openPartial(index: number): Partial {
    const blocks = this.blocksIn(index);
    const part: Partial = {
      index,
      state: new Uint8Array(blocks),
      owner: new Array(blocks),
      extra: new Map(),
      free: blocks,
      received: 0,
      nextFree: 0,
    };
    this.partials.set(index, part);
    return part;
  }

  private takeFree(part: Partial, peer: PickerPeer, max: number, out: BlockRequest[]): number {
    let n = 0;
    const size = this.sizeOf(part.index);
    for (let b = part.nextFree; b < part.state.length && n < max; b++) {
      if (part.state[b] !== FREE) {
        if (b === part.nextFree) part.nextFree++;
        continue;
      }
      part.state[b] = REQUESTED;
      part.owner[b] = peer;
      part.free--;
      if (b === part.nextFree) part.nextFree++;
      const begin = b * BLOCK_SIZE;
      out.push({ index: part.index, begin, length: Math.min(BLOCK_SIZE, size - begin) });
      n++;
    }
    return n;
  }

  private pickNewPiece(peer: PickerPeer): number {
    while (this.first.length > 0 && this.have[this.first[0]]) this.first.shift();
    for (const p of this.first) {
      if (!this.have[p] && !this.partials.has(p) && peer.hasPiece(p)) return p;
    }
    if (this.sequential) {
      while (this.seqCursor < this.pieceCount && this.have[this.seqCursor]) this.seqCursor++;
      for (let p = this.seqCursor; p < this.pieceCount; p++) {
        if (this.key[p] !== DONE && !this.partials.has(p) && peer.hasPiece(p)) return p;
      }
      return -1;
    }
    const random = this.haveCount < RANDOM_FIRST;
    // Pieces with availability 0 (seeds aside) come first in each class; with seeds every piece
    // is available, otherwise skip them: no connected peer has them.
    const from = this.seeds > 0 ? 0 : 1;
    for (const base of [HIGH_BASE, NORMAL_BASE]) {
      if (random) {
        const p = this.scan(this.start[base + from], this.start[base + CAP + 1], peer, true);
        if (p >= 0) return p;
        continue;
      }
      for (let k = base + from; k <= base + CAP; k++) {
        const p = this.scan(this.start[k], this.start[k + 1], peer, true);
        if (p >= 0) return p;
      }
    }
    return -1;
  }

  /** First piece in order[lo, hi) the peer has and nobody works on, from a random start. */
  private scan(lo: number, hi: number, peer: PickerPeer, randomStart: boolean): number {
    const len = hi - lo;
    if (len <= 0) return -1;
    const off = randomStart ? Math.floor(Math.random() * len) : 0;
    for (let i = 0; i < len; i++) {
      const p = this.order[lo + ((off + i) % len)];
      if (!this.partials.has(p) && peer.hasPiece(p)) return p;
    }
    return -1;
  }

  private endgame(peer: PickerPeer, max: number, out: BlockRequest[]): number {
    let n = 0;
    for (const part of this.partials.values()) {
      if (n >= max) break;
      if (!peer.hasPiece(part.index)) continue;
      const size = this.sizeOf(part.index);
      for (let b = 0; b < part.state.length && n < max; b++) {
        if (part.state[b] !== REQUESTED || part.owner[b] === peer) continue;
        let extra = part.extra.get(b);
        if (extra?.has(peer)) continue;
        if (!extra) part.extra.set(b, (extra = new Set()));
        if (extra.size >= 2) continue; // at most three peers per block
        extra.add(peer);
        const begin = b * BLOCK_SIZE;
        out.push({ index: part.index, begin, length: Math.min(BLOCK_SIZE, size - begin) });
        n++;
      }
    }
    return n;
  }

  private rebuild(): void {
    const counts = new Int32Array(KEYS + 1);
    this.wantedMissing = 0;
    for (let i = 0; i < this.pieceCount; i++) {
      const k = this.keyOf(i);
      this.key[i] = k;
      counts[k + 1]++;
      if (!this.have[i] && this.prio[i] > 0) this.wantedMissing++;
    }
    for (let k = 0; k < KEYS; k++) counts[k + 1] += counts[k];
    this.start.set(counts);
    const fill = this.start.slice(0, KEYS);
    for (let i = 0; i < this.pieceCount; i++) {
      const at = fill[this.key[i]]++;
      this.order[at] = i;
      this.pos[i] = at;
    }
  }

  /** Moves a piece to bucket `to`, one bucket at a time, by swaps with bucket edges. */
  private move(p: number, to: number): void {
    let k = this.key[p];
    while (k < to) {
      this.swap(this.pos[p], this.start[k + 1] - 1);
      this.start[k + 1]--;
      k++;
    }
    while (k > to) {
      this.swap(this.pos[p], this.start[k]);
      this.start[k]++;
      k--;
    }
    this.key[p] = k;
  }

  private swap(i: number, j: number): void {
    if (i === j) return;
    const a = this.order[i];
    const b = this.order[j];
    this.order[i] = b;
    this.order[j] = a;
    this.pos[a] = j;
    this.pos[b] = i;
  }
}
