import { PEER_ID_LENGTH, PeerTables, ipLengthOf } from './peer-table';

const EMPTY = Buffer.alloc(0);

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * Writes peer samples into one buffer per store (one half per address family) and hands out
 * views of it, overwritten by the next call: front ends encode or copy them before they call
 * the store again (calls are synchronous).
 */
export class Sampler {
  private readonly buf: Buffer;

  constructor(
    private readonly tables: PeerTables,
    maxNumwant: number,
    private readonly random: () => number,
  ) {
    this.buf = Buffer.allocUnsafeSlow(2 * maxNumwant * (18 + PEER_ID_LENGTH));
  }

  /**
   * Up to `want` entries from the virtual concatenation of tables a and b (-1: none), leaving
   * out the asker (table askerT, slot askerSlot): a random start and a random stride coprime
   * with the total visit distinct slots in O(want).
   */
  pick(
    a: number,
    b: number,
    want: number,
    withIds: boolean,
    askerT: number,
    askerSlot: number,
    half: number,
  ): Buffer {
    const tables = this.tables;
    const na = a < 0 ? 0 : tables.size[a];
    const nb = b < 0 ? 0 : tables.size[b];
    const total = na + nb;
    const excluded = askerSlot >= 0 && (askerT === a || askerT === b) ? 1 : 0;
    const take = Math.min(want, total - excluded);
    if (take <= 0) return EMPTY;
    const entry = ipLengthOf(a < 0 ? b : a) + 2 + (withIds ? PEER_ID_LENGTH : 0);
    const from0 = half * (this.buf.length / 2);
    const out = this.buf.subarray(from0, from0 + take * entry);
    let start = 0;
    let step = 1;
    if (take < total - excluded) {
      start = Math.floor(this.random() * total);
      step = 1 + Math.floor(this.random() * (total - 1));
      if (gcd(step, total) !== 1) step = 1;
    }
    const bufA = a < 0 ? EMPTY : tables.buf(a);
    const bufB = b < 0 ? EMPTY : tables.buf(b);
    let written = 0;
    for (let i = 0, pos = start; written < take && i < total; i++, pos = (pos + step) % total) {
      const inA = pos < na;
      const t = inA ? a : b;
      const slot = inA ? pos : pos - na;
      if (t === askerT && slot === askerSlot) continue;
      const src = inA ? bufA : bufB;
      const from = tables.offset(t, slot);
      const o = written * entry;
      for (let j = 0; j < entry; j++) out[o + j] = src[from + j];
      written++;
    }
    return out;
  }
}
