import fc from 'fast-check';
import { BLOCK_SIZE, type BlockRequest } from '../picker/picker';
import { metaFromFiles } from '../test-meta';
import { BlockAssembler, planFetch } from './plan';

/** Every block of the torrent (piece-relative 16 KiB blocks, the last ones short). */
function allBlocks(pieceCount: number, pieceLength: number, total: number): BlockRequest[] {
  const out: BlockRequest[] = [];
  for (let i = 0; i < pieceCount; i++) {
    const size = Math.min(pieceLength, total - i * pieceLength);
    for (let b = 0; b < size; b += BLOCK_SIZE)
      out.push({ index: i, begin: b, length: Math.min(BLOCK_SIZE, size - b) });
  }
  return out;
}

function pattern(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let j = 0; j < size; j++) b[j] = (j * 7 + seed) & 0xff;
  return b;
}

test('property: the planned file ranges carry exactly the picked blocks, assembled in order', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ size: fc.nat({ max: 90_000 }), pad: fc.boolean() }), {
        minLength: 1,
        maxLength: 6,
      }),
      fc.constantFrom(BLOCK_SIZE, 2 * BLOCK_SIZE, 4 * BLOCK_SIZE),
      fc.infiniteStream(fc.boolean()),
      fc.integer({ min: 500, max: 70_000 }),
      (specs, pieceLength, keep, chunkSize) => {
        const files = specs.map((s, i) => ({
          path: [`f${i}`],
          data: s.pad ? Buffer.alloc(s.size) : pattern(s.size, i),
          pad: s.pad,
        }));
        const { meta, data } = metaFromFiles('t', files, pieceLength);
        if (data.length === 0) return;
        const it = keep[Symbol.iterator]();
        const reqs = allBlocks(meta.pieceCount, pieceLength, data.length).filter(
          () => it.next().value,
        );
        const plan = planFetch(meta, reqs);
        const asked = plan.files.reduce(
          (n, f) => n + f.ranges.reduce((m, r) => m + r.length, 0),
          0,
        );
        expect(asked).toBe(reqs.reduce((n, r) => n + r.length, 0));
        const got = new Map<string, Buffer>();
        const asm = new BlockAssembler(plan.blocks, (b, d) =>
          got.set(`${b.index}:${b.begin}`, Buffer.from(d)),
        );
        for (const f of plan.files) {
          const mf = meta.files[f.fileIndex];
          let last = -1;
          for (const r of f.ranges) {
            expect(r.start).toBeGreaterThan(last); // ascending, not touching
            expect(r.start + r.length).toBeLessThanOrEqual(mf.length);
            last = r.start + r.length;
            if (f.pad) {
              asm.zeros(mf.offset + r.start, r.length);
              continue;
            }
            for (let p = 0; p < r.length; p += chunkSize) {
              const n = Math.min(chunkSize, r.length - p);
              const at = mf.offset + r.start + p;
              asm.write(at, data.subarray(at, at + n));
            }
          }
        }
        expect(got.size).toBe(reqs.length);
        for (const r of reqs) {
          const off = r.index * pieceLength + r.begin;
          expect(got.get(`${r.index}:${r.begin}`)?.equals(data.subarray(off, off + r.length))).toBe(
            true,
          );
        }
      },
    ),
    { numRuns: 200 },
  );
});

test('a piece spanning three files becomes a range in each', () => {
  const files = [3000, 5000, 40_000].map((n, i) => ({ path: [`f${i}`], data: Buffer.alloc(n) }));
  const { meta } = metaFromFiles('t', files, 2 * BLOCK_SIZE);
  const plan = planFetch(meta, [
    { index: 0, begin: BLOCK_SIZE, length: BLOCK_SIZE },
    { index: 0, begin: 0, length: BLOCK_SIZE },
  ]);
  expect(plan.files).toEqual([
    { fileIndex: 0, pad: false, ranges: [{ start: 0, length: 3000 }] },
    { fileIndex: 1, pad: false, ranges: [{ start: 0, length: 5000 }] },
    { fileIndex: 2, pad: false, ranges: [{ start: 0, length: 2 * BLOCK_SIZE - 8000 }] },
  ]);
});
