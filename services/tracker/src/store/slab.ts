/**
 * Memory for packed peer records: blocks carved out of pages, in size classes, instead of one
 * Buffer per peer table. A Buffer costs ~100 bytes of object plus allocator slack, which would
 * dominate small swarms (most swarms are small); here a table only holds a handle
 * (page · PAGE + offset) and wastes at most its class rounding.
 *
 * The classes (classSize) step by 32 bytes up to 512 and by quarters of a power of two beyond:
 * small swarms, most of them, waste nothing, and a big block is at most a fifth slack.
 *
 * Each page holds blocks of one class only (64 KiB pages for small classes, up to 1 MiB for
 * bigger ones; a block larger than a page is a page of its own), with its own free offsets.
 * Swarms tend to grow in step (every torrent of a busy tracker gains peers at once), so every
 * block of a class is often freed within a short time; with classes mixed in shared pages a few
 * survivors pinned every page and the slab held 2.6 times its live bytes (1 M peers added in
 * steps). A page whose last block is freed is dropped and its number reused.
 *
 * A dropped page's memory is kept (up to SPARE_PAGES of each page size) for the next new page
 * rather than left to the GC: freed late, after many newer pages, chunks became holes in the C
 * heap that the process never gave back. Nothing outside the slab holds a view of a page.
 */
export const PAGE = 1 << 20;
const SPARE_PAGES = 16;
const SMALL_PAGE = 64 << 10;
const MAX_PAGES = 1 << 16;
/** Every block size and offset is a multiple of this: a handle divided by it fits an Int32 up
 * to 64 GiB (peer-table.ts keeps handles that way). */
export const UNIT = 32;
/** Up to here the classes step by UNIT; a table of that many bytes is 16 IPv4 peers. */
const FINE = 512;

/**
 * The block size for `bytes`: up to 512 the next multiple of 32 (a small table, one 32-byte
 * IPv4 record or more, grows one record at a time, copying at most 512 bytes, wasting nothing),
 * beyond in quarter steps between powers of two (2^k · 1.25, 1.5, 1.75, 2: at most a fifth
 * slack, each growth copies a quarter more).
 */
export function classSize(bytes: number): number {
  if (bytes <= FINE) return Math.max(UNIT, Math.ceil(bytes / UNIT) * UNIT);
  const step = 2 ** (31 - Math.clz32(bytes - 1) - 2);
  return Math.ceil(bytes / step) * step;
}

/** Index of a class size (never 0): 1..16 for the fine classes, then 4 per octave. */
export function classOf(size: number): number {
  if (size <= FINE) return size / UNIT;
  const k = 31 - Math.clz32(size - 1);
  return 16 + (k - 9) * 4 + (size / 2 ** (k - 2) - 4);
}

/** The size of class index `c` (the inverse of classOf). */
export function classBytes(c: number): number {
  if (c <= FINE / UNIT) return c * UNIT;
  const k = 9 + Math.floor((c - 17) / 4);
  return (4 + ((c - 17) % 4) + 1) * 2 ** (k - 2);
}

/** Bytes of a page for blocks of `size`: room for 16 at least, 64 KiB .. 1 MiB. */
function pageBytes(size: number): number {
  return size > PAGE ? size : Math.min(PAGE, Math.max(SMALL_PAGE, size * 16));
}

export class Slab {
  /** Pages by number; null while the number is free. */
  private readonly pages: Array<Buffer | null> = [];
  /** Live (allocated, not released) bytes per page. */
  private readonly live: number[] = [];
  /** Class of each page's blocks. */
  private readonly pageClass: number[] = [];
  /** Offsets below this were handed out at least once (the rest of the page is untouched). */
  private readonly bump: number[] = [];
  /** Released offsets per page. */
  private readonly freed: number[][] = [];
  /** Per class, the pages that have room (freed blocks or an untouched end). */
  private readonly roomy: Array<Set<number>> = [];
  private readonly freeNumbers: number[] = [];
  private readonly spare = new Map<number, Buffer[]>();
  /** Bytes handed out and not returned. */
  used = 0;
  /** Pages currently held (for memory accounting). */
  pageCount = 0;

  /** A block of at least `bytes` (its size is `classSize(bytes)`); returns its handle. */
  alloc(bytes: number): number {
    const size = classSize(bytes);
    const c = classOf(size);
    this.used += size;
    const roomy = (this.roomy[c] ??= new Set());
    const page = roomy.size > 0 ? (roomy.values().next().value as number) : this.newPage(c, size);
    let offset: number;
    const freed = this.freed[page];
    if (freed.length > 0) offset = freed.pop() as number;
    else {
      offset = this.bump[page];
      this.bump[page] += size;
    }
    this.live[page] += size;
    if (freed.length === 0 && this.bump[page] + size > (this.pages[page] as Buffer).length) {
      roomy.delete(page);
    }
    return page * PAGE + offset;
  }

  release(handle: number, bytes: number): void {
    const size = classSize(bytes);
    this.used -= size;
    const page = Math.floor(handle / PAGE);
    this.live[page] -= size;
    if (this.live[page] === 0) {
      this.dropPage(page);
      return;
    }
    this.freed[page].push(handle % PAGE);
    this.roomy[this.pageClass[page]].add(page);
  }

  /** The page Buffer a handle points into. */
  page(handle: number): Buffer {
    return this.pages[Math.floor(handle / PAGE)] as Buffer;
  }

  /** The handle's byte offset in its page. */
  static offset(handle: number): number {
    return handle % PAGE;
  }

  private newPage(c: number, size: number): number {
    const length = pageBytes(size);
    const buf = this.spare.get(length)?.pop() ?? Buffer.allocUnsafeSlow(length);
    const page =
      this.freeNumbers.length > 0 ? (this.freeNumbers.pop() as number) : this.pages.length;
    // Handles are kept divided by UNIT in Int32s (peer-table.ts): 65536 pages, 4 GiB at least.
    if (page >= MAX_PAGES) throw new RangeError('the peer slab is full');
    this.pages[page] = buf;
    this.live[page] = 0;
    this.pageClass[page] = c;
    this.bump[page] = 0;
    this.freed[page] = [];
    this.roomy[c].add(page);
    this.pageCount++;
    return page;
  }

  private dropPage(page: number): void {
    const buf = this.pages[page] as Buffer;
    let spare = this.spare.get(buf.length);
    if (spare === undefined) this.spare.set(buf.length, (spare = []));
    if (buf.length <= PAGE && spare.length < SPARE_PAGES) spare.push(buf);
    this.roomy[this.pageClass[page]].delete(page);
    this.pages[page] = null;
    this.freed[page] = [];
    this.freeNumbers.push(page);
    this.pageCount--;
  }
}
