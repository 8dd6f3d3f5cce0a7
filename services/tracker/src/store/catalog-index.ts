/**
 * The catalog's order and word index, so ListTorrents costs O(log n + page) instead of a scan.
 *
 * Every listed entry gets a sequence number when it enters the catalog (increasing, never
 * reused). The order is a sorted array of sequence numbers; each word of a name has its own
 * sorted posting list. Removal is lazy: a removed number stays in the arrays until a list is
 * more than half dead, then that list is compacted (amortised O(1) per removal). A page token
 * is the last number handed out, so paging resumes by binary search and neither an insertion
 * nor a removal between two pages makes an entry appear twice or be skipped.
 */

/** Words indexed per name at most, and their length at most (characters). */
const MAX_WORDS = 32;
const MAX_WORD = 64;

/** Lower-case words of a name: runs of letters and digits (any script). */
export function words(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) {
    out.add(m[0].slice(0, MAX_WORD));
    if (out.size >= MAX_WORDS) break;
  }
  return [...out];
}

/** A sorted list of sequence numbers with lazy removal. */
class SeqList {
  seqs: number[] = [];
  dead = 0;

  add(seq: number): void {
    const n = this.seqs.length;
    if (n === 0 || this.seqs[n - 1] < seq) {
      this.seqs.push(seq);
      return;
    }
    // A renamed entry can come back to a word whose list still holds it.
    const at = firstAbove(this.seqs, seq - 1);
    if (this.seqs[at] !== seq) this.seqs.splice(at, 0, seq);
  }
}

/** Index of the first element greater than `seq` (binary search). */
function firstAbove(seqs: number[], seq: number): number {
  let lo = 0;
  let hi = seqs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (seqs[mid] <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface Item {
  key: string;
  words: string[];
}

export interface IndexPage {
  keys: string[];
  /** Sequence number to resume after; 0: nothing further. */
  next: number;
}

export class CatalogIndex {
  private nextSeq = 1;
  private readonly items = new Map<number, Item>();
  private readonly order = new SeqList();
  private readonly postings = new Map<string, SeqList>();

  get size(): number {
    return this.items.size;
  }

  /** Adds an entry named `name` under `key`; returns its sequence number. */
  add(key: string, name: string): number {
    const seq = this.nextSeq++;
    const w = words(name);
    this.items.set(seq, { key, words: w });
    this.order.add(seq);
    for (const word of w) this.posting(word).add(seq);
    return seq;
  }

  /** The entry keeps its place in the order; only its words change. */
  rename(seq: number, name: string): void {
    const item = this.items.get(seq);
    if (item === undefined) return;
    const next = words(name);
    for (const word of item.words)
      if (!next.includes(word)) this.drop(this.postings.get(word), word);
    for (const word of next) if (!item.words.includes(word)) this.posting(word).add(seq);
    item.words = next;
  }

  remove(seq: number): void {
    const item = this.items.get(seq);
    if (item === undefined) return;
    this.items.delete(seq);
    this.drop(this.order);
    for (const word of item.words) this.drop(this.postings.get(word), word);
  }

  /**
   * Up to `pageSize` keys after sequence number `after`, in order, whose names hold every word
   * of `query` (all entries for an empty query), visiting at most `maxWork` index slots: a page
   * may come back short, with `next` set, when the work cap was reached first.
   */
  page(after: number, pageSize: number, query: string, maxWork: number): IndexPage {
    const want = words(query);
    let list = this.order;
    if (want.length > 0) {
      // Walk the rarest word's list and check the others on each candidate.
      for (const word of want) {
        const p = this.postings.get(word);
        if (p === undefined) return { keys: [], next: 0 };
        if (list === this.order || p.seqs.length - p.dead < list.seqs.length - list.dead) list = p;
      }
    }
    const seqs = list.seqs;
    const keys: string[] = [];
    let i = firstAbove(seqs, after);
    let work = 0;
    for (; i < seqs.length && keys.length < pageSize && work < maxWork; i++, work++) {
      const item = this.items.get(seqs[i]);
      if (item === undefined) continue;
      // A posting list may still hold entries renamed away from its word.
      if (list !== this.order && !want.every((w) => item.words.includes(w))) continue;
      keys.push(item.key);
    }
    return { keys, next: i < seqs.length ? seqs[i - 1] : 0 };
  }

  private posting(word: string): SeqList {
    let p = this.postings.get(word);
    if (p === undefined) {
      p = new SeqList();
      this.postings.set(word, p);
    }
    return p;
  }

  /** Counts a dead number in `list`; compacts it when more than half is dead. */
  private drop(list: SeqList | undefined, word?: string): void {
    if (list === undefined) return;
    list.dead++;
    if (list.dead * 2 <= list.seqs.length) return;
    const live =
      word === undefined
        ? list.seqs.filter((s) => this.items.has(s))
        : list.seqs.filter((s) => this.items.get(s)?.words.includes(word) === true);
    list.seqs = live;
    list.dead = 0;
    if (word !== undefined && live.length === 0) this.postings.delete(word);
  }
}
