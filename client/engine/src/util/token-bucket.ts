/** What a transfer takes its bytes from: one bucket, or a session's and a torrent's together. */
export interface RateLimiter {
  take(n: number): void;
  /** Milliseconds until the bytes may flow again (0: now). */
  delay(): number;
}

/**
 * A token bucket for a rate limit (bytes per second, 0 = unlimited): the session's, shared by
 * every connection, or one torrent's. Callers take what they need and wait `delay()` when empty.
 */
export class TokenBucket implements RateLimiter {
  private tokens: number;
  private last = Date.now();

  constructor(private rateLimit: number) {
    this.tokens = rateLimit;
  }

  setRate(rate: number): void {
    this.rateLimit = rate;
    this.tokens = Math.min(this.tokens, rate);
  }

  /** Bytes per second; 0 = unlimited. */
  get rate(): number {
    return this.rateLimit;
  }

  get unlimited(): boolean {
    return this.rateLimit <= 0;
  }

  /** Takes `n` tokens (may go negative: the debt delays the next taker). */
  take(n: number): void {
    if (this.rateLimit <= 0) return;
    this.refill();
    this.tokens -= n;
  }

  /** Milliseconds until the bucket is positive again (0 if it is). */
  delay(): number {
    if (this.rateLimit <= 0) return 0;
    this.refill();
    return this.tokens > 0 ? 0 : Math.ceil((-this.tokens / this.rateLimit) * 1000) + 1;
  }

  private refill(): void {
    const now = Date.now();
    // burst of at most a quarter second, so a limit is smooth but a block still fits
    this.tokens = Math.min(
      this.rateLimit / 4 + 16384,
      this.tokens + ((now - this.last) / 1000) * this.rateLimit,
    );
    this.last = now;
  }
}

/** Several limits at once (the session's and a torrent's): bytes count against each. */
export function bothLimits(a: RateLimiter, b: RateLimiter): RateLimiter {
  return {
    take(n) {
      a.take(n);
      b.take(n);
    },
    delay: () => Math.max(a.delay(), b.delay()),
  };
}
