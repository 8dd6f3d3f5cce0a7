import fc from 'fast-check';
import { allowedFastSet } from './allowed-fast';

test('the example sets of BEP 6', () => {
  const infoHash = Buffer.alloc(20, 0xaa);
  expect(allowedFastSet('80.4.4.200', infoHash, 1313, 7)).toEqual([
    1059, 431, 808, 1217, 287, 376, 1188,
  ]);
  expect(allowedFastSet('80.4.4.200', infoHash, 1313, 9)).toEqual([
    1059, 431, 808, 1217, 287, 376, 1188, 353, 508,
  ]);
  // the same /24 gets the same set
  expect(allowedFastSet('80.4.4.1', infoHash, 1313, 9)).toEqual(
    allowedFastSet('80.4.4.200', infoHash, 1313, 9),
  );
});

test('no IPv6 variant, tiny torrents, distinct indexes in range', () => {
  const h = Buffer.alloc(20, 1);
  expect(allowedFastSet('::1', h, 100)).toEqual([]);
  expect(allowedFastSet('1.2.3.4', h, 0)).toEqual([]);
  expect(allowedFastSet('1.2.3.4', h, 3).sort()).toEqual([0, 1, 2]);
  fc.assert(
    fc.property(fc.ipV4(), fc.integer({ min: 1, max: 100_000 }), (ip, n) => {
      const s = allowedFastSet(ip, h, n);
      expect(s.length).toBe(Math.min(10, n));
      expect(new Set(s).size).toBe(s.length);
      expect(s.every((i) => i >= 0 && i < n)).toBe(true);
    }),
    { numRuns: 200 },
  );
});
