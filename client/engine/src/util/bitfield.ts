/** A fixed-size set of piece indexes, stored MSB first as on the wire. */
export class Bitfield {
  readonly bytes: Uint8Array;
  private count = 0;

  constructor(
    readonly length: number,
    from?: Uint8Array,
  ) {
    this.bytes = new Uint8Array(Math.ceil(length / 8));
    if (from) {
      this.bytes.set(from.subarray(0, this.bytes.length));
      const spare = this.bytes.length * 8 - length;
      if (spare > 0) this.bytes[this.bytes.length - 1] &= 0xff << spare;
      for (let i = 0; i < length; i++) if (this.get(i)) this.count++;
    }
  }

  get(i: number): boolean {
    return (this.bytes[i >> 3] & (0x80 >> (i & 7))) !== 0;
  }

  /** Sets bit i; returns true if it was clear. */
  set(i: number): boolean {
    if (this.get(i)) return false;
    this.bytes[i >> 3] |= 0x80 >> (i & 7);
    this.count++;
    return true;
  }

  /** Clears bit i; returns true if it was set. */
  clear(i: number): boolean {
    if (!this.get(i)) return false;
    this.bytes[i >> 3] &= ~(0x80 >> (i & 7));
    this.count--;
    return true;
  }

  setAll(): void {
    for (let i = 0; i < this.length; i++) this.set(i);
  }

  get cardinality(): number {
    return this.count;
  }
  get complete(): boolean {
    return this.count === this.length;
  }
}
