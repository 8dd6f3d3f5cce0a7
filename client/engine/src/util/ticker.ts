/** A callback registered with a Ticker. */
export interface Tick {
  /** Stops it for good (idempotent). */
  cancel(): void;
  /** Calls it again each period after it said it was idle (no-op while awake or cancelled). */
  wake(): void;
}

interface Entry {
  fn: () => boolean | void;
  asleep: boolean;
  cancelled: boolean;
}

/**
 * One interval timer shared by every subscriber. Thousands of torrents each holding their own
 * `setInterval` cost a timer wake-up apiece; here the session wakes once per period and calls
 * them in turn. A subscriber that returns `true` is idle and is not called again until its
 * `wake()`, so 10,000 torrents without peers cost nothing per period (not even a call each).
 * The timer runs only while someone is awake, and never keeps the process up.
 */
export class Ticker {
  private readonly awake = new Set<Entry>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly periodMs: number) {}

  /** Subscribers called each period (the sleeping ones are not counted). */
  get size(): number {
    return this.awake.size;
  }

  add(fn: () => boolean | void): Tick {
    // An entry per call, so the same function added twice is two subscriptions.
    const entry: Entry = { fn, asleep: false, cancelled: false };
    this.enter(entry);
    return {
      cancel: () => {
        entry.cancelled = true;
        this.leave(entry);
      },
      wake: () => {
        if (!entry.cancelled && entry.asleep) {
          entry.asleep = false;
          this.enter(entry);
        }
      },
    };
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private enter(entry: Entry): void {
    this.awake.add(entry);
    if (!this.timer) {
      this.timer = setInterval(() => this.run(), this.periodMs);
      this.timer.unref();
    }
  }

  private leave(entry: Entry): void {
    this.awake.delete(entry);
    if (this.awake.size === 0) this.stop();
  }

  private run(): void {
    for (const entry of this.awake) {
      let idle: boolean | void = false;
      try {
        idle = entry.fn();
      } catch {
        // One subscriber's failure must not starve the others; each handles its own errors.
      }
      if (idle === true && !entry.cancelled) {
        entry.asleep = true;
        this.leave(entry);
      }
    }
  }
}
