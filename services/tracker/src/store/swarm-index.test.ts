import fc from 'fast-check';
import { SwarmIndex } from './swarm-index';

const hash = (n: number): Buffer => {
  // Hashes that share their first 16 bytes: only the keyed mix of all 20 tells them apart.
  const b = Buffer.alloc(20, 0xee);
  b.writeUInt32BE(n, 16);
  return b;
};

describe('SwarmIndex', () => {
  it('behaves like a map from info-hash to a stable id under any adds and deletes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 3000 })), { maxLength: 4000 }),
        (ops) => {
          let grown = 0;
          const index = new SwarmIndex((capacity) => (grown = capacity));
          const model = new Map<number, number>();
          let peak = 0;
          for (const [add, n] of ops) {
            const id = index.get(hash(n));
            expect(id).toBe(model.get(n) ?? -1);
            if (add && id < 0) {
              const fresh = index.add(hash(n));
              expect(index.live[fresh]).toBe(1);
              expect(grown).toBeGreaterThan(fresh);
              model.set(n, fresh);
              peak = Math.max(peak, model.size);
            } else if (!add && id >= 0) {
              index.delete(id);
              model.delete(n);
            }
          }
          expect(index.count).toBe(model.size);
          const ids = new Set<number>();
          for (const [n, id] of model) {
            expect(index.get(hash(n))).toBe(id);
            expect(index.hashOf(id).equals(hash(n))).toBe(true);
            ids.add(id);
          }
          expect(ids.size).toBe(model.size);
          // Ids stay dense: freed ones are handed out again before new ones.
          expect(index.end).toBe(peak);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('answers -1 for a hash too short to be one', () => {
    const index = new SwarmIndex(() => {});
    index.add(hash(1));
    expect(index.get(Buffer.alloc(5))).toBe(-1);
  });
});
