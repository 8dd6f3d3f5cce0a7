/** A callback registered with a Ticker; `cancel()` stops it (idempotent). */
export interface Tick {
  cancel(): void;
}

/**
 * One interval timer shared by every subscriber. Thousands of torrents each holding their own
 * `setInterval` cost a timer wake-up apiece; here the session wakes once per period and calls
 * them in turn. The timer runs only while someone is subscribed, and never keeps the process up.
 */
export class Ticker {
  private readonly subscribers = new Set<() => void>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly periodMs: number) {}

  get size(): number {
    return this.subscribers.size;
  }

  add(fn: () => void): Tick {
    // A wrapper per call, so the same function added twice is two subscriptions.
    const entry = () => fn();
    this.subscribers.add(entry);
    if (!this.timer) {
      this.timer = setInterval(() => this.run(), this.periodMs);
      this.timer.unref();
    }
    return {
      cancel: () => {
        this.subscribers.delete(entry);
        if (this.subscribers.size === 0) this.stop();
      },
    };
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private run(): void {
    for (const fn of this.subscribers) {
      try {
        fn();
      } catch {
        // One subscriber's failure must not starve the others; each handles its own errors.
      }
    }
  }
}
