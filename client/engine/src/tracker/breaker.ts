import type { AnnounceRequest, AnnounceResult, ScrapeResult, TrackerClient } from './client';

const FIRST_PAUSE_MS = 5_000;
const MAX_PAUSE_MS = 5 * 60_000;

/** Node's and gRPC's ways of saying the host did not answer at all. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;

export function isUnreachable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown } };
  if (typeof e?.code === 'string' && UNREACHABLE_CODES.has(e.code)) return true;
  if (typeof e?.cause?.code === 'string' && UNREACHABLE_CODES.has(e.cause.code)) return true;
  if (e?.code === GRPC_UNAVAILABLE || e?.code === GRPC_DEADLINE_EXCEEDED) return true;
  return typeof e?.message === 'string' && /timed out|timeout/i.test(e.message);
}

/**
 * One tracker URL as all of a session's torrents share it. When the host does not answer
 * (refused, unreachable, timed out), every torrent's announce to it fails at once with the same
 * error, without a socket, until a pause (5 s doubling to 5 min) has passed; then the next
 * announces try the network again. So 10,000 torrents behind one dead tracker cost one failed
 * connection per pause, not 10,000. A tracker that answers with an error ("unregistered
 * torrent") concerns one torrent and opens nothing.
 */
export class TrackerBreaker implements TrackerClient {
  private failures = 0;
  private openUntil = 0;
  private lastError?: string;
  readonly publish?: TrackerClient['publish'];

  constructor(private readonly inner: TrackerClient) {
    if (inner.publish) this.publish = (info, signal) => inner.publish!(info, signal);
  }

  announce(req: AnnounceRequest, signal: AbortSignal): Promise<AnnounceResult> {
    return this.guard(() => this.inner.announce(req, signal));
  }

  scrape(infoHash: Buffer, signal: AbortSignal): Promise<ScrapeResult> {
    if (!this.inner.scrape) return Promise.reject(new Error('this tracker cannot be scraped'));
    return this.guard(() => this.inner.scrape!(infoHash, signal));
  }

  close(): void {
    this.inner.close?.();
  }

  blocked(): { message: string; until: number } | undefined {
    return this.lastError !== undefined && Date.now() < this.openUntil
      ? { message: this.lastError, until: this.openUntil }
      : undefined;
  }

  /** Whether announces fail fast now (for status and tests). */
  get open(): boolean {
    return Date.now() < this.openUntil;
  }

  private async guard<T>(call: () => Promise<T>): Promise<T> {
    if (this.lastError !== undefined && Date.now() < this.openUntil) {
      throw new Error(this.lastError);
    }
    try {
      const result = await call();
      this.failures = 0;
      this.openUntil = 0;
      this.lastError = undefined;
      return result;
    } catch (err) {
      if (isUnreachable(err)) {
        this.failures++;
        const pause = Math.min(MAX_PAUSE_MS, FIRST_PAUSE_MS * 2 ** Math.min(this.failures - 1, 10));
        this.openUntil = Date.now() + pause;
        // not `instanceof Error`: errors from another realm (a worker, a test VM) fail that
        const message = (err as { message?: unknown })?.message;
        this.lastError = typeof message === 'string' ? message : String(err);
      }
      throw err;
    }
  }
}
