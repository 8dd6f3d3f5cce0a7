import fc from 'fast-check';
import { encode } from './bencode';
import { parseTorrent } from './metainfo';
import { unsafeComponentReason } from './path-safety';
import {
  libtorrentComponent,
  portableComponent,
  resolveDuplicatePaths,
  sanitizeComponent,
  sanitizePath,
} from './path-sanitize';

const b = (s: string | number[]) => (typeof s === 'string' ? Buffer.from(s) : Buffer.from(s));

test('libtorrent step: dots dropped, separators and NUL removed, controls and bad UTF-8 replaced', () => {
  expect(libtorrentComponent(b('.'))).toBeNull();
  expect(libtorrentComponent(b('..'))).toBeNull();
  expect(libtorrentComponent(b('/..'))).toBeNull();
  expect(libtorrentComponent(b('...'))).toBe('...');
  expect(libtorrentComponent(b(''))).toBe('_');
  expect(libtorrentComponent(b('a/b\\c'))).toBe('abc');
  expect(libtorrentComponent(b('a\0b\x01c'))).toBe('ab_c');
  expect(libtorrentComponent(b([0x61, 0xff, 0xfe]))).toBe('a__');
  // a truncated sequence takes the rest of the name; a 5-byte lead skips five bytes
  expect(libtorrentComponent(b([0x61, 0xe2, 0x82]))).toBe('a_');
  expect(libtorrentComponent(b([0xf8, 0x80, 0x80, 0x80, 0x80, 0x7a]))).toBe('_z');
  expect(libtorrentComponent(b([0xc0, 0xaf]))).toBe('_'); // overlong '/'
  expect(libtorrentComponent(b('\u202egpj.exe'))).toBe('gpj.exe');
  expect(libtorrentComponent(b('CON'))).toBe('CON'); // Linux libtorrent keeps it
});

test('libtorrent step: long names are cut at 240 bytes, keeping a short extension', () => {
  expect(libtorrentComponent(b('x'.repeat(300)))).toBe('x'.repeat(240));
  expect(libtorrentComponent(b('x'.repeat(300) + '.mkv'))).toBe('x'.repeat(240) + '.mkv');
  // the extension must start within the last 9 bytes
  expect(libtorrentComponent(b('y'.repeat(250) + '.extension'))).toBe('y'.repeat(240));
  // a multi-byte character is kept whole at the cut
  const cut = libtorrentComponent(b('a'.repeat(239) + 'é' + 'b'.repeat(20) + '.ext'))!;
  expect(cut).toBe('a'.repeat(239) + 'é.ext');
});

test('portable step: what Windows cannot store', () => {
  expect(portableComponent('name. . ')).toBe('name');
  expect(portableComponent('...')).toBe('_');
  expect(portableComponent('CON')).toBe('_CON');
  expect(portableComponent('nul.txt')).toBe('_nul.txt');
  expect(portableComponent('CON.')).toBe('_CON');
  expect(portableComponent('a:b\x7f')).toBe('a_b_');
  expect(portableComponent('console')).toBe('console');
});

test('a path of only dropped components becomes "_"', () => {
  expect(sanitizePath([b('..'), b('.')])).toEqual(['_']);
  expect(sanitizePath([b('..'), b('a'), b('.'), b('b')])).toEqual(['a', 'b']);
});

test('duplicates: renamed as libtorrent renames them, folders first', () => {
  const files = (...ps: string[][]) => ps.map((path) => ({ path, pad: false, length: 1 }));
  const renamed = resolveDuplicatePaths(files(['a'], ['a'], ['a.1'], ['a'], ['d', 'x'], ['D']));
  expect([...renamed]).toEqual([
    [1, ['a.1']],
    [2, ['a.1.1']],
    [3, ['a.2']],
    [5, ['D.1']],
  ]);
});

describe('fuzz', () => {
  test('any component bytes: a safe name or dropped, never a throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (raw) => {
        const s = sanitizeComponent(raw);
        if (s !== null) expect(unsafeComponentReason(s)).toBeUndefined();
      }),
      { numRuns: 3000 },
    );
  });

  test('any file list: paths unique (case-insensitively) after renaming', () => {
    const name = fc.constantFrom('a', 'A', 'a.1', 'b.txt', 'B.TXT', '.rc', 'x');
    fc.assert(
      fc.property(
        fc.array(fc.array(name, { minLength: 1, maxLength: 3 }), { maxLength: 30 }),
        (ps) => {
          const files = ps.map((path) => ({ path, pad: false, length: 1 }));
          const renamed = resolveDuplicatePaths(files);
          const final = files.map((f, i) => (renamed.get(i) ?? f.path).join('/').toLowerCase());
          const dirs = new Set(
            files.flatMap((f) =>
              f.path.slice(0, -1).map((_, k) =>
                f.path
                  .slice(0, k + 1)
                  .join('/')
                  .toLowerCase(),
              ),
            ),
          );
          expect(new Set(final).size).toBe(final.length);
          for (const p of final) expect(dirs.has(p)).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('100,000 files of one name parse in linear work', () => {
    const files = Array.from({ length: 100_000 }, () => ({ length: 1, path: ['same.bin'] }));
    const t = encode({
      info: { name: 'x', 'piece length': 1 << 20, pieces: Buffer.alloc(20), files },
    });
    const m = parseTorrent(t);
    expect(m.files[99_999].path).toEqual(['same.99999.bin']);
    expect(new Set(m.files.map((f) => f.path[0])).size).toBe(100_000);
  });
});
