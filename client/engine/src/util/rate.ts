/**
 * Bytes per second over a sliding window of one-second slots (five seconds), cheap to add to on
 * every block and to read once a second.
 */
export class RateMeter {
  private readonly slots = new Float64Array(5);
  private slotTime = 0;
  private slot = 0;
  total = 0;

  add(bytes: number, now = Date.now()): void {
    this.advance(now);
    this.slots[this.slot] += bytes;
    this.total += bytes;
  }

  rate(now = Date.now()): number {
    if (this.total === 0) return 0; // nothing ever moved (most of 10,000 idle torrents)
    this.advance(now);
    let sum = 0;
    for (const v of this.slots) sum += v;
    // the current slot is partial: count it as the fraction of a second it covers
    const span = this.slots.length - 1 + Math.max(0.2, (now % 1000) / 1000);
    return sum / span;
  }

  private advance(now: number): void {
    const t = Math.floor(now / 1000);
    if (t === this.slotTime) return;
    const steps = Math.min(this.slots.length, t - this.slotTime);
    for (let i = 0; i < steps; i++) {
      this.slot = (this.slot + 1) % this.slots.length;
      this.slots[this.slot] = 0;
    }
    this.slotTime = t;
  }
}
