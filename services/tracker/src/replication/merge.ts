/**
 * Applies other replicas' changes to the local store. The store merges peers last-writer-wins on
 * lastSeen, but forgets a peer once it is removed; this keeps the removals (tombstones) for as
 * long as a peer could live, so a join older than a leave that arrives after it (from another
 * replica, or in a whole-state transfer) does not bring the peer back.
 */
import type { SwarmStore } from '../store/types';
import type { IncomingChange, PeerRecord } from './records';

const EMPTY = Buffer.alloc(0);

function peerKey(infoHash: Buffer, ip: Buffer, port: number, peerId: Buffer): string {
  return `${infoHash.toString('latin1')}${ip.toString('latin1')}:${port}:${peerId.toString('latin1')}`;
}

export class Tombstones {
  private readonly byKey = new Map<string, PeerRecord>();

  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
  ) {}

  get size(): number {
    return this.byKey.size;
  }

  /** Records a removal; keeps the newest per peer. */
  add(record: PeerRecord): void {
    const key = peerKey(record.infoHash, record.ip, record.port, record.peerId);
    const cur = this.byKey.get(key);
    if (cur !== undefined && cur.updatedAtMs >= record.updatedAtMs) return;
    this.byKey.delete(key);
    this.byKey.set(key, record);
    if (this.byKey.size > this.max) {
      const oldest = this.byKey.keys().next().value as string;
      this.byKey.delete(oldest);
    }
  }

  /** True if a removal at or after `lastSeen` is known for this peer. */
  covers(infoHash: Buffer, ip: Buffer, port: number, peerId: Buffer, lastSeen: number): boolean {
    const t = this.byKey.get(peerKey(infoHash, ip, port, peerId));
    return t !== undefined && t.updatedAtMs >= lastSeen;
  }

  /** Forgets removals older than a peer can live. */
  prune(now: number): void {
    for (const [key, t] of this.byKey) if (t.updatedAtMs < now - this.ttlMs) this.byKey.delete(key);
  }

  records(): Iterable<PeerRecord> {
    return this.byKey.values();
  }
}

/**
 * Merges incoming changes into the store. Returns how many were applied and how many the store
 * refused (full).
 */
export function applyIncoming(
  store: SwarmStore,
  tombstones: Tombstones,
  changes: IncomingChange[],
): { applied: number; refused: number } {
  let applied = 0;
  let refused = 0;
  for (const c of changes) {
    try {
      if (applyOne(store, tombstones, c)) applied++;
    } catch {
      // StoreFullError: the store is at its torrent cap; the rest of the batch still applies.
      refused++;
    }
  }
  return { applied, refused };
}

function applyOne(store: SwarmStore, tombstones: Tombstones, c: IncomingChange): boolean {
  {
    switch (c.kind) {
      case 'catalog':
        store.restore({
          infoHash: c.infoHash,
          completed: {},
          catalog: c.entry,
          peers4: EMPTY,
          peers6: EMPTY,
        });
        break;
      case 'peer':
      case 'published':
        if (tombstones.covers(c.infoHash, c.peer.ip, c.peer.port, c.peer.peerId, c.peer.lastSeen)) {
          return false;
        }
        store.apply(c);
        break;
      case 'removed':
        tombstones.add({
          infoHash: c.infoHash,
          peerId: c.peerId,
          ip: c.ip,
          port: c.port,
          left: 0,
          uploaded: 0,
          downloaded: 0,
          updatedAtMs: c.at,
          origin: EMPTY,
          removed: true,
        });
        store.apply(c);
        break;
      case 'completed':
        store.apply(c);
        break;
    }
    return true;
  }
}
