import { PAGE, Slab } from './slab';

describe('Slab', () => {
  it('keeps each class in pages of its own, so a class freed in step frees its pages', () => {
    const slab = new Slab();
    // Tables growing together: every 64-byte block is traded for a 96-byte one.
    const small = Array.from({ length: 5000 }, () => slab.alloc(64));
    const bigger = small.map((h) => {
      const b = slab.alloc(96);
      slab.release(h, 64);
      return b;
    });
    expect(slab.used).toBe(5000 * 96);
    // 96-byte blocks fill 64 KiB pages (682 each): nothing else is held.
    expect(slab.pageCount).toBe(Math.ceil(5000 / Math.floor(65536 / 96)));
    const blocks = new Set(bigger);
    expect(blocks.size).toBe(5000);
  });

  it('gives a dropped page its memory to the next new page, keeping live blocks intact', () => {
    const slab = new Slab();
    const block = PAGE / 4;
    const first = [0, 1, 2, 3].map(() => slab.alloc(block));
    const firstPage = slab.page(first[0]);
    const live = slab.alloc(block); // opens the second page
    slab.page(live).fill(7, Slab.offset(live), Slab.offset(live) + block);
    for (const h of first) slab.release(h, block);
    expect(slab.pageCount).toBe(1);
    for (let i = 0; i < 3; i++) slab.alloc(block); // fills the second page
    const next = slab.alloc(block); // a new page: the first one's memory and number again
    expect(slab.page(next)).toBe(firstPage);
    expect(Math.floor(next / PAGE)).toBe(0);
    const b = slab.page(live).subarray(Slab.offset(live), Slab.offset(live) + block);
    expect(b.every((x) => x === 7)).toBe(true);
    expect(slab.pageCount).toBe(2);
  });
});
