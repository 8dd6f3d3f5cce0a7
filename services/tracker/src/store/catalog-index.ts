/**
 * The catalog's order and word index, so ListTorrents costs O(log n + page) instead of a scan.
 *
 * Every listed entry gets a sequence number when it enters the catalog (increasing, never
 * reused). The order is a sorted array of sequence numbers; each word of a name has its own
 * sorted posting list, and the words themselves a sorted vocabulary (for the prefix of the word
 * being typed). Removal is lazy: a removed number stays in the arrays until a list is
 * more than half dead, then that list is compacted (amortised O(1) per removal). A page token
 * is the last number handed out, so paging resumes by binary search and neither an insertion
 * nor a removal between two pages makes an entry appear twice or be skipped.
 */

/** Words indexed per name at most, and their length at most (characters). */
const MAX_WORDS = 32;
const MAX_WORD = 64;
/** Words a prefix may stand for before a search walks the whole order instead. */
const MAX_PREFIX_WORDS = 32;

/**
 * Whether `names` (an entry's words) hold every word of `query` (its words): the last query
 * word may be the start of a word (a search box is read as the user types).
 */
export function matches(names: readonly string[], query: readonly string[]): boolean {
  const last = query.length - 1;
  for (let i = 0; i < last; i++) if (!names.includes(query[i])) return false;
  return last < 0 || names.some((w) => w.startsWith(query[last]));
}

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

/** Index of the first element not less than `word` in the sorted `vocab`. */
function firstAtLeast(vocab: string[], word: string): number {
  let lo = 0;
  let hi = vocab.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (vocab[mid] < word) lo = mid + 1;
    else hi = mid;
  }
  return lo;
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
  private readonly vocab: string[] = [];

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
   * Up to `pageSize` keys after sequence number `after`, in order, whose names match `query`
   * (see `matches`; all entries for an empty query), visiting at most `maxWork` index slots: a
   * page may come back short, with `next` set, when the work cap was reached first.
   */
  page(after: number, pageSize: number, query: string, maxWork: number): IndexPage {
    const want = words(query);
    const lists = this.candidates(want);
    const keys: string[] = [];
    // One cursor per candidate list, merged in sequence order (one list but for a prefix).
    const heads = lists.map((l) => firstAbove(l.seqs, after));
    let last = after;
    for (let work = 0; keys.length < pageSize && work < maxWork; work++) {
      let pick = -1;
      for (let j = 0; j < lists.length; j++) {
        if (heads[j] < lists[j].seqs.length) {
          if (pick < 0 || lists[j].seqs[heads[j]] < lists[pick].seqs[heads[pick]]) pick = j;
        }
      }
      if (pick < 0) return { keys, next: 0 };
      const seq = lists[pick].seqs[heads[pick]];
      for (let j = 0; j < lists.length; j++) if (lists[j].seqs[heads[j]] === seq) heads[j]++;
      last = seq;
      const item = this.items.get(seq);
      // Lists may still hold entries removed or renamed away from their word.
      if (item !== undefined && matches(item.words, want)) keys.push(item.key);
    }
    const more = heads.some((h, j) => h < lists[j].seqs.length);
    return { keys, next: more ? last : 0 };
  }

  /** The lists whose union holds every match: the rarest exact word, the prefix's words, or
   * the whole order. */
  private candidates(want: string[]): SeqList[] {
    if (want.length === 0) return [this.order];
    let best: SeqList | null = null;
    for (const word of want.slice(0, -1)) {
      const p = this.postings.get(word);
      if (p === undefined) return [];
      if (best === null || p.seqs.length - p.dead < best.seqs.length - best.dead) best = p;
    }
    if (best !== null) return [best];
    const prefix = want[want.length - 1];
    const lists: SeqList[] = [];
    for (let i = firstAtLeast(this.vocab, prefix); i < this.vocab.length; i++) {
      if (!this.vocab[i].startsWith(prefix)) break;
      if (lists.length === MAX_PREFIX_WORDS) return [this.order];
      lists.push(this.postings.get(this.vocab[i]) as SeqList);
    }
    return lists;
  }

  private posting(word: string): SeqList {
    let p = this.postings.get(word);
    if (p === undefined) {
      p = new SeqList();
      this.postings.set(word, p);
      this.vocab.splice(firstAtLeast(this.vocab, word), 0, word);
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
    if (word !== undefined && live.length === 0) {
      this.postings.delete(word);
      this.vocab.splice(firstAtLeast(this.vocab, word), 1);
    }
  }
}
