import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { decode, isDict } from './bencode';
import { MetainfoError } from './errors';
import { buildTorrent, choosePieceLength, createTorrent, CreateTorrentInput } from './create';

function chunks(data: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (let i = 0; at < data.length; i++) {
    const n = Math.max(1, sizes.length ? sizes[i % sizes.length] : data.length);
    out.push(data.subarray(at, at + n));
    at += n;
  }
  return out;
}

function expectedPieces(data: Buffer, pieceLength: number): Buffer {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += pieceLength) {
    out.push(
      createHash('sha1')
        .update(data.subarray(at, at + pieceLength))
        .digest(),
    );
  }
  return Buffer.concat(out);
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof MetainfoError) return e.code;
    throw e;
  }
  throw new Error('expected a MetainfoError');
}

const data = randomBytes(100_000);

describe('createTorrent', () => {
  test('single file: fields, piece hashes, deterministic, no creation date by default', async () => {
    const input: CreateTorrentInput = {
      name: 'data.bin',
      length: data.length,
      pieceLength: 32768,
      announce: [['http://a/announce'], ['udp://b:6969']],
      urlList: ['http://seed/data.bin'],
      private: true,
      comment: 'test',
      createdBy: 'enjambre',
    };
    const { torrent, metainfo } = await createTorrent(input, [data]);
    expect(metainfo.name).toBe('data.bin');
    expect(metainfo.totalLength).toBe(data.length);
    expect(metainfo.pieceCount).toBe(4);
    expect(metainfo.pieces).toEqual(expectedPieces(data, 32768));
    expect(metainfo.private).toBe(true);
    expect(metainfo.announce).toEqual([['http://a/announce'], ['udp://b:6969']]);
    expect(metainfo.urlList).toEqual(['http://seed/data.bin']);
    expect(metainfo.creationDate).toBeUndefined();
    const top = decode(torrent);
    expect(isDict(top) && top['creation date']).toBeFalsy();
    const again = await createTorrent(input, chunks(data, [1000, 7, 50000]));
    expect(again.torrent).toEqual(torrent);
    const dated = await createTorrent({ ...input, creationDate: 1700000000 }, [data]);
    expect(dated.metainfo.creationDate).toBe(1700000000);
    expect(dated.metainfo.infoHash).toBe(metainfo.infoHash);
  });

  test('folder: files in order, pieces span file boundaries, empty files kept', async () => {
    const files = [
      { path: ['a', 'one.bin'], length: 40000 },
      { path: ['a', 'empty'], length: 0 },
      { path: ['b.bin'], length: 60000 },
    ];
    const progress: number[] = [];
    const { metainfo } = await createTorrent(
      { name: 'folder', files, pieceLength: 16384 },
      [data.subarray(0, 40000), data.subarray(40000)],
      { onProgress: (n, total) => (expect(total).toBe(100_000), progress.push(n)) },
    );
    expect(metainfo.multiFile).toBe(true);
    expect(metainfo.files.map((f) => [f.path.join('/'), f.offset, f.length])).toEqual([
      ['a/one.bin', 0, 40000],
      ['a/empty', 40000, 0],
      ['b.bin', 40000, 60000],
    ]);
    expect(metainfo.pieces).toEqual(expectedPieces(data, 16384));
    expect(progress[progress.length - 1]).toBe(100_000);
    expect(progress).toEqual([...progress].sort((x, y) => x - y));
  });

  test('chunking never changes the result', async () => {
    const input: CreateTorrentInput = { name: 'x', length: data.length, pieceLength: 16384 };
    const reference = (await createTorrent(input, [data])).torrent;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 40000 }), { minLength: 1, maxLength: 6 }),
        async (sizes) => {
          const { torrent } = await createTorrent(input, chunks(data, sizes));
          expect(torrent).toEqual(reference);
        },
      ),
      { numRuns: 40 },
    );
  });

  test('async iterables work', async () => {
    async function* gen() {
      yield data.subarray(0, 10);
      yield data.subarray(10);
    }
    const { metainfo } = await createTorrent({ name: 'x', length: data.length }, gen());
    expect(metainfo.pieces).toEqual(expectedPieces(data, 16384));
  });

  test('data shorter or longer than announced', async () => {
    expect(await codeOf(createTorrent({ name: 'x', length: 10 }, [data.subarray(0, 9)]))).toBe(
      'create.size-mismatch',
    );
    expect(await codeOf(createTorrent({ name: 'x', length: 10 }, [data.subarray(0, 11)]))).toBe(
      'create.size-mismatch',
    );
  });

  test('invalid input', async () => {
    const one = [data.subarray(0, 1)];
    expect(await codeOf(createTorrent({ name: '..', length: 1 }, one))).toBe('create.unsafe-path');
    expect(
      await codeOf(createTorrent({ name: 'x', files: [{ path: ['a', '..'], length: 1 }] }, one)),
    ).toBe('create.unsafe-path');
    expect(await codeOf(createTorrent({ name: 'x', files: [{ path: [], length: 1 }] }, one))).toBe(
      'create.unsafe-path',
    );
    expect(
      await codeOf(
        createTorrent(
          {
            name: 'x',
            files: [
              { path: ['a'], length: 1 },
              { path: ['a'], length: 0 },
            ],
          },
          one,
        ),
      ),
    ).toBe('create.duplicate-path');
    expect(await codeOf(createTorrent({ name: 'x', files: [] }, one))).toBe('create.bad-input');
    const deep = Array.from({ length: 65 }, () => 'd');
    expect(
      await codeOf(createTorrent({ name: 'x', files: [{ path: deep, length: 1 }] }, one)),
    ).toBe('create.unsafe-path');
    expect(await codeOf(createTorrent({ name: 'x', length: 0 }, []))).toBe('create.empty');
    expect(await codeOf(createTorrent({ name: 'x', length: -1 }, []))).toBe('create.bad-length');
    expect(await codeOf(createTorrent({ name: 'x', length: 1, pieceLength: 1000 }, one))).toBe(
      'create.bad-piece-length',
    );
    expect(() => buildTorrent({ name: 'x', length: 1 }, Buffer.alloc(19))).toThrow(MetainfoError);
  });
});

describe('choosePieceLength', () => {
  const MB = 1000 * 1000;
  const MiB = 1024 * 1024;
  test.each([
    [1, 16384],
    [25 * MiB, 16384],
    [50 * MiB, 32768],
    [50 * MiB + 1, 65536],
    [700 * MB, 512 * 1024],
    [1024 * MiB, 1024 * 1024],
    [4 * 1024 * MiB, 4 * MiB],
    [10 ** 13, 16 * MiB],
  ])('%d bytes -> %d', (size, expected) => {
    expect(choosePieceLength(size)).toBe(expected);
    expect(Math.ceil(size / expected) <= 1600 || expected === 16 * MiB).toBe(true);
  });
});
