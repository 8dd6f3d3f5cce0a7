import fc from 'fast-check';
import { PeerTable, keyLength } from './peer-table';
import { PAGE, Slab, classSize } from './slab';

function key(ipLength: 4 | 16, n: number): Buffer {
  const k = Buffer.alloc(keyLength(ipLength));
  k.writeUInt32BE(n, 0);
  k.writeUInt16BE(n & 0xffff, ipLength);
  return k;
}

describe('PeerTable', () => {
  it('behaves like a map from identity to last-seen under any sequence of upserts and removals', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<4 | 16>(4, 16),
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 150 })), { maxLength: 1500 }),
        (ipLength, ops) => {
          const table = new PeerTable(ipLength, new Slab());
          const model = new Map<number, number>();
          ops.forEach(([insert, n], time) => {
            const k = key(ipLength, n);
            const slot = table.find(k);
            expect(slot >= 0).toBe(model.has(n));
            if (insert) {
              if (slot >= 0) table.write(slot, time, 1, 2, 3);
              else table.insert(k, time, 1, 2, 3);
              model.set(n, time);
            } else if (slot >= 0) {
              table.remove(slot);
              model.delete(n);
            }
          });
          expect(table.size).toBe(model.size);
          for (const [n, time] of model)
            expect(table.lastSeen(table.find(key(ipLength, n)))).toBe(time);
          const cutoff = ops.length / 2;
          table.expire(cutoff, null);
          for (const [n, time] of model)
            expect(table.find(key(ipLength, n)) >= 0).toBe(time >= cutoff);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('Slab', () => {
  it('hands out non-overlapping blocks and reuses released ones', () => {
    const slab = new Slab();
    const a = slab.alloc(100);
    const b = slab.alloc(100);
    expect(Slab.offset(b) - Slab.offset(a)).toBe(128);
    slab.alloc(3 << 20); // larger than a page: a page of its own (class 1.5 × 2 MiB)
    slab.release(a, 100);
    expect(slab.alloc(120)).toBe(a);
    const big = slab.alloc(2 << 20);
    expect(slab.page(big).length).toBe(2 << 20);
    slab.release(big, 2 << 20);
    expect(slab.used).toBe(256 + (3 << 20));
  });

  it('has classes 2^k and 1.5 × 2^k', () => {
    expect([1, 64, 65, 96, 97, 129, 200, 300, 700].map(classSize)).toEqual([
      64, 64, 96, 96, 128, 192, 256, 384, 768,
    ]);
  });

  it('drops a page once its last block is released and never hands out its blocks again', () => {
    const slab = new Slab();
    const perPage = PAGE / 128;
    const first = Array.from({ length: perPage }, () => slab.alloc(128));
    const second = Array.from({ length: perPage }, () => slab.alloc(256));
    expect(slab.pageCount).toBe(3); // the first page full, the 256s over two more
    for (const h of first) slab.release(h, 128);
    expect(slab.pageCount).toBe(2);
    // The 128-byte class has no block left: new ones come from a live page, not the dropped one.
    const again = slab.alloc(128);
    expect(first).not.toContain(again);
    slab.page(again).fill(1, Slab.offset(again), Slab.offset(again) + 128);
    for (const h of second) slab.release(h, 256);
    expect(slab.used).toBe(128);
  });
});
