/**
 * What one link still has to send. Changes to the same key coalesce (only the newest state of a
 * peer, a catalog entry or a counter is worth sending), so a burst of announces from one peer
 * costs one record. Bounded: past `maxKeys` pending keys the link gives up on deltas and the
 * caller re-sends the whole state instead, which LWW makes equivalent.
 */
import type { ChangeBatch, CompletedRecord, PeerRecord, TorrentRecord } from './records';
import { emptyBatch } from './records';

export class Outbox {
  private readonly peers = new Map<string, PeerRecord>();
  private readonly torrents = new Map<string, TorrentRecord>();
  private readonly completed = new Map<string, CompletedRecord>();
  overflowed = false;

  constructor(private readonly maxKeys: number) {}

  get size(): number {
    return this.peers.size + this.torrents.size + this.completed.size;
  }

  /** Queues a batch's records; false (and `overflowed`) once the bound is passed. */
  push(b: ChangeBatch): boolean {
    if (this.overflowed) return false;
    for (const p of b.peers) {
      const key = `${p.infoHash.toString('latin1')}${p.ip.toString('latin1')}:${p.port}:${p.peerId.toString('latin1')}`;
      const cur = this.peers.get(key);
      if (cur !== undefined && cur.updatedAtMs > p.updatedAtMs) continue;
      this.peers.delete(key);
      this.peers.set(key, p);
    }
    for (const t of b.torrents) {
      const key = t.infoHash.toString('latin1');
      this.torrents.delete(key);
      this.torrents.set(key, t);
    }
    for (const c of b.completed) {
      const key = c.infoHash.toString('latin1') + c.origin.toString('latin1');
      const cur = this.completed.get(key);
      if (cur !== undefined && cur.count > c.count) continue;
      this.completed.delete(key);
      this.completed.set(key, c);
    }
    if (this.size > this.maxKeys) {
      this.clear();
      this.overflowed = true;
      return false;
    }
    return true;
  }

  /** Up to `max` records, oldest first (catalog entries before peers, as a Publish has them). */
  take(max: number): ChangeBatch | null {
    if (this.size === 0) return null;
    const b = emptyBatch(false);
    let room = max;
    room -= drain(this.torrents, b.torrents, room);
    room -= drain(this.peers, b.peers, room);
    drain(this.completed, b.completed, room);
    return b;
  }

  clear(): void {
    this.peers.clear();
    this.torrents.clear();
    this.completed.clear();
    this.overflowed = false;
  }
}

function drain<T>(from: Map<string, T>, to: T[], max: number): number {
  let n = 0;
  for (const [key, value] of from) {
    if (n >= max) break;
    to.push(value);
    from.delete(key);
    n++;
  }
  return n;
}
