import type { WebSeedStatus } from '../api';
import type { PeerConnection } from '../peer/connection';
import type { TorrentContent } from '../torrent/content';
import type { Transfer } from '../torrent/live';
import { bothLimits, type RateLimiter } from '../util/token-bucket';
import { usableWebSeeds } from './urls';
import { WebSeed, type SeedRun } from './web-seed';

const USER_AGENT = 'enjambre/0.1';
/** A web seed reads on while no more than this waits to be hashed and written (a streaming
 * job could otherwise outrun the disk without bound); then it polls every ROOM_WAIT_MS. */
const MAX_VERIFYING_BYTES = 64 * 1024 * 1024;
const ROOM_WAIT_MS = 10;

export interface WebSeedsHooks {
  /** The download limits of the session and the torrent together. */
  limiter: RateLimiter;
  /** Bytes of a block that came from a web seed (the torrent's totals and rate). */
  received(bytes: number): void;
  /** Hands a block to the downloader (which verifies and writes whole pieces). */
  deliver(seed: WebSeed, index: number, begin: number, block: Buffer): void;
}

/**
 * A torrent's web seeds (BEP 19 `url-list`): the seeds and their state for the torrent's whole
 * life, and while it is live the run they fetch into. Each seed counts as one peer with every
 * piece in the picker, so rarest-first hands it the pieces peers lack first.
 */
export class WebSeeds {
  private readonly seeds: WebSeed[];
  private run?: SeedRun & { abort: AbortController; counted: Set<WebSeed> };

  constructor(
    urls: readonly string[],
    private readonly hooks: WebSeedsHooks,
  ) {
    this.seeds = usableWebSeeds(urls).map((u) => new WebSeed(u, USER_AGENT));
  }

  get size(): number {
    return this.seeds.length;
  }

  /** The torrent went live with `content`: seeds start fetching what it lacks. */
  attach(content: TorrentContent): void {
    if (this.seeds.length === 0) return;
    this.detach();
    const abort = new AbortController();
    const hooks = this.hooks;
    const counted = new Set<WebSeed>();
    this.run = {
      content,
      // reading waits for the rate limits, and while hashing and disk are behind (bounded memory:
      // pieces waiting to be verified are not piled up faster than the disk takes them)
      limiter: {
        take: (n) => hooks.limiter.take(n),
        delay: () =>
          content.downloader.verifyingBytes > MAX_VERIFYING_BYTES
            ? ROOM_WAIT_MS
            : hooks.limiter.delay(),
      },
      signal: abort.signal,
      abort,
      counted,
      deliver: (seed, index, begin, block) => {
        hooks.received(block.length);
        hooks.deliver(seed, index, begin, block);
      },
      hasRoom: () => content.downloader.hasRoom,
    };
    for (const s of this.seeds) {
      if (s.dropped) continue;
      content.picker.addSeed();
      counted.add(s);
    }
    this.fill();
  }

  /** The run ends (pause, error, removal): requests are aborted, their blocks released. */
  detach(): void {
    const run = this.run;
    if (!run) return;
    this.run = undefined;
    run.abort.abort();
    for (let n = run.counted.size; n > 0; n--) run.content.picker.removeSeed();
    for (const s of this.seeds) if (s.state !== 'failed' && s.state !== 'backoff') s.state = 'idle';
  }

  /** Once a second, and when pieces complete: seeds out of back-off and idle ones start. */
  fill(): void {
    const run = this.run;
    if (!run) return;
    const now = Date.now();
    for (const s of this.seeds) {
      if (s.dropped && run.counted.delete(s)) run.content.picker.removeSeed();
      s.fill(run, now);
    }
  }

  /**
   * A piece failed its hash check: the web seeds among its senders take a strike (dropped after
   * two, or at once when one sent all of it). Returns the peers to blame: none when a web seed
   * took part, as a server named by the torrent is the likelier culprit and is dropped soon
   * after, while an honest peer sharing its pieces would be banned with it.
   */
  blame(contributors: Iterable<unknown>): { peers: Set<PeerConnection>; total: number } {
    const seeds: WebSeed[] = [];
    const peers = new Set<PeerConnection>();
    let total = 0;
    for (const c of contributors) {
      total++;
      if (c instanceof WebSeed) seeds.push(c);
      else peers.add(c as PeerConnection);
    }
    if (seeds.length === 0) return { peers, total };
    for (const s of seeds) s.blame(total === 1);
    this.fill(); // a dropped seed leaves the picker's seed count
    return { peers: new Set(), total };
  }

  /** Whether a seed may still fetch: the torrent lacks wanted pieces and a seed is not dropped. */
  busy(): boolean {
    const run = this.run;
    return run !== undefined && !run.content.done && this.seeds.some((s) => !s.dropped);
  }

  status(): WebSeedStatus[] {
    return this.seeds.map((s) => s.status());
  }

  close(): void {
    this.detach();
    for (const s of this.seeds) s.close();
  }
}

/** A torrent's web seeds: its blocks count in the torrent's totals and take from its limits. */
export function webSeedsOf(
  urls: readonly string[],
  sessionLimit: RateLimiter,
  transfer: Transfer,
  deliver: (seed: WebSeed, index: number, begin: number, block: Buffer) => void,
): WebSeeds {
  return new WebSeeds(urls, {
    limiter: bothLimits(sessionLimit, transfer.downLimit),
    received: (n) => {
      transfer.downloaded += n;
      transfer.down.add(n);
    },
    deliver,
  });
}
