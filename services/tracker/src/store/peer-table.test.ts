import fc from 'fast-check';
import { PeerTables, peerKeyLength } from './peer-table';
import { PAGE, Slab, classBytes, classOf, classSize } from './slab';

function key(ipLength: 4 | 16, n: number): Buffer {
  const k = Buffer.alloc(peerKeyLength(ipLength));
  k.writeUInt32BE(n, 0);
  k.writeUInt16BE(n & 0xffff, ipLength);
  return k;
}

describe('PeerTables', () => {
  it('behaves like a map from identity to last-seen under any sequence of upserts and removals', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<4 | 16>(4, 16),
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 150 })), { maxLength: 1500 }),
        (ipLength, ops) => {
          // Table 1 of swarm 2 (IPv4 seeders) or 2 (IPv6 leechers), beside busy neighbours.
          const tables = new PeerTables(new Slab(), 7);
          tables.grow(16);
          const t = ipLength === 4 ? 9 : 10;
          for (const n of [8, 11]) tables.insert(n, key(n & 2 ? 16 : 4, n), 1);
          const model = new Map<number, number>();
          ops.forEach(([insert, n], time) => {
            const k = key(ipLength, n);
            // Times past 2^32 ms: the stored time is 48 bits wide.
            const at = 1_700_000_000_000 + time;
            const slot = tables.find(t, k);
            expect(slot >= 0).toBe(model.has(n));
            if (insert) {
              if (slot >= 0) tables.touch(t, slot, at);
              else tables.insert(t, k, at);
              model.set(n, at);
            } else if (slot >= 0) {
              tables.remove(t, slot);
              model.delete(n);
            }
          });
          expect(tables.size[t]).toBe(model.size);
          for (const [n, at] of model)
            expect(tables.lastSeen(t, tables.find(t, key(ipLength, n)))).toBe(at);
          const cutoff = 1_700_000_000_000 + ops.length / 2;
          tables.expire(t, cutoff, null);
          for (const [n, at] of model)
            expect(tables.find(t, key(ipLength, n)) >= 0).toBe(at >= cutoff);
          // The neighbours were never disturbed.
          for (const n of [8, 11]) expect(tables.find(n, key(n & 2 ? 16 : 4, n))).toBe(0);
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

  it('has classes in 32-byte steps to 512, then quarter steps between powers of two', () => {
    expect([1, 64, 65, 96, 97, 129, 200, 300, 513, 700, 1025].map(classSize)).toEqual([
      32, 64, 96, 96, 128, 160, 224, 320, 640, 768, 1280,
    ]);
    let previous = 0;
    for (let bytes = 1; bytes < 1 << 24; bytes += 1 + Math.floor(bytes / 50)) {
      const size = classSize(bytes);
      const c = classOf(size);
      expect([size >= bytes, size % 32, classSize(size), classBytes(c)]).toEqual([
        true,
        0,
        size,
        size,
      ]);
      expect(c >= 1 && c < 256 && size >= previous).toBe(true);
      expect(size <= bytes * 1.25 + 31).toBe(true);
      previous = size;
    }
  });

  it('drops a page once its last block is released and reuses its number for a new page', () => {
    const slab = new Slab();
    const perPage = 65536 / 128;
    const first = Array.from({ length: perPage }, () => slab.alloc(128));
    const second = Array.from({ length: perPage }, () => slab.alloc(256));
    expect(slab.pageCount).toBe(3); // one page of 128s, two of 256s
    for (const h of first) slab.release(h, 128);
    expect(slab.pageCount).toBe(2);
    const again = slab.alloc(128);
    expect(Math.floor(again / PAGE)).toBe(0);
    slab.page(again).fill(1, Slab.offset(again), Slab.offset(again) + 128);
    const untouched = slab.page(second[0]).subarray(0, 256);
    untouched.fill(2);
    expect(untouched.every((x) => x === 2)).toBe(true);
    for (const h of second) slab.release(h, 256);
    expect(slab.used).toBe(128);
    expect(slab.pageCount).toBe(1);
  });
});
