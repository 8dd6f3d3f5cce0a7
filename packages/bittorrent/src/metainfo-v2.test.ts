import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { EncodableValue, decodePrefix, encode } from './bencode';
import { MetainfoError, ProtocolError } from './errors';
import { fileRoot, pieceHashV2 } from './merkle';
import { parseInfoDictionary, parseTorrent } from './metainfo';
import { v2Piece } from './metainfo-v2';

type Dict = { [k: string]: EncodableValue };

/** A v2-only torrent made here: real roots and piece layers for the given file contents. */
function v2Torrent(files: Array<[string[], Buffer]>, pieceLength = 16384, name = 'folder') {
  const tree: Dict = {};
  const layers: Dict = {};
  for (const [path, data] of files) {
    let dir = tree;
    for (const c of path.slice(0, -1)) dir = (dir[c] ??= {}) as Dict;
    const leaf: Dict = { length: data.length };
    if (data.length > 0) {
      const root = fileRoot(data, pieceLength);
      leaf['pieces root'] = root;
      if (data.length > pieceLength) {
        const hashes: Buffer[] = [];
        for (let o = 0; o < data.length; o += pieceLength)
          hashes.push(pieceHashV2(data.subarray(o, o + pieceLength), pieceLength));
        layers[root.toString('latin1')] = Buffer.concat(hashes);
      }
    }
    dir[path[path.length - 1]] = { '': leaf };
  }
  const info = { 'file tree': tree, 'meta version': 2, name, 'piece length': pieceLength };
  return { info, layers, top: { info, 'piece layers': layers } as Dict };
}
const bytes = (n: number, seed: number) =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff));
const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as MetainfoError).code;
  }
  return 'ok';
};

test('a v2-only torrent opens: truncated v2 info-hash, files aligned by pad files, roots and layers', () => {
  const a = bytes(40000, 1);
  const b = bytes(5000, 2);
  const { info, top } = v2Torrent([
    [['a.bin'], a],
    [['sub', 'b.bin'], b],
    [['sub', 'empty'], Buffer.alloc(0)],
  ]);
  const m = parseTorrent(encode(top));
  const v2 = createHash('sha256').update(encode(info)).digest();
  expect(m.metaVersion).toBe(2);
  expect(m.hybrid).toBe(false);
  expect(m.infoHashV2).toBe(v2.toString('hex'));
  expect(m.infoHash).toBe(v2.subarray(0, 20).toString('hex'));
  expect(m.multiFile).toBe(true);
  expect(m.files.map((f) => [f.path.join('/'), f.length, f.offset, f.pad])).toEqual([
    ['a.bin', 40000, 0, false],
    ['.pad/9152', 9152, 40000, true],
    ['sub/b.bin', 5000, 49152, false],
    ['.pad/11384', 11384, 54152, true], // libtorrent pads after the last file too
    ['sub/empty', 0, 65536, false],
  ]);
  expect(m.pieceCount).toBe(4);
  expect(m.pieces.length).toBe(0);
  expect(() => m.pieceHash(0)).toThrow(/v2-only/);
  expect(m.piecesRoots?.[0]).toEqual(fileRoot(a, 16384));
  expect(m.piecesRoots?.[1]).toBeUndefined();
  expect(m.piecesRoots?.[2]).toEqual(fileRoot(b, 16384));
  expect([...(m.pieceLayers?.keys() ?? [])]).toEqual([0]);
  // pieces map to files: piece 2 is a.bin's last, piece 3 all of b.bin
  expect(v2Piece(m.files, m.piecesRoots!, m.pieceLength, 2)).toMatchObject({
    fileIndex: 0,
    pieceInFile: 2,
    length: 40000 - 32768,
    filePieces: 3,
  });
  expect(v2Piece(m.files, m.piecesRoots!, m.pieceLength, 3)).toMatchObject({
    fileIndex: 2,
    pieceInFile: 0,
    length: 5000,
  });
  // the bare info dictionary (from peers, BEP 9) has no layers
  const bare = parseInfoDictionary(encode(info));
  expect(bare.infoHash).toBe(m.infoHash);
  expect(bare.pieceLayers?.size).toBe(0);
});

test('a single-file v2 torrent is named by its file', () => {
  const { top } = v2Torrent([[['one.bin'], bytes(100, 3)]], 16384, 'other');
  const m = parseTorrent(encode(top));
  expect(m.multiFile).toBe(false);
  expect(m.name).toBe('one.bin');
  expect(m.files).toEqual([
    { path: ['one.bin'], length: 100, offset: 0, pad: false, attr: '' },
    { path: ['.pad', '16284'], length: 16284, offset: 100, pad: true, attr: 'p' },
  ]);
});

test('piece layers: a wrong size or a layer not leading to the root is refused, a missing one is not', () => {
  const { top, layers } = v2Torrent([[['a.bin'], bytes(70000, 4)]]);
  const key = Object.keys(layers)[0];
  const layer = layers[key] as Buffer;
  const withLayer = (l: EncodableValue) => encode({ ...top, 'piece layers': { [key]: l } });
  const tampered = Buffer.from(layer);
  tampered[5] ^= 1;
  expect(codeOf(() => parseTorrent(withLayer(tampered)))).toBe('metainfo.bad-piece-layers');
  expect(() => parseTorrent(withLayer(tampered))).toThrow(/does not match its pieces root/);
  expect(codeOf(() => parseTorrent(withLayer(layer.subarray(32))))).toBe(
    'metainfo.bad-piece-layers',
  );
  expect(codeOf(() => parseTorrent(withLayer(7)))).toBe('metainfo.bad-piece-layers');
  const none = parseTorrent(encode({ ...top, 'piece layers': {} }));
  expect(none.pieceLayers?.size).toBe(0);
  const unrelated = parseTorrent(
    encode({ ...top, 'piece layers': { [Buffer.alloc(32, 1).toString('latin1')]: 'x' } }),
  );
  expect(unrelated.pieceLayers?.size).toBe(0);
});

test('v2 piece lengths are powers of two from 16 KiB; trees need roots', () => {
  const { info } = v2Torrent([[['a'], bytes(10, 5)]]);
  expect(codeOf(() => parseInfoDictionary(encode({ ...info, 'piece length': 16385 })))).toBe(
    'metainfo.bad-piece-length',
  );
  expect(codeOf(() => parseInfoDictionary(encode({ ...info, 'piece length': 8192 })))).toBe(
    'metainfo.bad-piece-length',
  );
  expect(codeOf(() => parseInfoDictionary(encode({ ...info, 'file tree': {} })))).toBe(
    'metainfo.bad-file-tree',
  );
  const zeroRoot = { a: { '': { length: 10, 'pieces root': Buffer.alloc(32) } } };
  expect(codeOf(() => parseInfoDictionary(encode({ ...info, 'file tree': zeroRoot })))).toBe(
    'metainfo.bad-file-tree',
  );
});

function opensOrProtocolError(input: Uint8Array): void {
  try {
    const m = parseTorrent(input);
    expect(m.pieceCount).toBeGreaterThan(0);
    if (m.piecesRoots) expect(m.piecesRoots.length).toBe(m.files.length);
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
  }
}

test('fuzz: mutated v2 torrents open or are refused with a protocol error', () => {
  const { top } = v2Torrent([
    [['a.bin'], bytes(50000, 6)],
    [['d', 'b'], bytes(20000, 7)],
  ]);
  const good = encode(top);
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 8,
      }),
      (edits) => {
        const t = Buffer.from(good);
        for (const [at, v] of edits) t[at % t.length] = v;
        opensOrProtocolError(t);
      },
    ),
    { numRuns: 2000 },
  );
});

test('fuzz: structurally random file trees', () => {
  const leaf = fc.record({
    length: fc.oneof(fc.nat(200000), fc.constant(-1), fc.string()),
    'pieces root': fc.oneof(
      fc.uint8Array({ minLength: 32, maxLength: 32 }).map(Buffer.from),
      fc.string(),
    ),
  });
  const tree = fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: 'small' },
      fc.record({ '': leaf }),
      fc.dictionary(fc.string({ maxLength: 4 }), tie('node')),
    ),
  })).node;
  fc.assert(
    fc.property(tree, fc.constantFrom(16384, 32768, 1 << 20), (t, pl) => {
      const info = {
        'file tree': t as EncodableValue,
        'meta version': 2,
        name: 'x',
        'piece length': pl,
      };
      opensOrProtocolError(encode({ info }));
      const decoded = decodePrefix(encode({ info })).value;
      expect(decoded).toBeDefined();
    }),
    { numRuns: 500 },
  );
});
