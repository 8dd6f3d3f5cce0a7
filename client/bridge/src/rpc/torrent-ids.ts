import type { SessionApi } from '@enjambre/engine';

const MAX_REMOVED = 10_000;

/**
 * What both APIs need beside the engine's state: Transmission's small integer ids (stable while
 * the daemon runs, as Transmission's are), a queue order (Transmission's queuePosition,
 * qBittorrent's priority), and the ids removed lately (`recently-active` answers them).
 * A torrent removed and added again (moved to another folder) keeps its id.
 */
export class TorrentIds {
  private nextId = 1;
  private readonly ids = new Map<string, number>();
  private readonly hashes = new Map<number, string>();
  private order: string[] = [];
  /** Positions of `order`, rebuilt on the first read after a change. */
  private positions: Map<string, number> | undefined;
  /** info-hash → when it was removed (ms); oldest first. */
  private readonly removed = new Map<string, number>();
  /** info-hash → when it was added or changed by a call (ms), for `recently-active`. */
  private readonly touched = new Map<string, number>();

  constructor(session: SessionApi) {
    for (const t of session.list()) this.onAdded(t.infoHash);
    session.on('added', (t) => this.onAdded(t.infoHash));
    session.on('removed', (hash) => this.onRemoved(hash));
  }

  idOf(infoHash: string): number {
    return this.ids.get(infoHash) ?? this.onAdded(infoHash);
  }

  hashOf(id: number): string | undefined {
    return this.hashes.get(id);
  }

  /** 0-based position in the queue. */
  position(infoHash: string): number {
    this.positions ??= new Map(this.order.map((h, i) => [h, i]));
    return this.positions.get(infoHash) ?? this.order.length;
  }

  /** Info-hashes in queue order. */
  queue(): readonly string[] {
    return this.order;
  }

  move(infoHashes: string[], where: 'top' | 'up' | 'down' | 'bottom'): void {
    const set = new Set(infoHashes);
    this.positions = undefined;
    if (where === 'top' || where === 'bottom') {
      const moved = this.order.filter((h) => set.has(h));
      const rest = this.order.filter((h) => !set.has(h));
      this.order = where === 'top' ? [...moved, ...rest] : [...rest, ...moved];
      return;
    }
    const o = this.order;
    if (where === 'up') {
      for (let i = 1; i < o.length; i++) {
        if (set.has(o[i]) && !set.has(o[i - 1])) [o[i - 1], o[i]] = [o[i], o[i - 1]];
      }
    } else {
      for (let i = o.length - 2; i >= 0; i--) {
        if (set.has(o[i]) && !set.has(o[i + 1])) [o[i + 1], o[i]] = [o[i], o[i + 1]];
      }
    }
  }

  /** A call changed this torrent: `recently-active` lists it. */
  touch(infoHash: string): void {
    this.touched.set(infoHash, Date.now());
  }

  touchedSince(ms: number, infoHash: string): boolean {
    return (this.touched.get(infoHash) ?? 0) >= ms;
  }

  removedSince(ms: number): number[] {
    const out: number[] = [];
    for (const [hash, at] of this.removed) {
      const id = this.ids.get(hash);
      if (at >= ms && id !== undefined) out.push(id);
    }
    return out;
  }

  private onAdded(infoHash: string): number {
    this.removed.delete(infoHash);
    if (this.position(infoHash) === this.order.length) {
      // kept up to date, not rebuilt: rebuilding it for each of 10,000 torrents added or
      // restored in a row was quadratic (3.4 s of a 10,000-torrent restart)
      this.positions!.set(infoHash, this.order.length);
      this.order.push(infoHash);
    }
    this.touch(infoHash);
    let id = this.ids.get(infoHash);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(infoHash, id);
      this.hashes.set(id, infoHash);
    }
    return id;
  }

  private onRemoved(infoHash: string): void {
    this.order = this.order.filter((h) => h !== infoHash);
    this.positions = undefined;
    this.touched.delete(infoHash);
    this.removed.set(infoHash, Date.now());
    if (this.removed.size > MAX_REMOVED) {
      const oldest = this.removed.keys().next().value as string;
      this.removed.delete(oldest);
      const id = this.ids.get(oldest);
      this.ids.delete(oldest);
      if (id !== undefined) this.hashes.delete(id);
    }
  }
}
