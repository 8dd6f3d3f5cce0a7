/**
 * Token buckets per client address in a fixed-size open-addressing table: bounded memory
 * whatever the number of addresses, and no allocation per check (the announce hot path).
 * IPv6 clients are keyed by their /64, the smallest block a host is usually given, so one host
 * cannot dodge the limit by walking its own subnet.
 *
 * A full table evicts the stalest bucket in the probe window. Eviction hands the evicted address
 * a fresh bucket, so an attacker filling the table only ever gains tokens for addresses it does
 * not own; it never takes tokens away from anyone.
 */
export interface RateLimit {
  /** Tokens added per second; 0 disables the limit. */
  rate: number;
  /** Bucket size: how many requests may come at once. */
  burst: number;
}

const KEY = 8;
const PROBES = 8;

export class RateLimiter {
  private readonly rate: number;
  private readonly burst: number;
  private readonly mask: number;
  private readonly keys: Uint8Array;
  /** 0: free slot; 4 or 8: the key length of the address in the slot. */
  private readonly lengths: Uint8Array;
  private readonly tokens: Float64Array;
  private readonly stamps: Float64Array;
  private readonly now: () => number;

  constructor(limit: RateLimit, options: { slots?: number; now?: () => number } = {}) {
    this.rate = limit.rate;
    this.burst = Math.max(1, limit.burst);
    let slots = 1;
    while (slots < (options.slots ?? 65_536)) slots <<= 1;
    this.mask = slots - 1;
    this.keys = new Uint8Array(slots * KEY);
    this.lengths = new Uint8Array(slots);
    this.tokens = new Float64Array(slots);
    this.stamps = new Float64Array(slots);
    this.now = options.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.rate > 0;
  }

  /** Takes one token for `ip` (4 or 16 bytes); false when its bucket is empty. */
  take(ip: Buffer): boolean {
    if (this.rate <= 0) return true;
    const length = ip.length === 16 ? 8 : 4;
    let h = 0x811c9dc5;
    for (let i = 0; i < length; i++) h = Math.imul(h ^ ip[i], 0x01000193);
    const now = this.now();
    let victim = -1;
    let victimStamp = Infinity;
    for (let p = 0; p < PROBES; p++) {
      const slot = (h + p) & this.mask;
      const len = this.lengths[slot];
      if (len === length && this.sameKey(slot, ip, length)) return this.spend(slot, now);
      // A free slot, or a bucket that has refilled completely, holds nothing worth keeping.
      const stamp = len === 0 ? -Infinity : this.stamps[slot];
      if (stamp < victimStamp) {
        victim = slot;
        victimStamp = stamp;
      }
    }
    const slot = victim;
    this.lengths[slot] = length;
    for (let i = 0; i < length; i++) this.keys[slot * KEY + i] = ip[i];
    this.tokens[slot] = this.burst;
    this.stamps[slot] = now;
    return this.spend(slot, now);
  }

  private sameKey(slot: number, ip: Buffer, length: number): boolean {
    const o = slot * KEY;
    for (let i = 0; i < length; i++) if (this.keys[o + i] !== ip[i]) return false;
    return true;
  }

  private spend(slot: number, now: number): boolean {
    const elapsed = now - this.stamps[slot];
    let tokens = this.tokens[slot];
    if (elapsed > 0) {
      tokens = Math.min(this.burst, tokens + (elapsed * this.rate) / 1000);
      this.stamps[slot] = now;
    }
    if (tokens < 1) {
      this.tokens[slot] = tokens;
      return false;
    }
    this.tokens[slot] = tokens - 1;
    return true;
  }
}
