import { randomInt } from 'node:crypto';
import type { TrackerStatus } from '../api';
import { AnnounceQueue, jitter, retryDelay, type QueuedAnnounce } from './announce-queue';
import type { AnnounceRequest, AnnounceResult, PublishInfo, TrackerClient } from './client';

export interface TrackerManagerOptions {
  infoHash: Buffer;
  peerId: Buffer;
  port: () => number;
  tiers: string[][];
  stats: () => { uploaded: number; downloaded: number; left: number };
  onPeers: (peers: Array<{ host: string; port: number }>) => void;
  clientFor: (url: string) => TrackerClient | undefined;
  onSwarm?: (seeders: number | undefined, leechers: number | undefined) => void;
  log?: (msg: string, obj: object) => void;
  /** The session's queue, shared by all its torrents; a manager of its own otherwise. */
  queue?: AnnounceQueue;
}

interface Entry {
  url: string;
  tier: number;
  status: TrackerStatus;
  client?: TrackerClient;
}

const MIN_INTERVAL_S = 30;
const ANNOUNCE_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 3_000;

/**
 * BEP 12 announce tiers: trackers are shuffled inside each tier and tried in order; the first
 * that answers is moved to the front of its tier. Tiers are announced independently (so every
 * tier's swarm is reached), each re-announcing on its tracker's interval (with jitter) or, after
 * failures, on a doubling back-off. Every announce waits its turn in the session's queue.
 */
export class TrackerManager {
  private readonly tiers: Entry[][];
  private readonly timers = new Map<number, QueuedAnnounce>();
  private readonly queue: AnnounceQueue;
  private readonly failures = new Map<number, number>();
  private readonly key = randomInt(0, 0x7fffffff);
  private readonly pendingEvent = new Map<number, AnnounceRequest['event']>();
  private readonly aborts = new Set<AbortController>();
  private running = false;
  private sentCompleted = false;
  /** status() as last copied; dropped whenever an entry's status changes. */
  private snapshot?: TrackerStatus[];

  constructor(private readonly opts: TrackerManagerOptions) {
    this.queue = opts.queue ?? new AnnounceQueue();
    this.tiers = opts.tiers.map((urls, tier) =>
      shuffle([...new Set(urls)]).map((url) => ({
        url,
        tier,
        client: opts.clientFor(url),
        status: { url, tier, status: 'idle' } as TrackerStatus,
      })),
    );
    for (const tier of this.tiers) {
      for (const e of tier) {
        if (!e.client) {
          e.status.status = 'error';
          e.status.message = 'unsupported tracker URL';
        }
      }
    }
  }

  /**
   * Each tracker's status. The copies are kept until an announce changes one (listings ask for
   * 10,000 torrents' trackers at a time; most did not change since the last).
   */
  status(): TrackerStatus[] {
    this.snapshot ??= this.tiers.flat().map((e) => Object.freeze({ ...e.status }));
    return this.snapshot.slice();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.tiers.forEach((_, t) => this.schedule(t, 0, 'started'));
  }

  /** The download finished: tell every tier (once). */
  completed(): void {
    if (!this.running || this.sentCompleted) return;
    this.sentCompleted = true;
    this.tiers.forEach((_, t) => this.schedule(t, 0, 'completed'));
  }

  /** Ask for more peers now (e.g. we lost them all). */
  reannounce(): void {
    if (this.running) this.tiers.forEach((_, t) => this.schedule(t, 0, 'none'));
  }

  /** Stops re-announcing and sends `stopped` to the working tracker of each tier (bounded wait). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    for (const a of this.aborts) a.abort();
    const sends = this.tiers.map(async (tier) => {
      const e = tier.find((x) => x.status.status === 'working');
      if (!e?.client) return;
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(), STOP_TIMEOUT_MS);
      try {
        await e.client.announce(this.request('stopped'), ac.signal);
      } catch {
        // best effort: the tracker will expire us anyway
      } finally {
        clearTimeout(timer);
      }
    });
    await Promise.all(sends);
  }

  /** Publish to every enjambre tracker (those whose client can publish). */
  async publish(info: Omit<PublishInfo, 'infoHash' | 'peerId' | 'port'>): Promise<void> {
    const all = this.tiers.flat().filter((e) => e.client?.publish);
    await Promise.all(
      all.map(async (e) => {
        const ac = new AbortController();
        const timer = setTimeout(() => ac.abort(), ANNOUNCE_TIMEOUT_MS);
        try {
          await e.client!.publish!(
            {
              ...info,
              infoHash: this.opts.infoHash,
              peerId: this.opts.peerId,
              port: this.opts.port(),
            },
            ac.signal,
          );
        } catch (err) {
          this.opts.log?.('publish failed', { url: e.url, err: (err as Error).message });
        } finally {
          clearTimeout(timer);
        }
      }),
    );
  }

  close(): void {
    for (const e of this.tiers.flat()) e.client?.close?.();
  }

  private request(event: AnnounceRequest['event']): AnnounceRequest {
    const s = this.opts.stats();
    return {
      infoHash: this.opts.infoHash,
      peerId: this.opts.peerId,
      port: this.opts.port(),
      uploaded: s.uploaded,
      downloaded: s.downloaded,
      left: s.left,
      event,
      numwant: 50,
      key: this.key,
    };
  }

  private async announceTier(t: number, event: AnnounceRequest['event']): Promise<void> {
    const tier = this.tiers[t];
    this.timers.get(t)?.cancel();
    this.timers.delete(t);
    let blockedUntil = 0;
    for (let i = 0; i < tier.length; i++) {
      if (!this.running) return;
      const e = tier[i];
      if (!e.client) continue;
      this.snapshot = undefined;
      const blocked = e.client.blocked?.();
      if (blocked) {
        // its host is down for every torrent: no request, signal or timer, and no log line
        // each (10,000 torrents behind one dead tracker come here every back-off)
        e.status.status = 'error';
        e.status.lastAnnounce = Date.now();
        e.status.message = blocked.message;
        blockedUntil = Math.max(blockedUntil, blocked.until);
        continue;
      }
      const ac = new AbortController();
      this.aborts.add(ac);
      const timer = setTimeout(() => ac.abort(), ANNOUNCE_TIMEOUT_MS);
      e.status.status = 'announcing';
      try {
        const res: AnnounceResult = await e.client.announce(this.request(event), ac.signal);
        this.snapshot = undefined;
        const now = Date.now();
        const interval = Math.max(MIN_INTERVAL_S, Math.min(res.interval || 1800, 3600));
        Object.assign(e.status, {
          status: 'working',
          lastAnnounce: now,
          nextAnnounce: now + interval * 1000,
          seeders: res.seeders,
          leechers: res.leechers,
          peers: res.peers.length,
          message: undefined,
        });
        // promote the working tracker to the front of its tier (BEP 12)
        tier.splice(i, 1);
        tier.unshift(e);
        this.failures.set(t, 0);
        this.opts.onSwarm?.(res.seeders, res.leechers);
        if (res.peers.length > 0) this.opts.onPeers(res.peers);
        this.schedule(t, jitter(interval * 1000));
        return;
      } catch (err) {
        this.snapshot = undefined;
        Object.assign(e.status, {
          status: 'error',
          lastAnnounce: Date.now(),
          message: ac.signal.aborted && this.running ? 'timed out' : (err as Error).message,
        });
        this.opts.log?.('announce failed', { url: e.url, err: e.status.message });
      } finally {
        clearTimeout(timer);
        this.aborts.delete(ac);
      }
    }
    const n = (this.failures.get(t) ?? 0) + 1;
    this.failures.set(t, n);
    // not before a dead host is tried again: retrying sooner would fail the same way
    const retry = Math.max(jitter(retryDelay(n), 0.2), blockedUntil - Date.now() + jitter(1000));
    for (const e of tier) if (e.client) e.status.nextAnnounce = Date.now() + retry;
    this.snapshot = undefined;
    this.schedule(
      t,
      retry,
      event === 'completed' ? 'completed' : event === 'started' ? 'started' : 'none',
    );
  }

  /** The tier's next announce; replaces one already waiting (a `completed` is never lost). */
  private schedule(t: number, ms: number, event: AnnounceRequest['event'] = 'none'): void {
    if (!this.running) return;
    const waiting = this.timers.get(t);
    const ev = this.pendingEvent.get(t);
    if (waiting && ev && ev !== 'none' && event === 'none') event = ev;
    waiting?.cancel();
    this.pendingEvent.set(t, event);
    this.timers.set(
      t,
      this.queue.schedule(() => this.announceTier(t, event), ms),
    );
  }
}

function shuffle<T>(a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = randomInt(0, i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}
