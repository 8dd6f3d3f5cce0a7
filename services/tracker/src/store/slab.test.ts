import { PAGE, Slab } from './slab';

describe('Slab', () => {
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
    const next = slab.alloc(block); // a third page: the first one's memory again
    expect(slab.page(next)).toBe(firstPage);
    expect(Math.floor(next / PAGE)).toBe(2); // under a new page number
    const b = slab.page(live).subarray(Slab.offset(live), Slab.offset(live) + block);
    expect(b.every((x) => x === 7)).toBe(true);
    expect(slab.pageCount).toBe(2);
  });
});
