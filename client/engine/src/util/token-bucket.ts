/**
 * A token bucket for a global rate limit (bytes per second, 0 = unlimited), shared by every
 * connection of a session. Callers take what they need and wait `delayFor` when it is empty.
 */
export class TokenBucket {
  private tokens: number;
  private last = Date.now();

  constructor(private rate: number) {
    this.tokens = rate;
  }

  setRate(rate: number): void {
    this.rate = rate;
    this.tokens = Math.min(this.tokens, rate);
  }

  get unlimited(): boolean {
    return this.rate <= 0;
  }

  /** Takes `n` tokens (may go negative: the debt delays the next taker). */
  take(n: number): void {
    if (this.rate <= 0) return;
    this.refill();
    this.tokens -= n;
  }

  /** Milliseconds until the bucket is positive again (0 if it is). */
  delay(): number {
    if (this.rate <= 0) return 0;
    this.refill();
    return this.tokens > 0 ? 0 : Math.ceil((-this.tokens / this.rate) * 1000) + 1;
  }

  private refill(): void {
    const now = Date.now();
    // burst of at most a quarter second, so a limit is smooth but a block still fits
    this.tokens = Math.min(
      this.rate / 4 + 16384,
      this.tokens + ((now - this.last) / 1000) * this.rate,
    );
    this.last = now;
  }
}
