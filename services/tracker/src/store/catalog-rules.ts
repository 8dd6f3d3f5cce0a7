import type { CatalogEntry } from './types';

/** The merge order of catalog entries and the ListTorrents page token (see STATE.md). */

const TOKEN_VERSION = 1;

/** Whether catalog entry `a` replaces `b` when they meet (see MemorySwarmStore.mergeCatalog). */
export function supersedes(a: CatalogEntry, b: CatalogEntry): boolean {
  if (a.owner !== b.owner) {
    if (a.publishedAt !== b.publishedAt) return a.publishedAt < b.publishedAt;
    return (a.owner ?? '') < (b.owner ?? '');
  }
  if (a.owner === undefined) {
    // Entries from before owners: the earliest publish wins, as it always did.
    if (a.publishedAt !== b.publishedAt) return a.publishedAt < b.publishedAt;
    return a.name < b.name;
  }
  const ua = a.updatedAt ?? a.publishedAt;
  const ub = b.updatedAt ?? b.publishedAt;
  if (ua !== ub) return ua > ub;
  if (!!a.withdrawn !== !!b.withdrawn) return !!a.withdrawn;
  if (a.name !== b.name) return a.name < b.name;
  if (a.totalSize !== b.totalSize) return a.totalSize < b.totalSize;
  return a.fileCount < b.fileCount;
}

export function pageToken(seq: number): string {
  const b = Buffer.alloc(9);
  b[0] = TOKEN_VERSION;
  b.writeBigUInt64BE(BigInt(seq), 1);
  return b.toString('base64url');
}

/**
 * Where a page token resumes: 0 for none. A legacy token (an info-hash) still works through
 * `seqOfHash` (the listed sequence number of that torrent, 0 if none).
 */
export function tokenSeq(token: string | undefined, seqOfHash: (hash: Buffer) => number): number {
  if (!token) return 0;
  const decoded = Buffer.from(token, 'base64url');
  if (decoded.length === 9 && decoded[0] === TOKEN_VERSION) {
    const seq = Number(decoded.readBigUInt64BE(1));
    if (Number.isSafeInteger(seq)) return seq;
  }
  if (decoded.length === 20) {
    const seq = seqOfHash(decoded);
    if (seq === 0) throw new RangeError('page_token refers to no torrent');
    return seq;
  }
  throw new RangeError('page_token is not a token of this tracker');
}
