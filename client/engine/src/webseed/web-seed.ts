import type { WebSeedStatus } from '../api';
import type { TorrentContent } from '../torrent/content';
import { BLOCK_SIZE, type BlockRequest } from '../picker/picker';
import { RateMeter } from '../util/rate';
import type { RateLimiter } from '../util/token-bucket';
import { fetchRanges, SeedAgents, WebSeedError, type FetchOptions } from './http-range';
import { streamJob } from './stream-job';
import { BlockAssembler, planFetch, type PlacedBlock } from './plan';
import { fileUrl } from './urls';

/** Requests in flight per seed (libtorrent keeps one connection per web seed). */
export const SEED_JOBS = 2;
/** Bytes asked for in one job: whole pieces when they are larger. */
const JOB_BYTES = 1024 * 1024;
const BACKOFF_BASE_MS = 2_000;
const BACKOFF_CAP_MS = 300_000;
/** 404, 416 and the like: the seed lacks the data as the torrent describes it. */
const LONG_BACKOFF_MS = 1_800_000;
/** Pieces that failed their hash check with this seed's bytes in them before it is dropped. */
const HASH_STRIKES = 2;

/** What a seed fetches into: the live run's content, and where its blocks go. */
export interface SeedRun {
  content: TorrentContent;
  limiter: RateLimiter;
  signal: AbortSignal;
  /** A block arrived (the downloader copies it before returning). */
  deliver(seed: WebSeed, index: number, begin: number, block: Buffer): void;
  /** Whether the downloader has room for more pieces (hashing and disk keep up). */
  hasRoom(): boolean;
}

/**
 * One BEP 19 web seed: to the picker a peer that has every piece. It asks the picker for runs
 * of blocks (whole pieces where it can), fetches them with range requests, at most SEED_JOBS at
 * a time over keep-alive connections, and backs off on errors.
 */
export class WebSeed {
  state: WebSeedStatus['state'] = 'idle';
  readonly down = new RateMeter();
  lastError?: string;
  private retryAt = 0;
  private failures = 0;
  private hashStrikes = 0;
  private jobs = 0;
  private ignoresRange = false;
  private readonly agents = new SeedAgents(SEED_JOBS);
  private readonly scratch: BlockRequest[] = [];

  constructor(
    readonly url: string,
    private readonly userAgent: string,
  ) {}

  /** The picker's view: a web seed has the whole torrent. */
  hasPiece(): boolean {
    return true;
  }

  /** A peer delivered a block this seed was also asked for; its copy will be refused. */
  cancel(): void {}

  get dropped(): boolean {
    return this.state === 'failed';
  }

  status(): WebSeedStatus {
    return {
      url: this.url,
      state: this.state,
      downloaded: this.down.total,
      downloadRate: this.down.rate(),
      ...(this.lastError !== undefined && { error: this.lastError }),
      ...(this.state === 'backoff' && { retryAt: this.retryAt }),
    };
  }

  /** Starts jobs while there is room and something to fetch. */
  fill(run: SeedRun, now = Date.now()): void {
    if (this.dropped || run.signal.aborted) return;
    if (this.state === 'backoff') {
      if (now < this.retryAt) return;
      this.state = this.jobs > 0 ? 'downloading' : 'idle';
    }
    // a server that ignores Range gets one streaming job at a time (stream-job.ts)
    const limit = this.ignoresRange ? 1 : SEED_JOBS;
    while (this.jobs < limit && run.hasRoom() && !run.content.done) {
      let work: Promise<unknown>;
      if (this.ignoresRange) {
        const stream = this.stream(run);
        if (!stream) return;
        work = stream;
      } else {
        const reqs = this.pick(run);
        if (reqs.length === 0) return;
        work = this.job(run, reqs);
      }
      this.jobs++;
      this.state = 'downloading';
      // a job reports its own errors (back-off); anything else must not become an unhandled
      // rejection that ends the process
      void work
        .catch((err: Error) => this.failed(err))
        .finally(() => {
          this.jobs--;
          if (this.state === 'downloading' && this.jobs === 0) this.state = 'idle';
          this.fill(run);
        });
    }
  }

  /** A piece with this seed's bytes in it failed its hash check; `alone`: only its bytes. */
  blame(alone: boolean): void {
    this.hashStrikes += alone ? HASH_STRIKES : 1;
    if (this.hashStrikes >= HASH_STRIKES) {
      this.state = 'failed';
      this.lastError = 'sent data that failed the hash check';
    }
  }

  close(): void {
    this.agents.destroy();
  }

  /**
   * Blocks for one job: the picker's choice for a peer with every piece (rarest first, partial
   * pieces first), then the pieces after it while they are missing and free, so one range
   * request covers a run of pieces (libtorrent's web seeds also ask for contiguous blocks).
   */
  private pick(run: SeedRun): BlockRequest[] {
    const { picker, meta } = run.content;
    const bytes = Math.max(meta.pieceLength, JOB_BYTES);
    const max = Math.ceil(bytes / BLOCK_SIZE);
    const out = this.scratch;
    out.length = 0;
    let n = picker.pick(this, Math.min(max, picker.blocksIn(0)), out);
    if (n === 0) return [];
    let last = out[out.length - 1].index;
    while (n < max && last + 1 < meta.pieceCount) {
      const got = picker.claim(this, last + 1, max - n, out);
      if (got === 0) break;
      n += got;
      last++;
    }
    return out.slice();
  }

  private fetchOptions(run: SeedRun): FetchOptions {
    return {
      agents: this.agents,
      signal: run.signal,
      limiter: run.limiter,
      userAgent: this.userAgent,
      received: (n) => this.down.add(n),
    };
  }

  /** A streaming job (stream-job.ts), or undefined when there is nothing to claim. */
  private stream(run: SeedRun): Promise<void> | undefined {
    const { meta, picker } = run.content;
    const reading = streamJob({
      meta,
      picker,
      seed: this,
      fetch: this.fetchOptions(run),
      url: (f) => fileUrl(this.url, meta, f),
      deliver: (b, data) => {
        if (!run.signal.aborted) run.deliver(this, b.index, b.begin, data);
      },
    });
    return reading?.then(
      () => {
        this.failures = 0;
      },
      (err: Error) => {
        if (!run.signal.aborted) this.failed(err);
      },
    );
  }

  private async job(run: SeedRun, reqs: BlockRequest[]): Promise<void> {
    const { meta, picker } = run.content;
    const { blocks, files } = planFetch(meta, reqs);
    const delivered = new Set<PlacedBlock>();
    const asm = new BlockAssembler(blocks, (b, data) => {
      delivered.add(b);
      if (!run.signal.aborted) run.deliver(this, b.index, b.begin, data);
    });
    try {
      for (const f of files) {
        const base = meta.files[f.fileIndex].offset;
        if (f.pad) {
          for (const r of f.ranges) asm.zeros(base + r.start, r.length);
          continue;
        }
        const url = fileUrl(this.url, meta, f.fileIndex);
        const res = await fetchRanges(
          url,
          f.ranges,
          (at, chunk) => asm.write(base + at, chunk),
          this.fetchOptions(run),
        );
        if (res.ignoresRange) this.ignoresRange = true;
      }
      this.failures = 0;
    } catch (err) {
      if (!run.signal.aborted) this.failed(err as Error);
    } finally {
      // what did not come goes back to the picker for peers or the next job
      for (const b of blocks) if (!delivered.has(b)) picker.release(this, b.index, b.begin);
    }
  }

  private failed(err: Error): void {
    if (this.dropped) return;
    const e =
      err instanceof WebSeedError ? err : new WebSeedError(err.message || String(err), true);
    this.lastError = e.message;
    let wait: number;
    if (e.transient) {
      this.failures++;
      wait = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(20, this.failures - 1));
      if (e.retryAfterMs !== undefined) wait = Math.max(1_000, e.retryAfterMs);
    } else {
      wait = LONG_BACKOFF_MS;
    }
    this.retryAt = Date.now() + wait;
    this.state = 'backoff';
  }
}
