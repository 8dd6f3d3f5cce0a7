/**
 * Memory for packed peer records: blocks carved out of 1 MiB pages, in size classes with free
 * lists, instead of one Buffer per peer table. A Buffer costs ~100 bytes of object plus
 * allocator slack, which would dominate small swarms (most swarms are small); here a table only
 * holds a handle (page · PAGE + offset) and wastes at most its class rounding. Blocks larger
 * than a page get a page of their own.
 *
 * The classes (classSize) step by 32 bytes up to 512 and by quarters of a power of two beyond:
 * small swarms, most of them, waste nothing, and a big block is at most a fifth slack.
 *
 * Each page counts its live bytes; a page whose last block is released is dropped (the GC
 * frees it). Without that, tables growing together (every swarm filling up at once) left every
 * smaller class's blocks on free lists nobody drew from again: about half the slab was dead.
 * Page numbers are never reused, so a free-list handle into a dropped page is recognised and
 * skipped when it is popped.
 *
 * A dropped page's memory is kept (up to SPARE_PAGES) for the next new page rather than left to
 * the GC: freed late, after many newer pages, 1 MiB chunks became holes in the C heap that the
 * process never gave back (1 M peers: 155 bytes of RSS per peer with 74 of them live, 40
 * of the difference such holes). Nothing outside the slab holds a view of a page.
 */
export const PAGE = 1 << 20;
const SPARE_PAGES = 16;
/** Every block size and offset is a multiple of this: a handle divided by it fits an Int32 up
 * to 64 GiB (peer-table.ts keeps handles that way). */
export const UNIT = 32;
/** Up to here the classes step by UNIT; a table of that many bytes is 16 IPv4 peers. */
const FINE = 512;

/**
 * The block size for `bytes`: at least 64; up to 512 the next multiple of 32 (a small table
 * grows one 32-byte IPv4 record at a time, copying at most 512 bytes, and wastes nothing),
 * beyond in quarter steps between powers of two (2^k · 1.25, 1.5, 1.75, 2: at most a fifth
 * slack, each growth copies a quarter more).
 */
export function classSize(bytes: number): number {
  if (bytes <= FINE) return Math.max(2 * UNIT, Math.ceil(bytes / UNIT) * UNIT);
  const step = 2 ** (31 - Math.clz32(bytes - 1) - 2);
  return Math.ceil(bytes / step) * step;
}

/** Free-list index of a class size (never 0): 2..16 for the fine classes, then 4 per octave. */
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

export class Slab {
  /** Pages by number; null once dropped. */
  private readonly pages: Array<Buffer | null> = [];
  /** Live (allocated, not released) bytes per page. */
  private readonly live: number[] = [];
  /** Free blocks per class, as handles (some may point into dropped pages). */
  private readonly free: number[][] = [];
  private bumpPage = -1;
  private bumpOffset = PAGE;
  /** Bytes handed out and not returned. */
  used = 0;
  /** Pages currently held (for memory accounting). */
  pageCount = 0;
  /** Pages dropped since the free lists were last cleared of their handles. */
  private dropsSincePrune = 0;
  /** Memory of dropped pages, for the next new pages. */
  private readonly spare: Buffer[] = [];

  /** A block of at least `bytes` (its size is `classSize(bytes)`); returns its handle. */
  alloc(bytes: number): number {
    const size = classSize(bytes);
    this.used += size;
    if (size > PAGE) {
      const page = this.newPage(size);
      this.live[page] = size;
      return page * PAGE;
    }
    const list = this.free[classOf(size)];
    if (list !== undefined) {
      while (list.length > 0) {
        const handle = list.pop() as number;
        const page = Math.floor(handle / PAGE);
        if (this.pages[page] !== null) {
          this.live[page] += size;
          return handle;
        }
      }
    }
    if (this.bumpOffset + size > PAGE) {
      this.recycleTail();
      this.bumpPage = this.newPage(PAGE);
      this.bumpOffset = 0;
    }
    const handle = this.bumpPage * PAGE + this.bumpOffset;
    this.bumpOffset += size;
    this.live[this.bumpPage] += size;
    return handle;
  }

  release(handle: number, bytes: number): void {
    const size = classSize(bytes);
    this.used -= size;
    const page = Math.floor(handle / PAGE);
    this.live[page] -= size;
    if (this.live[page] === 0 && page !== this.bumpPage) this.dropPage(page);
    else if (size <= PAGE) (this.free[classOf(size)] ??= []).push(handle);
  }

  /** The page Buffer a handle points into. */
  page(handle: number): Buffer {
    return this.pages[Math.floor(handle / PAGE)] as Buffer;
  }

  /** The handle's byte offset in its page. */
  static offset(handle: number): number {
    return handle % PAGE;
  }

  private newPage(size: number): number {
    const page = this.pages.length;
    const reused = size === PAGE ? this.spare.pop() : undefined;
    this.pages.push(reused ?? Buffer.allocUnsafeSlow(size));
    this.live.push(0);
    this.pageCount++;
    return page;
  }

  private dropPage(page: number): void {
    const buf = this.pages[page] as Buffer;
    if (buf.length === PAGE && this.spare.length < SPARE_PAGES) this.spare.push(buf);
    this.pages[page] = null;
    this.pageCount--;
    // Handles into dropped pages cost 8 bytes each on lists that may never be popped again.
    if (++this.dropsSincePrune >= 16) this.prune();
  }

  private prune(): void {
    this.dropsSincePrune = 0;
    for (let c = 0; c < this.free.length; c++) {
      const list = this.free[c];
      if (list !== undefined) {
        this.free[c] = list.filter((h) => this.pages[Math.floor(h / PAGE)] !== null);
      }
    }
  }

  /** The unused end of the bump page becomes free blocks of decreasing classes. */
  private recycleTail(): void {
    const page = this.bumpPage;
    if (page < 0) return;
    this.bumpPage = -1;
    if (this.live[page] === 0) {
      this.dropPage(page);
      return;
    }
    let offset = this.bumpOffset;
    for (let c = classOf(PAGE) - 1; c >= 2; c--) {
      const size = classBytes(c);
      if (PAGE - offset >= size) {
        (this.free[c] ??= []).push(page * PAGE + offset);
        offset += size;
      }
    }
    this.bumpOffset = PAGE;
  }
}
