import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { createTorrent } from './create';
import { fileRoot, pieceHashV2, splitHashes } from './merkle';
import { MetainfoError } from './errors';

const sha1 = (b: Uint8Array) => createHash('sha1').update(b).digest();

async function make(
  files: Array<[string[], Buffer]>,
  format: 'v2' | 'hybrid',
  pieceLength = 16384,
  chunk = 7000,
) {
  const all = Buffer.concat(files.map(([, d]) => d));
  const chunks: Buffer[] = [];
  for (let o = 0; o < all.length; o += chunk) chunks.push(all.subarray(o, o + chunk));
  return createTorrent(
    {
      name: 'top',
      files: files.map(([path, d]) => ({ path, length: d.length })),
      pieceLength,
      format,
    },
    chunks,
  );
}

test.each(['v2', 'hybrid'] as const)(
  '%s: roots, layers and v1 pieces match the data',
  async (format) => {
    const files: Array<[string[], Buffer]> = [
      [['a.bin'], randomBytes(50_000)],
      [['b', 'c.bin'], randomBytes(16_384)],
      [['b', 'empty'], Buffer.alloc(0)],
      [['b', 'z.bin'], randomBytes(3)],
      [['d.bin'], randomBytes(40_000)],
    ];
    const { metainfo: m } = await make(files, format);
    expect(m.metaVersion).toBe(2);
    expect(m.hybrid).toBe(format === 'hybrid');
    const real = m.files.map((f, i) => ({ f, i })).filter(({ f }) => !f.pad);
    expect(real.map(({ f }) => f.path)).toEqual(files.map(([p]) => p));
    real.forEach(({ f, i }, k) => {
      const data = files[k][1];
      expect(f.offset % 16384 === 0 || f.length === 0).toBe(true);
      if (data.length === 0) return expect(m.piecesRoots![i]).toBeUndefined();
      expect(m.piecesRoots![i]).toEqual(fileRoot(data, 16384));
      const layer = m.pieceLayers!.get(i);
      if (data.length <= 16384) return expect(layer).toBeUndefined();
      splitHashes(layer!).forEach((h, p) =>
        expect(h).toEqual(pieceHashV2(data.subarray(p * 16384, (p + 1) * 16384), 16384)),
      );
    });
    if (format === 'hybrid') {
      // the v1 data is the files with zeros for the pad files
      const v1 = Buffer.concat(
        m.files.map((f, i) =>
          f.pad ? Buffer.alloc(f.length) : files[real.findIndex((r) => r.i === i)][1],
        ),
      );
      expect(v1.length).toBe(m.totalLength);
      for (let p = 0; p < m.pieceCount; p++) {
        expect(m.pieceHash(p)).toEqual(sha1(v1.subarray(p * 16384, (p + 1) * 16384)));
      }
    }
  },
);

test('single-file v2 and hybrid torrents', async () => {
  const data = randomBytes(70_000);
  for (const format of ['v2', 'hybrid'] as const) {
    const { metainfo: m } = await createTorrent(
      { name: 'one.bin', length: data.length, pieceLength: 32768, format },
      [data],
    );
    expect(m.multiFile).toBe(false);
    expect(m.name).toBe('one.bin');
    expect(m.piecesRoots![0]).toEqual(fileRoot(data, 32768));
    if (format === 'hybrid') expect(m.pieceHash(2)).toEqual(sha1(data.subarray(65536)));
  }
});

test('v2 creation refuses what a file tree cannot hold', async () => {
  const code = async (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: MetainfoError) => e.code,
    );
  const d = Buffer.alloc(10);
  expect(
    await code(
      make(
        [
          [['b'], d],
          [['a'], d],
        ],
        'v2',
      ),
    ),
  ).toBe('create.bad-order');
  expect(
    await code(
      make(
        [
          [['a'], d],
          [['a', 'b'], d],
        ],
        'v2',
      ),
    ),
  ).toBe('create.bad-input');
  expect(
    await code(createTorrent({ name: 'x', length: 10, pieceLength: 49152, format: 'hybrid' }, [d])),
  ).toBe('create.bad-piece-length');
  expect(await code(createTorrent({ name: 'x', length: 11, format: 'v2' }, [d]))).toBe(
    'create.size-mismatch',
  );
});

test('property: any file set gives a torrent whose roots match its data, however it is chunked', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.nat(70_000), { minLength: 1, maxLength: 5 }),
      fc.constantFrom('v2', 'hybrid'),
      fc.integer({ min: 1, max: 40_000 }),
      async (sizesIn, format, chunk) => {
        let sizes: number[] = sizesIn;
        if (sizes.every((s) => s === 0)) sizes = [1, ...sizes.slice(1)];
        const files: Array<[string[], Buffer]> = sizes.map((n, i) => [[`f${i}`], randomBytes(n)]);
        const { metainfo: m } = await make(files, format as 'v2' | 'hybrid', 16384, chunk);
        const real = m.files.map((f, i) => ({ f, i })).filter(({ f }) => !f.pad);
        real.forEach(({ i }, k) => {
          const data = files[k][1];
          if (data.length > 0) expect(m.piecesRoots![i]).toEqual(fileRoot(data, 16384));
        });
      },
    ),
    { numRuns: 40 },
  );
});
