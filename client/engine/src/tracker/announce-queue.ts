import { randomInt } from 'node:crypto';

/** A job waiting in an AnnounceQueue; `cancel()` drops it if it has not started (idempotent). */
export interface QueuedAnnounce {
  cancel(): void;
}

interface Entry {
  due: number;
  seq: number;
  job: () => Promise<void>;
  cancelled: boolean;
}

export interface AnnounceQueueOptions {
  /** Jobs running at once at most; the rest wait their turn in order of due time. */
  maxInFlight?: number;
}

export const DEFAULT_MAX_IN_FLIGHT = 64;

/**
 * Every tracker announce of a session goes through one queue: one timer for the earliest due
 * job (not one per torrent and tier), and at most `maxInFlight` announces under way, so that
 * 10,000 torrents starting together or retrying a dead tracker neither open 10,000 sockets at
 * once nor wake the process 10,000 times.
 */
export class AnnounceQueue {
  private readonly heap: Entry[] = [];
  private readonly maxInFlight: number;
  private inFlight = 0;
  private seq = 0;
  private timer?: NodeJS.Timeout;
  private timerDue = Infinity;
  private closed = false;

  constructor(opts: AnnounceQueueOptions = {}) {
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT);
  }

  /** Jobs waiting (cancelled ones may be counted until they reach the front). */
  get pending(): number {
    return this.heap.length;
  }

  get running(): number {
    return this.inFlight;
  }

  /** Runs `job` after `delayMs` (or later, when a slot frees up). */
  schedule(job: () => Promise<void>, delayMs: number): QueuedAnnounce {
    const entry: Entry = {
      due: Date.now() + Math.max(0, delayMs),
      seq: this.seq++,
      job,
      cancelled: this.closed,
    };
    if (!this.closed) {
      push(this.heap, entry);
      this.arm();
    }
    return {
      cancel: () => {
        entry.cancelled = true;
      },
    };
  }

  /** Drops every waiting job; running ones finish on their own. */
  close(): void {
    this.closed = true;
    for (const e of this.heap) e.cancelled = true;
    this.heap.length = 0;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private pump(): void {
    const now = Date.now();
    while (this.heap.length > 0 && this.inFlight < this.maxInFlight) {
      const top = this.heap[0];
      if (top.cancelled) {
        pop(this.heap);
        continue;
      }
      if (top.due > now) break;
      pop(this.heap);
      this.inFlight++;
      let done: Promise<void>;
      try {
        done = top.job();
      } catch (err) {
        done = Promise.reject(err);
      }
      done
        .catch(() => undefined) // a job reports its own failures
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
    this.arm();
  }

  /** One timer, set for the earliest job that could run now; none while every slot is busy. */
  private arm(): void {
    while (this.heap.length > 0 && this.heap[0].cancelled) pop(this.heap);
    if (this.closed || this.heap.length === 0 || this.inFlight >= this.maxInFlight) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.timerDue = Infinity;
      return;
    }
    const due = this.heap[0].due;
    if (this.timer && this.timerDue <= due) return;
    clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerDue = Infinity;
        this.pump();
      },
      Math.max(0, due - Date.now()),
    );
    this.timer.unref();
  }
}

/** `ms` moved by up to ±`fraction` of itself, so torrents added together drift apart. */
export function jitter(ms: number, fraction = 0.1): number {
  const span = Math.floor(ms * fraction);
  return span <= 0 ? ms : ms - span + randomInt(0, 2 * span + 1);
}

const RETRY_BASE_MS = 15_000;
const RETRY_MAX_MS = 30 * 60_000;

/** After the n-th failure in a row (n >= 1): 15 s, 30 s, 1 min, ... doubling up to 30 min. */
export function retryDelay(failures: number): number {
  const n = Math.max(1, Math.min(failures, 20));
  return Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (n - 1));
}

function less(a: Entry, b: Entry): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

function push(h: Entry[], e: Entry): void {
  h.push(e);
  let i = h.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!less(h[i], h[p])) break;
    [h[i], h[p]] = [h[p], h[i]];
    i = p;
  }
}

function pop(h: Entry[]): Entry | undefined {
  const top = h[0];
  const last = h.pop();
  if (h.length > 0 && last) {
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && less(h[l], h[m])) m = l;
      if (r < h.length && less(h[r], h[m])) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
  return top;
}
