/**
 * Memory for packed peer records: blocks carved out of 1 MiB pages, in power-of-two size
 * classes with free lists, instead of one Buffer per peer table. A Buffer costs ~100 bytes of
 * object plus allocator slack, which would dominate small swarms (most swarms are small); here a
 * table only holds a handle (page · PAGE + offset) and wastes at most its class rounding.
 * Blocks larger than a page get a page of their own.
 */
export const PAGE = 1 << 20;
const MIN_CLASS = 6; // 64 bytes
const EMPTY = Buffer.alloc(0);

export function classSize(bytes: number): number {
  let size = 1 << MIN_CLASS;
  while (size < bytes) size *= 2;
  return size;
}

function classOf(size: number): number {
  return Math.round(Math.log2(size));
}

export class Slab {
  private readonly pages: Buffer[] = [];
  private readonly freePages: number[] = [];
  /** Free blocks per class, as handles. */
  private readonly free: number[][] = [];
  private bumpPage = -1;
  private bumpOffset = PAGE;
  /** Bytes handed out and not returned. */
  used = 0;

  /** A block of at least `bytes` (its size is `classSize(bytes)`); returns its handle. */
  alloc(bytes: number): number {
    const size = classSize(bytes);
    this.used += size;
    if (size > PAGE) {
      const page = this.freePages.pop() ?? this.pages.length;
      this.pages[page] = Buffer.allocUnsafeSlow(size);
      return page * PAGE;
    }
    const list = this.free[classOf(size)];
    if (list !== undefined && list.length > 0) return list.pop() as number;
    if (this.bumpOffset + size > PAGE) {
      this.recycleTail();
      const page = this.freePages.pop() ?? this.pages.length;
      this.pages[page] = Buffer.allocUnsafeSlow(PAGE);
      this.bumpPage = page;
      this.bumpOffset = 0;
    }
    const handle = this.bumpPage * PAGE + this.bumpOffset;
    this.bumpOffset += size;
    return handle;
  }

  release(handle: number, bytes: number): void {
    const size = classSize(bytes);
    this.used -= size;
    if (size > PAGE) {
      const page = handle / PAGE;
      this.pages[page] = EMPTY;
      this.freePages.push(page);
      return;
    }
    (this.free[classOf(size)] ??= []).push(handle);
  }

  /** The page Buffer a handle points into. */
  page(handle: number): Buffer {
    return this.pages[Math.floor(handle / PAGE)];
  }

  /** The handle's byte offset in its page. */
  static offset(handle: number): number {
    return handle % PAGE;
  }

  /** The unused end of the bump page becomes free blocks of decreasing classes. */
  private recycleTail(): void {
    if (this.bumpPage < 0) return;
    let offset = this.bumpOffset;
    for (let c = 19; c >= MIN_CLASS; c--) {
      if (PAGE - offset >= 1 << c) {
        (this.free[c] ??= []).push(this.bumpPage * PAGE + offset);
        offset += 1 << c;
      }
    }
    this.bumpOffset = PAGE;
  }
}
