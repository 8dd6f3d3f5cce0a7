import type { PeerConnection } from '../peer/connection';
import { key } from '../peer/connection';
import type { TorrentStorage } from '../storage/storage';
import type { RateLimiter } from '../util/token-bucket';
import { pieceSize, type TorrentMeta } from '../meta';
import { MAX_REQUEST_QUEUE } from '../peer/extensions';

interface Pending {
  index: number;
  begin: number;
  length: number;
}

/** Most requests queued per peer (the `reqq` we advertise); beyond that they are rejected (BEP 6)
 * or dropped. A queued request is a few dozen bytes: blocks are read only as they go out. */
const MAX_QUEUED = MAX_REQUEST_QUEUE;
/** Pieces read ahead of the one being sent. */
const READ_AHEAD_PIECES = 2;

/**
 * Serves a peer's requests from storage: only verified pieces, only while unchoked, in order,
 * pausing while the socket's write queue is full or the upload rate limit is exhausted.
 */
export class Uploader {
  private readonly queues = new Map<PeerConnection, Map<number, Pending>>();
  private readonly busy = new Set<PeerConnection>();

  constructor(
    private readonly meta: () => TorrentMeta | undefined,
    private readonly storage: () => TorrentStorage | undefined,
    /** Whether the piece may be served to this peer (verified, and offered to it when super-seeding). */
    private readonly mayServe: (conn: PeerConnection, index: number) => boolean,
    private readonly bucket: RateLimiter,
    private readonly onError: (err: Error) => void,
    private readonly onSent: (bytes: number) => void,
  ) {}

  onRequest(conn: PeerConnection, index: number, begin: number, length: number): void {
    const meta = this.meta();
    if (
      !meta ||
      conn.amChoking ||
      !this.mayServe(conn, index) ||
      begin + length > pieceSize(meta, index)
    ) {
      conn.reject(index, begin, length);
      return;
    }
    let q = this.queues.get(conn);
    if (!q) this.queues.set(conn, (q = new Map()));
    if (q.size >= MAX_QUEUED) {
      conn.reject(index, begin, length);
      return;
    }
    q.set(key(index, begin), { index, begin, length });
    void this.pump(conn);
  }

  onCancel(conn: PeerConnection, index: number, begin: number): void {
    this.queues.get(conn)?.delete(key(index, begin));
  }

  /** We choked the peer: its queued requests are dropped (rejected with BEP 6). */
  onChoked(conn: PeerConnection): void {
    const q = this.queues.get(conn);
    if (!q) return;
    for (const r of q.values()) conn.reject(r.index, r.begin, r.length);
    q.clear();
  }

  forget(conn: PeerConnection): void {
    this.queues.delete(conn);
    this.busy.delete(conn);
  }

  private async pump(conn: PeerConnection): Promise<void> {
    if (this.busy.has(conn)) return;
    this.busy.add(conn);
    try {
      const q = this.queues.get(conn);
      while (q && q.size > 0 && !conn.closed) {
        if (conn.writeBlocked) {
          await new Promise<void>((resolve) => conn.whenWritable(resolve));
          continue;
        }
        const wait = this.bucket.delay();
        if (wait > 0) {
          await new Promise((r) => setTimeout(r, wait));
          continue;
        }
        const storage = this.storage();
        if (!storage) break;
        if (this.sendCached(conn, q, storage) > 0) continue;
        const [k, r] = q.entries().next().value as [number, Pending];
        q.delete(k);
        this.readAhead(q, r.index, storage);
        const block = await storage.readBlock(r.index, r.begin, r.length);
        if (conn.closed || conn.amChoking) continue;
        this.send(conn, r, block);
      }
    } catch (err) {
      this.onError(err as Error);
    } finally {
      this.busy.delete(conn);
    }
  }

  /**
   * Sends, in one corked batch (one writev), every queued block already in the read cache, up to
   * the socket's high-water mark or the rate limit. Returns how many were sent.
   */
  private sendCached(
    conn: PeerConnection,
    q: Map<number, Pending>,
    storage: TorrentStorage,
  ): number {
    if (!storage.cachedBlock) return 0;
    let n = 0;
    conn.socket.cork();
    try {
      for (const [k, r] of q) {
        if (conn.writeBlocked || conn.amChoking || this.bucket.delay() > 0) break;
        const block = storage.cachedBlock(r.index, r.begin, r.length);
        if (!block) break;
        q.delete(k);
        this.send(conn, r, block);
        n++;
      }
    } finally {
      conn.socket.uncork();
    }
    return n;
  }

  /** Starts reading the next pieces the peer asked for, so the disk works while we send. */
  private readAhead(q: Map<number, Pending>, current: number, storage: TorrentStorage): void {
    let started = 0;
    let last = current;
    for (const r of q.values()) {
      if (r.index === last || r.index === current) continue;
      last = r.index;
      if (!storage.cachedBlock?.(r.index, r.begin, r.length)) {
        storage.readBlock(r.index, r.begin, r.length).catch(() => undefined);
      }
      if (++started >= READ_AHEAD_PIECES) break;
    }
  }

  private send(conn: PeerConnection, r: Pending, block: Buffer): void {
    this.bucket.take(r.length);
    conn.sendBlock(r.index, r.begin, block);
    this.onSent(r.length);
  }
}
