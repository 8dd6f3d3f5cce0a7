/**
 * Per-address packet limits for UDP servers (DHT, LSD): a token bucket per source IP, in a map
 * of bounded size. When the map is full the oldest half is forgotten, so a flood of spoofed
 * sources costs memory only up to the bound (and at worst lets a forgotten address start afresh).
 */
export interface AddressLimiterOptions {
  /** Packets per second each address may send on average. */
  rate: number;
  /** Packets an address may send at once. */
  burst: number;
  /** Addresses tracked at once. Default 10 000. */
  maxAddresses?: number;
}

interface Bucket {
  tokens: number;
  last: number;
}

export class AddressLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxAddresses: number;

  constructor(private readonly opts: AddressLimiterOptions) {
    this.maxAddresses = opts.maxAddresses ?? 10_000;
  }

  /** Whether a packet from `address` at `now` (ms) is within its limit; takes one token if so. */
  allow(address: string, now: number): boolean {
    let b = this.buckets.get(address);
    if (!b) {
      if (this.buckets.size >= this.maxAddresses) this.forgetOldest();
      b = { tokens: this.opts.burst, last: now };
      this.buckets.set(address, b);
    } else {
      b.tokens = Math.min(this.opts.burst, b.tokens + ((now - b.last) / 1000) * this.opts.rate);
      b.last = now;
      // re-insert so the map's order stays least recently seen first
      this.buckets.delete(address);
      this.buckets.set(address, b);
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  get size(): number {
    return this.buckets.size;
  }

  private forgetOldest(): void {
    let drop = Math.ceil(this.buckets.size / 2);
    for (const key of this.buckets.keys()) {
      if (drop-- <= 0) break;
      this.buckets.delete(key);
    }
  }
}
