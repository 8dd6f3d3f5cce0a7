/**
 * Odd and hostile .torrent files, written here byte by byte, judged by python3-libtorrent 2.0
 * (Debian's) and by enjambre in the same run: the same verdict (opens or is refused), the same
 * v1 info-hash, and file names that are safe and equal to libtorrent's (after enjambre's
 * portable step, path-sanitize.ts, which only changes names Windows cannot store). A few
 * verdicts differ on purpose; each such case says why.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import {
  decodePrefix,
  encode,
  isDict,
  parseTorrent,
  portableComponent,
  unsafeComponentReason,
  type BencodeDict,
} from '@enjambre/bittorrent';

const run = promisify(execFile);
jest.setTimeout(120_000);

// --- a bencode writer of its own, keeping keys in the order given (so tests can misorder them)
type B = number | string | Buffer | B[] | { [k: string]: B } | Array<[string | Buffer, B]>;
function be(v: B): Buffer {
  if (typeof v === 'number') return Buffer.from(`i${v}e`);
  if (typeof v === 'string' || Buffer.isBuffer(v)) {
    const b = Buffer.isBuffer(v) ? v : Buffer.from(v, 'utf8');
    return Buffer.concat([Buffer.from(`${b.length}:`), b]);
  }
  if (Array.isArray(v) && isPairs(v)) {
    return Buffer.concat([
      Buffer.from('d'),
      ...v.map(([k, x]) => Buffer.concat([be(k), be(x)])),
      Buffer.from('e'),
    ]);
  }
  if (Array.isArray(v))
    return Buffer.concat([Buffer.from('l'), ...v.map((x) => be(x as B)), Buffer.from('e')]);
  const keys = Object.keys(v)
    .filter((k) => v[k] !== undefined)
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return Buffer.concat([
    Buffer.from('d'),
    ...keys.map((k) => Buffer.concat([be(k), be(v[k])])),
    Buffer.from('e'),
  ]);
}
const pairs = new WeakSet<object>();
/** An ordered dictionary for `be`: keys written in this order. */
function dict(...entries: Array<[string | Buffer, B]>): B {
  pairs.add(entries);
  return entries;
}
function isPairs(v: unknown[]): v is Array<[string | Buffer, B]> {
  return pairs.has(v);
}

const hashes = (n: number) => Buffer.alloc(20 * n, 0x5a);
function multi(
  files: B[],
  opts: { name?: B; pieceLength?: number; total?: number; extra?: Record<string, B> } = {},
) {
  const total = opts.total ?? files.length;
  const pl = opts.pieceLength ?? 16384;
  return {
    info: {
      files,
      name: opts.name ?? 'folder',
      'piece length': pl,
      pieces: hashes(Math.ceil(total / pl)),
      ...opts.extra,
    },
  };
}
const file = (...p: Array<string | Buffer>): B => ({ length: 1, path: p });
function single(over: Record<string, B> = {}, outer: Record<string, B> = {}) {
  return {
    ...outer,
    info: { length: 100, name: 'a.bin', 'piece length': 16384, pieces: hashes(1), ...over },
  };
}

// --- libtorrent's verdict on many torrents in one process
interface LtVerdict {
  ok: boolean;
  error?: string;
  v1?: string;
  name?: string;
  files?: string[];
  webSeeds?: string[];
}
const JUDGE = `
import base64, json, sys
import libtorrent as lt
out = []
for b64 in json.load(sys.stdin):
    data = base64.b64decode(b64)
    try:
        ti = lt.torrent_info(data)
        fs = ti.files()
        out.append({"ok": True, "v1": str(ti.info_hashes().v1), "name": ti.name(),
                    "files": [fs.file_path(i) for i in range(fs.num_files())],
                    "webSeeds": [w["url"] for w in ti.web_seeds()]})
    except Exception as e:
        out.append({"ok": False, "error": str(e)})
print(json.dumps(out))
`;
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'ej-corpus-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});
async function libtorrent(torrents: Buffer[]): Promise<LtVerdict[]> {
  const input = path.join(tmp, `batch-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(input, JSON.stringify(torrents.map((t) => t.toString('base64'))));
  const { stdout } = await run(
    '/bin/sh',
    ['-c', `/usr/bin/python3 -c "$1" < "$2"`, 'judge', JUDGE, input],
    {
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return JSON.parse(stdout) as LtVerdict[];
}

/** libtorrent's path of each file (the torrent's folder first when multi-file), from ours. */
function ourPaths(m: ReturnType<typeof parseTorrent>): string[] {
  return m.files.map((f) => (m.multiFile ? [m.name, ...f.path] : f.path).join('/'));
}

function expectSafe(m: ReturnType<typeof parseTorrent>): void {
  for (const c of [m.name, ...m.files.flatMap((f) => f.path)]) {
    expect({ c, why: unsafeComponentReason(c) }).toEqual({ c, why: undefined });
  }
  const seen = new Set<string>();
  for (const f of m.files) {
    if (f.pad) continue;
    const key = f.path.join('/').toLowerCase();
    expect(seen.has(key)).toBe(false);
    seen.add(key);
  }
}

interface Case {
  label: string;
  torrent: Buffer;
  /** When enjambre deliberately refuses what libtorrent opens: the error it gives. */
  weRefuse?: RegExp;
  /** Our paths differ from libtorrent's beyond the portable step (say why). */
  pathsDiffer?: string;
}
const c = (label: string, value: B, more: Partial<Case> = {}): Case => ({
  label,
  torrent: be(value),
  ...more,
});

const cases: Case[] = [
  c('plain multi-file', multi([file('a'), file('b', 'c')])),
  c('".." components', multi([file('..', '..', 'etc', 'passwd'), file('a', '..', 'b')])),
  c('"." and empty components', multi([file('.', 'x'), file('a', '', 'b'), file('')])),
  c('only dots', multi([file('..'), file('.', '..')])),
  c(
    'absolute path and separators',
    multi([file('/etc/passwd'), file('a/../../b'), file('..\\..\\w')]),
  ),
  c('control characters', multi([file('a\nb'), file('a\x00b'), file('\x01')])),
  c(
    'invalid UTF-8',
    multi([
      file(Buffer.from([0xff, 0xfe])),
      file(Buffer.from([0x61, 0xe2, 0x82])),
      file(Buffer.from([0xf8, 0x80, 0x80, 0x80, 0x80, 0x7a])),
    ]),
  ),
  c(
    'overlong and surrogate UTF-8',
    multi([file(Buffer.from([0xc0, 0xaf])), file(Buffer.from([0xed, 0xa0, 0x80]))]),
  ),
  c('direction overrides', multi([file('\u202egpj.exe'), file('a\u200eb')])),
  c(
    'over-long names',
    multi([
      file('x'.repeat(300)),
      file('y'.repeat(300) + '.mkv'),
      file('z'.repeat(250) + '.extension'),
    ]),
  ),
  c('multi-byte at the cut', multi([file('a'.repeat(239) + 'é' + 'b'.repeat(20) + '.ext')])),
  c(
    'Windows reserved names',
    multi([file('CON'), file('nul.txt'), file('com1'), file('lpt9.tar.gz')]),
  ),
  c('trailing dots and spaces', multi([file('name.'), file('name '), file('.. '), file('...')]), {
    pathsDiffer: 'the portable step strips what libtorrent keeps on Linux, then renames apart',
  }),
  c('colon', multi([file('C:', 'x'), file('a:b')])),
  c('duplicates', multi([file('a'), file('a'), file('a.1'), file('a'), file('A')])),
  c('file against folder', multi([file('d', 'f'), file('D'), file('x'), file('X', 'y')])),
  c(
    'duplicates with extensions',
    multi([file('x.tar.gz'), file('X.tar.gz'), file('.rc'), file('.RC')]),
  ),
  c('sanitizing makes duplicates', multi([file('..', 'a'), file('a'), file('/a')])),
  c(
    'pad files of one size share a path',
    multi(
      [
        { length: 16383, path: ['a'] },
        { length: 1, path: ['.pad', '1'], attr: 'p' },
        { length: 16383, path: ['b'] },
        { length: 1, path: ['.pad', '1'], attr: 'p' },
        { length: 10, path: ['c'] },
      ],
      { total: 32778 },
    ),
  ),
  c('folder name ".."', multi([file('a')], { name: '..' })),
  c('folder name empty', multi([file('a')], { name: '' })),
  c('folder name with a slash', multi([file('a')], { name: 'a/b' })),
  c('file name ".."', single({ name: '..' })),
  c('file name empty', single({ name: '' })),
  c('file name absolute', single({ name: '/etc/passwd' })),
  c(
    'name.utf-8 preferred',
    multi([{ length: 1, path: [Buffer.from([0xff])], 'path.utf-8': ['ñ'] }], {
      extra: { 'name.utf-8': 'carpeta' },
    }),
  ),
  c('name.utf-8 of the wrong type', single({ 'name.utf-8': 5 })),
  c('bytes after the dictionary', single()),
  c('url-list a string', single({}, { 'url-list': 'http://seed/' })),
  c('url-list empty', single({}, { 'url-list': [] })),
  c(
    'url-list with non-strings',
    single({}, { 'url-list': [1, 'http://a/', ['x'], '', 'http://a/'] }),
  ),
  c('url-list an integer', single({}, { 'url-list': 5 })),
  c(
    'announce-list odd',
    single({}, { 'announce-list': ['http://x/', [5, 'http://y/']], announce: 7 }),
  ),
  c('creation date a string', single({}, { 'creation date': 'today', comment: 5 })),
  c('private a string', single({ private: 'yes' })),
  c('unsorted keys in info', {
    info: dict(['pieces', hashes(1)], ['name', 'a'], ['length', 5], ['piece length', 16384]),
  }),
  c('piece length 0', single({ 'piece length': 0 })),
  c('piece length negative', single({ 'piece length': -16384 })),
  c('piece length a string', single({ 'piece length': '16384' })),
  c('piece length odd but positive', single({ 'piece length': 1000, pieces: hashes(1) })),
  c('piece length 512 MiB', single({ 'piece length': 2 ** 29 }), {
    weRefuse: /piece length .* outside/,
  }),
  c('piece length 2 GiB', single({ 'piece length': 2 ** 31 })),
  c('pieces too short', single({ pieces: hashes(1).subarray(0, 19) })),
  c('pieces for the wrong count', single({ pieces: hashes(2) })),
  c('pieces missing', single({ pieces: undefined as unknown as B })),
  c('no name', { info: { length: 5, 'piece length': 16384, pieces: hashes(1) } }),
  c('no info', { announce: 'http://x/' }),
  c('info a list', { info: [1] }),
  c('empty files list', multi([])),
  c('total length 0', multi([{ length: 0, path: ['a'] }], { total: 0 })),
  c('negative length', multi([{ length: -1, path: ['a'] }])),
  c('a path component not a string', multi([{ length: 1, path: [5] }])),
  c('a path that is empty', multi([{ length: 1, path: [] }])),
  c('meta version 3', single({ 'meta version': 3 })),
  c(
    'file tree without meta version',
    single({
      'file tree': { 'a.bin': { '': { length: 100, 'pieces root': Buffer.alloc(32, 1) } } },
    }),
  ),
  c('meta version 2 without a file tree', single({ 'meta version': 2 })),
];
// the padding after the dictionary in "bytes after the dictionary"
cases.find((x) => x.label === 'bytes after the dictionary')!.torrent = Buffer.concat([
  be(single()),
  Buffer.from('\r\n\0garbage'),
]);
// libtorrent refuses only above its own piece count limit; a 2 GiB piece is refused by both
cases.find((x) => x.label === 'pieces missing')!.torrent = be({
  info: { length: 100, name: 'a.bin', 'piece length': 16384 },
});

function ours(
  t: Buffer,
): { ok: true; m: ReturnType<typeof parseTorrent> } | { ok: false; error: string } {
  try {
    return { ok: true, m: parseTorrent(t) };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

function judgeAgainst(cs: Case[], verdicts: LtVerdict[]): void {
  cs.forEach((k, i) => {
    const lt = verdicts[i];
    const us = ours(k.torrent);
    if (k.weRefuse) {
      expect({ label: k.label, lt: lt.ok }).toEqual({ label: k.label, lt: true });
      expect(us.ok ? 'opened' : us.error).toMatch(k.weRefuse);
      return;
    }
    expect({ label: k.label, ok: us.ok, lt: lt.error ?? 'opened' }).toEqual({
      label: k.label,
      ok: lt.ok,
      lt: lt.error ?? 'opened',
    });
    if (!us.ok) {
      // one clear line, naming the problem
      expect(us.error).toMatch(/^invalid torrent: |^bencode: /);
      expect(us.error).not.toContain('\n');
      return;
    }
    const m = us.m;
    expect({ label: k.label, hash: m.infoHash }).toEqual({ label: k.label, hash: lt.v1 });
    expectSafe(m);
    if (k.pathsDiffer) return;
    const portable = (p: string) => p.split('/').map(portableComponent).join('/');
    expect({ label: k.label, name: m.name }).toEqual({
      label: k.label,
      name: portableComponent(lt.name!),
    });
    expect({ label: k.label, files: ourPaths(m) }).toEqual({
      label: k.label,
      files: lt.files!.map(portable),
    });
    const slash =
      m.multiFile && m.files.length > 1
        ? (u: string) => (u.endsWith('/') ? u : `${u}/`)
        : (u: string) => u;
    expect({ label: k.label, seeds: m.urlList.map(slash) }).toEqual({
      label: k.label,
      seeds: lt.webSeeds,
    });
  });
}

test('a corpus of odd torrents: the same verdict, info-hash and names as libtorrent', async () => {
  const verdicts = await libtorrent(cases.map((k) => k.torrent));
  judgeAgainst(cases, verdicts);
  // the corpus exercises both sides
  expect(verdicts.filter((v) => v.ok).length).toBeGreaterThan(30);
  expect(verdicts.filter((v) => !v.ok).length).toBeGreaterThan(15);
  // and enjambre says which names it changed
  const m = parseTorrent(cases[1].torrent);
  expect(m.sanitized.map((s) => [s.original, s.stored])).toEqual([
    ['../../etc/passwd', 'etc/passwd'],
    ['a/../b', 'a/b'],
  ]);
});

test('random hostile names: the same names as libtorrent (property, 400 torrents)', async () => {
  const piece = fc.constantFrom(
    ...['a', 'B', '.', '..', '/', '\\', 'é', '\u202e', '\x00', '\x01', 'x'.repeat(120)].map((s) =>
      Buffer.from(s),
    ),
    Buffer.from([0xff]),
    Buffer.from([0xe2, 0x82]),
    Buffer.from([0xc3]),
  );
  const component = fc.array(piece, { maxLength: 6 }).map((ps) => Buffer.concat(ps));
  const torrentArb = fc.record({
    name: component,
    files: fc.array(fc.array(component, { minLength: 1, maxLength: 3 }), {
      minLength: 1,
      maxLength: 5,
    }),
  });
  const samples = fc.sample(torrentArb, { numRuns: 400, seed: 20261202 });
  const built = samples.map((s) => ({
    label: JSON.stringify(s.files.map((p) => p.map((b) => b.toString('latin1')))),
    torrent: be(
      multi(
        s.files.map((p) => ({ length: 1, path: p })),
        { name: s.name },
      ),
    ),
  }));
  const verdicts = await libtorrent(built.map((b) => b.torrent));
  // (the corpus above covers what the portable step changes: spaces, ':', DEL, device names)
  // where it renamed something, duplicates can resolve differently: check safety only
  const withPortable = built.map((b, i) => {
    const lt = verdicts[i];
    const changed =
      lt.ok &&
      [lt.name!, ...lt.files!.flatMap((f) => f.split('/'))].some((p) => portableComponent(p) !== p);
    return { ...b, ...(changed ? { pathsDiffer: 'the portable step renamed a component' } : {}) };
  });
  judgeAgainst(withPortable, verdicts);
  expect(withPortable.filter((b) => !b.pathsDiffer).length).toBeGreaterThan(100);
});

test('hybrid torrents libtorrent makes: the same verdicts on them and on tampered copies', async () => {
  const dir = path.join(tmp, 'hybrid');
  const script = `
import libtorrent as lt, os, sys
d = sys.argv[1]
os.makedirs(os.path.join(d, 'h'), exist_ok=True)
open(os.path.join(d, 'h', 'a.bin'), 'wb').write(bytes(range(256)) * 400)
open(os.path.join(d, 'h', 'b.bin'), 'wb').write(b'b' * 5000)
fs = lt.file_storage()
lt.add_files(fs, os.path.join(d, 'h'))
t = lt.create_torrent(fs, 16384, flags=0)
lt.set_piece_hashes(t, d)
sys.stdout.buffer.write(lt.bencode(t.generate()))
`;
  const { stdout } = await run('/usr/bin/python3', ['-c', script, dir], { encoding: 'buffer' });
  const good = stdout as unknown as Buffer;
  const top = decodePrefix(good).value as BencodeDict;
  const info = top.info as BencodeDict;
  const tree = info['file tree'] as BencodeDict;
  const layers = top['piece layers'] as BencodeDict;
  const firstLayerKey = Object.keys(layers)[0];
  const clone = <T>(v: T): T => decodePrefix(encode(v as never)).value as T;

  const wrongLength = clone(top);
  (((wrongLength.info as BencodeDict)['file tree'] as BencodeDict)['a.bin'] as BencodeDict)[''] = {
    ...((tree['a.bin'] as BencodeDict)[''] as BencodeDict),
    length: 102401,
  };
  const badLayer = clone(top);
  const layer = Buffer.from((badLayer['piece layers'] as BencodeDict)[firstLayerKey] as Buffer);
  layer[0] ^= 1;
  (badLayer['piece layers'] as BencodeDict)[firstLayerKey] = layer;
  const shortLayer = clone(top);
  (shortLayer['piece layers'] as BencodeDict)[firstLayerKey] = layer.subarray(32);
  const noLayers = clone(top);
  delete noLayers['piece layers'];
  const missingPad = clone(top);
  const v1files = ((missingPad.info as BencodeDict).files as BencodeDict[]).filter(
    (f) => !String(f.attr ?? '').includes('p'),
  );
  (missingPad.info as BencodeDict).files = v1files;
  (missingPad.info as BencodeDict).pieces = Buffer.alloc(20 * Math.ceil(107400 / 16384));

  const corpus: Case[] = [
    { label: 'hybrid from libtorrent', torrent: good },
    { label: 'file tree length differs', torrent: encode(wrongLength as never) },
    // libtorrent's torrent_info opens it, its add_torrent refuses it ("a piece layer is
    // invalid"): metainfo-v2.test.ts judges with both
    {
      label: 'piece layer tampered',
      torrent: encode(badLayer as never),
      weRefuse: /does not match its pieces root/,
    },
    { label: 'piece layer too short', torrent: encode(shortLayer as never) },
    { label: 'piece layers missing', torrent: encode(noLayers as never) },
    { label: 'pad files missing', torrent: encode(missingPad as never) },
  ];
  const verdicts = await libtorrent(corpus.map((k) => k.torrent));
  judgeAgainst(corpus, verdicts);
  const m = parseTorrent(good);
  expect(m.hybrid).toBe(true);
  expect(m.infoHashV2).toBe(
    createHash('sha256')
      .update(encode(info as never))
      .digest('hex'),
  );
  expect(isDict(info)).toBe(true);
});
