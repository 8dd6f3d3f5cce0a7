import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { EncodableValue, decode, decodePrefix, encode } from './bencode';
import { BencodeError, MetainfoError, ProtocolError } from './errors';
import { parseInfoDictionary, parseTorrent } from './metainfo';
import { encodeTorrent } from './metainfo-encode';
import { isSafeComponent, unsafeComponentReason } from './path-safety';

const sha1 = (b: Uint8Array) => createHash('sha1').update(b).digest('hex');
const fakePieces = (n: number) => Buffer.alloc(n * 20, 0xab);

function torrent(info: Record<string, EncodableValue | undefined>, outer: object = {}): Buffer {
  return encode({ announce: 'http://t.example/announce', ...outer, info } as EncodableValue);
}

function single(over: Record<string, EncodableValue | undefined> = {}) {
  return { name: 'a.bin', length: 40000, 'piece length': 16384, pieces: fakePieces(3), ...over };
}

function multi(files: EncodableValue[], pieceLength = 16384, over = {}) {
  let total = 0;
  for (const f of files as { length: number }[]) total += f.length;
  return {
    name: 'folder',
    files,
    'piece length': pieceLength,
    pieces: fakePieces(Math.ceil(total / pieceLength)),
    ...over,
  };
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProtocolError) return e.code;
    throw e;
  }
  throw new Error('expected a ProtocolError');
}

/** The raw info bytes cut out of a torrent by position, independently of the metainfo parser. */
function rawInfo(t: Buffer): Buffer {
  const at = t.indexOf('4:info') + 6;
  return t.subarray(at, at + decodePrefix(t.subarray(at)).end);
}

describe('parseTorrent', () => {
  test('single-file torrent with every outer field', () => {
    const t = torrent(single({ private: 1, source: 'SRC' }), {
      'announce-list': [['http://a/1', 'http://a/2'], ['udp://b:80'], []],
      'url-list': 'http://seed/',
      comment: 'hello',
      'created by': 'test 1.0',
      'creation date': 1700000000,
    });
    const m = parseTorrent(t);
    expect(m.infoHash).toBe(sha1(rawInfo(t)));
    expect(m.infoHashBuffer.toString('hex')).toBe(m.infoHash);
    expect(m.infoBuffer).toEqual(rawInfo(t));
    expect(m.name).toBe('a.bin');
    expect(m.multiFile).toBe(false);
    expect(m.files).toEqual([{ path: ['a.bin'], length: 40000, offset: 0, pad: false, attr: '' }]);
    expect(m.totalLength).toBe(40000);
    expect(m.pieceLength).toBe(16384);
    expect(m.pieceCount).toBe(3);
    expect(m.pieceSize(0)).toBe(16384);
    expect(m.pieceSize(2)).toBe(40000 - 2 * 16384);
    expect(m.pieceHash(1)).toEqual(Buffer.alloc(20, 0xab));
    expect(() => m.pieceHash(3)).toThrow(RangeError);
    expect(m.private).toBe(true);
    expect(m.source).toBe('SRC');
    expect(m.hybrid).toBe(false);
    expect(m.announce).toEqual([['http://a/1', 'http://a/2'], ['udp://b:80']]);
    expect(m.urlList).toEqual(['http://seed/']);
    expect(m.comment).toBe('hello');
    expect(m.createdBy).toBe('test 1.0');
    expect(m.creationDate).toBe(1700000000);
  });

  test('the result does not share memory with the input', () => {
    const t = torrent(single());
    const m = parseTorrent(t);
    const hash = m.pieceHash(0).toString('hex');
    const info = Buffer.from(m.infoBuffer);
    t.fill(0);
    expect(m.pieceHash(0).toString('hex')).toBe(hash);
    expect(m.infoBuffer).toEqual(info);
  });

  test('announce alone, url-list as a list, no optional fields', () => {
    const t = torrent(single(), { 'url-list': ['http://x/', 'http://x/', ''] });
    const m = parseTorrent(t);
    expect(m.announce).toEqual([['http://t.example/announce']]);
    expect(m.urlList).toEqual(['http://x/']);
    expect(m.private).toBe(false);
    expect(m.comment).toBeUndefined();
    expect(m.creationDate).toBeUndefined();
    expect(parseTorrent(encode({ info: single() })).announce).toEqual([]);
  });

  test('multi-file offsets and BEP 47 pad files', () => {
    const t = torrent(
      multi([
        { length: 10000, path: ['dir', 'one.txt'] },
        { length: 6384, path: ['.pad', '6384'], attr: 'p' },
        { length: 0, path: ['empty'] },
        { length: 30000, path: ['dir', 'sub', 'two.bin'], attr: 'x' },
      ]),
    );
    const m = parseTorrent(t);
    expect(m.multiFile).toBe(true);
    expect(m.name).toBe('folder');
    expect(m.totalLength).toBe(46384);
    expect(m.pieceCount).toBe(3);
    expect(m.files.map((f) => [f.path.join('/'), f.offset, f.length, f.pad])).toEqual([
      ['dir/one.txt', 0, 10000, false],
      ['.pad/6384', 10000, 6384, true],
      ['empty', 16384, 0, false],
      ['dir/sub/two.bin', 16384, 30000, false],
    ]);
    expect(m.files[3].attr).toBe('x');
  });

  test('info-hash is of the raw bytes even when info is not canonical', () => {
    // keys out of order: a re-encoding would sort them and change the hash
    const info = Buffer.from(
      `d4:name1:a6:lengthi5e12:piece lengthi16384e6:pieces20:${'x'.repeat(20)}e`,
      'latin1',
    );
    const t = Buffer.concat([Buffer.from('d4:info', 'latin1'), info, Buffer.from('e')]);
    const m = parseTorrent(t);
    expect(m.infoHash).toBe(sha1(info));
    expect(sha1(encode(decode(info)))).not.toBe(m.infoHash);
  });

  test('prefers name.utf-8 and path.utf-8', () => {
    const m = parseTorrent(
      torrent(
        multi([{ length: 5, path: [Buffer.from([0xff])], 'path.utf-8': ['ñ.txt'] }], 16384, {
          'name.utf-8': 'carpeta',
        }),
      ),
    );
    expect(m.name).toBe('carpeta');
    expect(m.files[0].path).toEqual(['ñ.txt']);
  });

  test('BEP 52: hybrid flagged, its halves must agree', () => {
    const leaf = { '': { length: 40000, 'pieces root': Buffer.alloc(32, 7) } };
    const hybridInfo = single({
      'piece length': 65536,
      pieces: fakePieces(1),
      'meta version': 2,
      'file tree': { 'a.bin': leaf },
    });
    const hybrid = torrent(hybridInfo, { 'piece layers': {} });
    const m = parseTorrent(hybrid);
    expect(m.hybrid).toBe(true);
    expect(m.infoHashV2).toBe(createHash('sha256').update(rawInfo(hybrid)).digest('hex'));
    // the two halves must agree, and piece layers must be there
    expect(parseTorrent(torrent(hybridInfo)).hybrid).toBe(true); // layers can come from peers
    const otherLength = {
      ...hybridInfo,
      'file tree': { 'a.bin': { '': { ...leaf[''], length: 1 } } },
    };
    expect(codeOf(() => parseTorrent(torrent(otherLength, { 'piece layers': {} })))).toBe(
      'metainfo.inconsistent-files',
    );
    const noVersion = { ...hybridInfo, 'meta version': undefined };
    expect(codeOf(() => parseTorrent(torrent(noVersion)))).toBe('metainfo.bad-version');
    const v3 = { ...hybridInfo, 'meta version': 3 };
    expect(codeOf(() => parseTorrent(torrent(v3)))).toBe('metainfo.bad-version');
    // (v2-only torrents: metainfo-v2.test.ts)
    const noRoot = torrent({
      name: 'a',
      'meta version': 2,
      'file tree': { a: { '': { length: 1 } } },
      'piece length': 16384,
    });
    expect(codeOf(() => parseTorrent(noRoot))).toBe('metainfo.bad-file-tree');
  });

  test('bytes after the top-level dictionary are tolerated', () => {
    const t = torrent(single());
    const m = parseTorrent(Buffer.concat([t, Buffer.from('\r\ngarbage')]));
    expect(m.infoHash).toBe(sha1(rawInfo(t)));
  });

  test('outer fields of the wrong type are ignored, as libtorrent ignores them', () => {
    const m = parseTorrent(
      torrent(single({ private: 'yes', source: 5 }), {
        announce: 7,
        'announce-list': ['http://not-a-tier', [5, 'http://ok/', '']],
        'url-list': [1, '', 'http://seed/', { a: 1 }, 'http://seed/'],
        comment: 3,
        'created by': [],
        'creation date': 'today',
      }),
    );
    expect(m.announce).toEqual([['http://ok/']]);
    expect(m.urlList).toEqual(['http://seed/']);
    expect(m.private).toBe(false);
    expect(m).not.toHaveProperty('comment');
    expect(m).not.toHaveProperty('creationDate');
    expect(parseTorrent(torrent(single(), { 'url-list': [] })).urlList).toEqual([]);
    expect(parseTorrent(torrent(single(), { 'url-list': 5 })).urlList).toEqual([]);
    expect(parseTorrent(torrent(single({ private: 2 }))).private).toBe(true);
  });
});

describe('hostile torrents', () => {
  const sanitizedPaths: [string, EncodableValue[], string[]][] = [
    ['dot-dot', ['..', 'etc', 'passwd'], ['etc', 'passwd']],
    ['dot-dot deeper', ['a', '..', '..', 'x'], ['a', 'x']],
    ['dot', ['.', 'x'], ['x']],
    ['only dots', ['..', '.'], ['_']],
    ['empty component', ['a', '', 'b'], ['a', '_', 'b']],
    ['absolute', ['/etc/passwd'], ['etcpasswd']],
    ['slash inside', ['a/../../b'], ['a....b']],
    ['backslash', ['..\\..\\windows'], ['....windows']],
    ['drive letter', ['C:', 'Windows'], ['C_', 'Windows']],
    ['drive relative', ['C:x'], ['C_x']],
    ['NUL', ['a\0b'], ['ab']],
    ['newline', ['a\nb'], ['a_b']],
    ['invalid UTF-8', [Buffer.from([0x61, 0xff, 0xfe])], ['a__']],
    ['direction override', ['\u202egpj.exe'], ['gpj.exe']],
    ['trailing dot-dot-space', ['.. '], ['_']],
    ['trailing dot', ['name.'], ['name']],
    ['trailing space', ['name '], ['name']],
    ['device', ['CON'], ['_CON']],
    ['device with extension', ['nul.txt'], ['_nul.txt']],
    ['device lower-case', ['com1'], ['_com1']],
    ['too long', ['x'.repeat(256)], ['x'.repeat(240)]],
    ['too long, extension kept', ['x'.repeat(300) + '.mkv'], ['x'.repeat(240) + '.mkv']],
  ];
  test.each(sanitizedPaths)('path %s is sanitized', (_label, path, stored) => {
    const t = torrent(multi([{ length: 1, path }]));
    const m = parseTorrent(t);
    expect(m.files[0].path).toEqual(stored);
    expect(m.infoHash).toBe(sha1(rawInfo(t)));
    for (const c of m.files[0].path) expect(unsafeComponentReason(c)).toBeUndefined();
    expect(m.sanitized).toEqual([
      expect.objectContaining({ field: 'files[0].path', stored: stored.join('/') }),
    ]);
  });

  test('a file without a path is refused', () => {
    expect(codeOf(() => parseTorrent(torrent(multi([{ length: 1, path: [] }]))))).toBe(
      'metainfo.missing-field',
    );
    expect(codeOf(() => parseTorrent(torrent(multi([{ length: 1, path: [5] }]))))).toBe(
      'metainfo.bad-path',
    );
  });

  test('errors name the field and the offending value', () => {
    expect(() => parseTorrent(torrent(single({ 'piece length': 0 })))).toThrow(
      /piece length 0 is outside/,
    );
    expect(() => parseTorrent(torrent(single({ pieces: Buffer.alloc(59) })))).toThrow(
      /info.pieces is 59 bytes: 3 piece hashes/,
    );
    expect(() => parseTorrent(Buffer.from('d4:infod4:name'))).toThrow(/at byte \d+/);
  });

  test('the name: sanitized, all dots refused for a file and replaced by the info-hash for a folder', () => {
    expect(codeOf(() => parseTorrent(torrent(single({ name: '..' }))))).toBe(
      'metainfo.missing-field',
    );
    expect(codeOf(() => parseTorrent(torrent(single({ name: '' }))))).toBe(
      'metainfo.missing-field',
    );
    expect(parseTorrent(torrent(single({ name: '/abs' }))).name).toBe('abs');
    expect(parseTorrent(torrent(single({ name: '/abs' }))).files[0].path).toEqual(['abs']);
    const empty = torrent(multi([{ length: 1, path: ['a'] }], 16384, { name: '' }));
    expect(parseTorrent(empty).name).toBe('_');
    const dots = torrent(multi([{ length: 1, path: ['a'] }], 16384, { name: '..' }));
    expect(parseTorrent(dots).name).toBe(sha1(rawInfo(dots)));
  });

  test('ordinary odd names are kept', () => {
    const m = parseTorrent(
      torrent(multi([{ length: 1, path: ['.hidden', 'Vol. 1', 'what?.mp3', ' lead', 'console'] }])),
    );
    expect(m.files[0].path).toEqual(['.hidden', 'Vol. 1', 'what?.mp3', ' lead', 'console']);
    expect(m.sanitized).toEqual([]);
  });

  test('files at one path are renamed apart, as libtorrent renames them', () => {
    const paths = (files: EncodableValue[]) =>
      parseTorrent(torrent(multi(files))).files.map((f) => f.path.join('/'));
    const f = (...path: string[]) => ({ length: 1, path });
    expect(paths([f('a'), f('a'), f('a.1'), f('a')])).toEqual(['a', 'a.1', 'a.1.1', 'a.2']);
    expect(paths([f('a'), f('a', 'b')])).toEqual(['a.1', 'a/b']);
    expect(paths([f('a', 'b'), f('A')])).toEqual(['a/b', 'A.1']);
    expect(paths([f('x.tar.gz'), f('X.tar.gz'), f('.rc'), f('.RC')])).toEqual([
      'x.tar.gz',
      'X.tar.1.gz',
      '.rc',
      '.1.RC',
    ]);
    // sanitizing can make two names one
    expect(paths([f('a:b'), f('a_b')])).toEqual(['a_b', 'a_b.1']);
    // pad files of one size may share a path
    const pad = { length: 16383, path: ['.pad', '16383'], attr: 'p' };
    expect(paths([f('x'), pad, f('y'), pad, f('z')])).toEqual([
      'x',
      '.pad/16383',
      'y',
      '.pad/16383',
      'z',
    ]);
    const m = parseTorrent(torrent(multi([f('a'), f('A')])));
    expect(m.sanitized).toEqual([
      { field: 'files[1].path', original: 'A', stored: 'A.1', reason: 'duplicate' },
    ]);
  });

  test('lengths', () => {
    expect(codeOf(() => parseTorrent(torrent(single({ length: -1 }))))).toBe('metainfo.bad-length');
    const huge = Buffer.from(
      'd4:infod6:lengthi99999999999999999999e4:name1:a12:piece lengthi16384e6:pieces0:ee',
    );
    expect(codeOf(() => parseTorrent(huge))).toBe('bencode.unsafe-integer');
    const sum = {
      ...multi([]),
      files: [
        { length: Number.MAX_SAFE_INTEGER, path: ['a'] },
        { length: Number.MAX_SAFE_INTEGER, path: ['b'] },
      ],
    };
    expect(codeOf(() => parseTorrent(torrent(sum)))).toBe('metainfo.bad-length');
    // a huge length with few piece hashes: the count check catches it without allocating
    expect(codeOf(() => parseTorrent(torrent(single({ length: 2 ** 52 }))))).toBe(
      'metainfo.too-many-pieces',
    );
    expect(
      codeOf(() => parseTorrent(torrent(single({ length: 0, pieces: Buffer.alloc(0) })))),
    ).toBe('metainfo.empty');
    expect(codeOf(() => parseTorrent(torrent(single({ length: 'x' }))))).toBe('metainfo.bad-type');
    expect(codeOf(() => parseTorrent(torrent(single({ length: undefined }))))).toBe(
      'metainfo.missing-field',
    );
  });

  test('piece length and pieces', () => {
    // libtorrent takes any positive piece length; enjambre stops at 256 MiB
    for (const pl of [0, -16384, 2 ** 29, 2 ** 31]) {
      expect(codeOf(() => parseTorrent(torrent(single({ 'piece length': pl }))))).toBe(
        'metainfo.bad-piece-length',
      );
    }
    expect(codeOf(() => parseTorrent(torrent(single({ pieces: Buffer.alloc(59) }))))).toBe(
      'metainfo.bad-pieces',
    );
    expect(codeOf(() => parseTorrent(torrent(single({ pieces: fakePieces(4) }))))).toBe(
      'metainfo.bad-pieces',
    );
  });

  test('structure', () => {
    expect(codeOf(() => parseTorrent(encode([1, 2])))).toBe('metainfo.not-a-dictionary');
    expect(codeOf(() => parseTorrent(encode({ announce: 'x' })))).toBe('metainfo.missing-field');
    expect(codeOf(() => parseTorrent(encode({ info: 'x' })))).toBe('metainfo.bad-info');
    expect(codeOf(() => parseTorrent(torrent(single({ files: [] }))))).toBe('metainfo.bad-info');
    expect(codeOf(() => parseTorrent(torrent(multi([]))))).toBe('metainfo.bad-info');
    expect(codeOf(() => parseTorrent(torrent(single({ length: undefined, files: 'x' }))))).toBe(
      'metainfo.missing-field',
    );
  });

  test('too many files', () => {
    const files = Array.from({ length: 11 }, (_, i) => ({ length: 1, path: [`f${i}`] }));
    expect(codeOf(() => parseTorrent(torrent(multi(files)), { maxFiles: 10 }))).toBe(
      'metainfo.too-many-files',
    );
  });

  test('deep nesting, truncation, size limit', () => {
    const deep = Buffer.from('d4:info' + 'l'.repeat(100_000) + 'e'.repeat(100_001));
    expect(codeOf(() => parseTorrent(deep))).toBe('bencode.too-deep');
    const t = torrent(single());
    for (const cut of [1, 10, t.length / 2, t.length - 1]) {
      expect(codeOf(() => parseTorrent(t.subarray(0, Math.floor(cut))))).toBe('bencode.truncated');
    }
    expect(codeOf(() => parseTorrent(t, { maxSize: 100 }))).toBe('bencode.too-large');
  });
});

describe('encodeTorrent and parseInfoDictionary', () => {
  test('wrapping a raw info keeps the info-hash and adds trackers', () => {
    const t = torrent(single());
    const m = parseTorrent(t);
    const wrapped = encodeTorrent(m.infoBuffer, {
      announce: [['http://a/'], ['http://b/', 'http://c/']],
      urlList: ['http://seed/'],
      comment: 'c',
      createdBy: 'enjambre',
      creationDate: 5,
    });
    const back = parseTorrent(wrapped);
    expect(back.infoHash).toBe(m.infoHash);
    expect(back.announce).toEqual([['http://a/'], ['http://b/', 'http://c/']]);
    expect(back.urlList).toEqual(['http://seed/']);
    expect([back.comment, back.createdBy, back.creationDate]).toEqual(['c', 'enjambre', 5]);
    const flat = parseTorrent(
      encodeTorrent(m.infoBuffer, { announce: ['http://a/', 'http://b/'] }),
    );
    expect(flat.announce).toEqual([['http://a/'], ['http://b/']]);
    const one = encodeTorrent(m.infoBuffer, { announce: ['http://a/'] });
    expect(decode(one)).not.toHaveProperty('announce-list');
    expect(parseInfoDictionary(m.infoBuffer).infoHash).toBe(m.infoHash);
    expect(parseInfoDictionary(m.infoBuffer).announce).toEqual([]);
  });

  test('refuses to wrap an invalid info dictionary', () => {
    expect(() => encodeTorrent(Buffer.from('i1e'))).toThrow(MetainfoError);
    expect(() => encodeTorrent(Buffer.from('d4:name'))).toThrow(BencodeError);
  });
});

const safeName = fc
  .stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_ .-]{0,10}[A-Za-z0-9_]$/)
  .filter((s) => isSafeComponent(s));
const arbFiles = fc.uniqueArray(
  fc.record({ path: fc.array(safeName, { minLength: 1, maxLength: 3 }), length: fc.nat(70000) }),
  { minLength: 1, maxLength: 8, selector: (f) => f.path[0].toLowerCase() },
);

describe('properties', () => {
  test('what we encode parses back to the same files, offsets and hash', () => {
    fc.assert(
      fc.property(arbFiles, fc.constantFrom(16384, 32768, 1 << 20), (files, pl) => {
        fc.pre(files.some((f) => f.length > 0));
        const t = torrent(multi(files, pl));
        const m = parseTorrent(t);
        expect(m.files.map((f) => ({ path: f.path, length: f.length }))).toEqual(files);
        let off = 0;
        for (const f of m.files) {
          expect(f.offset).toBe(off);
          off += f.length;
        }
        expect(m.totalLength).toBe(off);
        expect(m.infoHash).toBe(sha1(rawInfo(t)));
        expect(parseTorrent(encodeTorrent(m.infoBuffer)).infoHash).toBe(m.infoHash);
      }),
      { numRuns: 200 },
    );
  });
});

function parsesOrProtocolError(input: Uint8Array): void {
  try {
    const m = parseTorrent(input);
    expect(m.infoHash).toMatch(/^[0-9a-f]{40}$/);
  } catch (e) {
    if (!(e instanceof MetainfoError) && !(e instanceof BencodeError)) throw e;
  }
}

describe('fuzz', () => {
  test('hostile file lists: every torrent opens with safe, distinct paths inside its folder', () => {
    const bytes = fc.uint8Array({ maxLength: 12 }).map((u) => Buffer.from(u));
    const word = fc.oneof(
      bytes,
      fc
        .constantFrom('..', '.', '', '/', 'a', 'A', 'con', 'x.', ' ', 'a:b')
        .map((w) => Buffer.from(w)),
    );
    const files = fc.array(
      fc.record({ path: fc.array(word, { minLength: 1, maxLength: 4 }), length: fc.nat(3) }),
      { minLength: 1, maxLength: 12 },
    );
    fc.assert(
      fc.property(files, word, (list, name) => {
        const total = list.reduce((n, f) => n + f.length, 0);
        fc.pre(total > 0);
        const t = torrent(multi(list, 16384, { name }));
        const m = parseTorrent(t);
        expect(m.infoHash).toBe(sha1(rawInfo(t)));
        const seen = new Set<string>();
        for (const c of [m.name, ...m.files.flatMap((f) => f.path)]) {
          expect(unsafeComponentReason(c)).toBeUndefined();
        }
        for (const f of m.files) {
          const key = f.path.join('/').toLowerCase();
          expect(seen.has(key)).toBe(false);
          seen.add(key);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), parsesOrProtocolError), {
      numRuns: 1000,
    });
  });

  test('mutated valid torrents', () => {
    const seeds = [
      torrent(single({ private: 1 }), { 'announce-list': [['http://a/']], comment: 'x' }),
      torrent(
        multi([
          { length: 10000, path: ['d', 'a'] },
          { length: 6384, path: ['.pad', 'p'], attr: 'p' },
          { length: 20000, path: ['b'] },
        ]),
      ),
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat(2)), {
          minLength: 1,
          maxLength: 5,
        }),
        (seed, mutations) => {
          let bytes = Buffer.from(seed);
          for (const [at, byte, kind] of mutations) {
            const i = at % bytes.length;
            if (kind === 0) bytes[i] = byte;
            else if (kind === 1) bytes = bytes.subarray(0, i);
            else
              bytes = Buffer.concat([bytes.subarray(0, i), Buffer.from([byte]), bytes.subarray(i)]);
            if (bytes.length === 0) break;
          }
          parsesOrProtocolError(bytes);
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('structurally random info dictionaries', () => {
    const anyValue = fc.oneof(
      fc.integer({ min: -5, max: 100000 }),
      fc.string({ maxLength: 6 }),
      fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }),
      fc.constant(fakePieces(2)),
    );
    const keys = ['name', 'length', 'piece length', 'pieces', 'files', 'private', 'meta version'];
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...keys), anyValue), (info) =>
        parsesOrProtocolError(torrent(info)),
      ),
      { numRuns: 1000 },
    );
  });
});
