import { CatalogIndex, type IndexPage } from './catalog-index';
import { supersedes } from './catalog-rules';
import type { CatalogEntry } from './types';

interface Listing {
  entry: CatalogEntry;
  /** The entry's place in the catalog index; 0 while not listed (withdrawn). */
  seq: number;
}

/**
 * The catalog entries of the swarms that have one (few of all swarms), by swarm id, and the
 * index ListTorrents pages over. Swarm ids are the store's (swarm-index.ts); the index keys
 * entries by info-hash as a latin1 string.
 */
export class CatalogBook {
  private readonly listings = new Map<number, Listing>();
  private readonly index = new CatalogIndex();

  /** Listed (not withdrawn) entries. */
  get size(): number {
    return this.index.size;
  }

  get(id: number): CatalogEntry | null {
    return this.listings.get(id)?.entry ?? null;
  }

  seqOf(id: number): number {
    return this.listings.get(id)?.seq ?? 0;
  }

  page(after: number, pageSize: number, query: string, maxWork: number): IndexPage {
    return this.index.page(after, pageSize, query, maxWork);
  }

  /** Sets (or clears) a swarm's entry and keeps the index in step. */
  set(id: number, hash: Buffer, entry: CatalogEntry | null): void {
    const cur = this.listings.get(id);
    if (entry === null) {
      if (cur !== undefined && cur.seq !== 0) this.index.remove(cur.seq);
      this.listings.delete(id);
      return;
    }
    if (cur === undefined) {
      const seq = entry.withdrawn ? 0 : this.index.add(hash.toString('latin1', 0, 20), entry.name);
      this.listings.set(id, { entry, seq });
      return;
    }
    const previous = cur.entry;
    cur.entry = entry;
    if (entry.withdrawn === true) {
      if (cur.seq !== 0) this.index.remove(cur.seq);
      cur.seq = 0;
    } else if (cur.seq === 0) {
      cur.seq = this.index.add(hash.toString('latin1', 0, 20), entry.name);
    } else if (previous.name !== entry.name) {
      this.index.rename(cur.seq, entry.name);
    }
  }

  /**
   * A remote or restored entry: of one owner the later change wins; of different owners the
   * earliest publish (ties: the smaller owner), so every replica converges on the same entry
   * whatever the order (the merge is a total order plus maxima).
   */
  merge(id: number, hash: Buffer, entry: CatalogEntry, now: number): void {
    const cur = this.get(id);
    const seededAt = Math.max(cur?.seededAt ?? 0, entry.seededAt ?? now);
    if (cur === null || supersedes(entry, cur)) {
      const publishedAt =
        cur !== null && cur.owner === entry.owner
          ? Math.min(cur.publishedAt, entry.publishedAt)
          : entry.publishedAt;
      this.set(id, hash, { ...entry, publishedAt, seededAt });
      return;
    }
    cur.seededAt = seededAt;
    if (cur.owner === entry.owner) cur.publishedAt = Math.min(cur.publishedAt, entry.publishedAt);
  }

  /** Drops an entry with no seeder for `ttlMs` (and a withdrawal once it is that old); a
   * seeded one is stamped `seededAt`. */
  expire(id: number, hash: Buffer, seeded: boolean, now: number, ttlMs: number): void {
    const entry = this.get(id);
    if (entry === null) return;
    if (!entry.withdrawn && seeded) {
      entry.seededAt = now;
      return;
    }
    const since = entry.withdrawn ? (entry.updatedAt ?? 0) : (entry.seededAt ?? now);
    if (now - since > ttlMs) this.set(id, hash, null);
  }
}
