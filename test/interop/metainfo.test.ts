/**
 * Interop of .torrent files with the real tools: mktorrent, transmission-create/-show and
 * libtorrent (Debian's python3-libtorrent). Their torrents must parse here with the info-hash
 * transmission-show prints; ours must be read by them with our info-hash, and our piece hashes
 * must match the data.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Metainfo, encodeTorrent, parseTorrent } from '@enjambre/bittorrent';
import { createTorrentFromPath } from '@enjambre/engine';

const run = promisify(execFile);
let tmp: string;
let single: string;
let tree: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'enjambre-interop-metainfo-'));
  single = path.join(tmp, 'single file.bin');
  await writeFile(single, randomBytes(3 * 1024 * 1024 + 12345));
  tree = path.join(tmp, 'tree');
  await mkdir(path.join(tree, 'docs', 'deep'), { recursive: true });
  await mkdir(path.join(tree, 'media'));
  await writeFile(path.join(tree, 'docs', 'readme.txt'), randomBytes(1000));
  await writeFile(path.join(tree, 'docs', 'deep', 'data.bin'), randomBytes(1_500_000));
  await writeFile(path.join(tree, 'media', 'clip ñ.bin'), randomBytes(700_001));
  await writeFile(path.join(tree, 'top.bin'), randomBytes(65536));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function transmissionShow(
  file: string,
): Promise<{ hash: string; name: string; out: string }> {
  const { stdout } = await run('transmission-show', [file]);
  const hash = /^\s*Hash: ([0-9a-f]{40})$/m.exec(stdout)?.[1];
  const name = /^\s*Name: (.*)$/m.exec(stdout)?.[1];
  if (!hash || name === undefined)
    throw new Error(`unexpected transmission-show output:\n${stdout}`);
  return { hash, name, out: stdout };
}

interface LibtorrentView {
  infoHash: string;
  name: string;
  pieceLength: number;
  numPieces: number;
  totalSize: number;
  priv: boolean;
  files: { path: string; size: number; offset: number }[];
  trackers: string[];
  webSeeds: string[];
  pieceHashes: string[];
}

const LIBTORRENT_SCRIPT = `
import json, sys
import libtorrent as lt
ti = lt.torrent_info(sys.argv[1])
fs = ti.files()
print(json.dumps({
  "infoHash": str(ti.info_hash()),
  "name": ti.name(),
  "pieceLength": ti.piece_length(),
  "numPieces": ti.num_pieces(),
  "totalSize": ti.total_size(),
  "priv": ti.priv(),
  "files": [{"path": fs.file_path(i), "size": fs.file_size(i), "offset": fs.file_offset(i)}
            for i in range(fs.num_files())],
  "trackers": [t.url for t in ti.trackers()],
  "webSeeds": [w["url"] for w in ti.web_seeds()],
  "pieceHashes": [ti.hash_for_piece(i).hex() for i in range(ti.num_pieces())],
}))
`;

async function libtorrent(file: string): Promise<LibtorrentView> {
  const { stdout } = await run('/usr/bin/python3', ['-c', LIBTORRENT_SCRIPT, file]);
  return JSON.parse(stdout) as LibtorrentView;
}

/** The shared data laid end to end, read from disk in the torrent's file order. */
async function dataOf(m: Metainfo, root: string): Promise<Buffer> {
  const parts = await Promise.all(
    m.files.map((f) =>
      f.pad ? Buffer.alloc(f.length) : readFile(m.multiFile ? path.join(root, ...f.path) : root),
    ),
  );
  return Buffer.concat(parts);
}

async function expectPiecesMatchData(m: Metainfo, root: string): Promise<void> {
  const data = await dataOf(m, root);
  expect(data.length).toBe(m.totalLength);
  for (let i = 0; i < m.pieceCount; i++) {
    const piece = data.subarray(i * m.pieceLength, i * m.pieceLength + m.pieceSize(i));
    expect(createHash('sha1').update(piece).digest().equals(m.pieceHash(i))).toBe(true);
  }
}

describe('torrents made by other tools parse here with their info-hash', () => {
  test.each([
    ['mktorrent', 'single'],
    ['mktorrent', 'tree'],
    ['transmission-create', 'single'],
    ['transmission-create', 'tree'],
  ])('%s, %s', async (tool, which) => {
    const source = which === 'single' ? single : tree;
    const out = path.join(tmp, `${tool}-${which}.torrent`);
    await rm(out, { force: true });
    if (tool === 'mktorrent') {
      await run('mktorrent', ['-l', '15', '-a', 'http://127.0.0.1:1/announce', '-o', out, source]);
    } else {
      await run('transmission-create', [
        '-s',
        '32',
        '-t',
        'http://127.0.0.1:1/announce',
        '-o',
        out,
        source,
      ]);
    }
    const m = parseTorrent(await readFile(out));
    const shown = await transmissionShow(out);
    expect(m.infoHash).toBe(shown.hash);
    expect(m.name).toBe(shown.name);
    expect(m.pieceLength).toBe(32768);
    expect(m.announce).toEqual([['http://127.0.0.1:1/announce']]);
    expect(m.multiFile).toBe(which === 'tree');
    if (which === 'tree') {
      expect(m.files.map((f) => f.path.join('/')).sort()).toEqual(
        ['docs/deep/data.bin', 'docs/readme.txt', 'media/clip ñ.bin', 'top.bin'].sort(),
      );
    }
    await expectPiecesMatchData(m, source);
    // and libtorrent agrees on the hash of the same file
    expect((await libtorrent(out)).infoHash).toBe(m.infoHash);
  });

  test('a torrent made by libtorrent parses with its info-hash', async () => {
    const out = path.join(tmp, 'libtorrent-tree.torrent');
    const script = `
import sys, libtorrent as lt
fs = lt.file_storage()
lt.add_files(fs, sys.argv[1])
ct = lt.create_torrent(fs, 16384, flags=lt.create_torrent.v1_only)
ct.add_tracker("http://127.0.0.1:1/announce")
lt.set_piece_hashes(ct, sys.argv[2])
open(sys.argv[3], "wb").write(lt.bencode(ct.generate()))
`;
    await run('/usr/bin/python3', ['-c', script, tree, tmp, out]);
    const m = parseTorrent(await readFile(out));
    expect(m.infoHash).toBe((await transmissionShow(out)).hash);
    // libtorrent may align files with BEP 47 pad files; they must be recognized as such
    for (const f of m.files) if (f.attr.includes('p')) expect(f.pad).toBe(true);
    const real = m.files.filter((f) => !f.pad).map((f) => f.path.join('/'));
    expect(real.sort()).toEqual(
      ['docs/deep/data.bin', 'docs/readme.txt', 'media/clip ñ.bin', 'top.bin'].sort(),
    );
  });
});

test('libtorrent hybrid and v2-only torrents (BEP 52) parse with both hashes', async () => {
  const script = `
import sys, json, libtorrent as lt
out = {}
for name, flags in [("hybrid", 0), ("v2", lt.create_torrent.v2_only)]:
    fs = lt.file_storage()
    lt.add_files(fs, sys.argv[1])
    ct = lt.create_torrent(fs, 16384, flags=flags)
    lt.set_piece_hashes(ct, sys.argv[2])
    path = sys.argv[3] + "/" + name + ".torrent"
    open(path, "wb").write(lt.bencode(ct.generate()))
    ih = lt.torrent_info(path).info_hashes()
    out[name] = {"path": path, "v1": str(ih.v1), "v2": str(ih.v2)}
print(json.dumps(out))
`;
  const { stdout } = await run('/usr/bin/python3', ['-c', script, tree, tmp, tmp]);
  const made = JSON.parse(stdout) as Record<string, { path: string; v1: string; v2: string }>;
  const hybrid = parseTorrent(await readFile(made.hybrid.path));
  expect(hybrid.hybrid).toBe(true);
  expect(hybrid.infoHash).toBe(made.hybrid.v1);
  expect(hybrid.infoHashV2).toBe(made.hybrid.v2);
  expect(hybrid.files.some((f) => f.pad)).toBe(true);
  await expectPiecesMatchData(hybrid, tree); // pad files count as zeros
  const v2 = parseTorrent(readFileSync(made.v2.path));
  expect(v2.infoHashV2).toBe(made.v2.v2);
  expect(v2.infoHash).toBe(made.v2.v2.slice(0, 40));
  expect(v2.files.filter((f) => !f.pad).map((f) => f.path)).toEqual(
    hybrid.files.filter((f) => !f.pad).map((f) => f.path),
  );
});

describe('torrents enjambre makes are read by transmission and libtorrent', () => {
  test.each([
    ['single', 0],
    ['single', 2],
    ['tree', 0],
    ['tree', 2],
  ] as const)('%s (threads %d)', async (which, threads) => {
    const source = which === 'single' ? single : tree;
    const created = await createTorrentFromPath(source, {
      threads,
      pieceLength: 32768,
      announce: [['http://127.0.0.1:1/announce'], ['http://127.0.0.1:2/announce']],
      urlList: ['http://127.0.0.1:3/seed/'],
      comment: 'made by enjambre',
      createdBy: 'enjambre test',
      private: which === 'tree',
    });
    const out = path.join(tmp, `enjambre-${which}-${threads}.torrent`);
    await writeFile(out, created.torrent);
    const m = created.metainfo;

    const shown = await transmissionShow(out);
    expect(shown.hash).toBe(m.infoHash);
    expect(shown.name).toBe(path.basename(source));
    expect(shown.out).toContain(which === 'tree' ? 'Private torrent' : 'Public torrent');

    const lt = await libtorrent(out);
    expect(lt.infoHash).toBe(m.infoHash);
    expect(lt.name).toBe(m.name);
    expect(lt.pieceLength).toBe(32768);
    expect(lt.numPieces).toBe(m.pieceCount);
    expect(lt.totalSize).toBe(m.totalLength);
    expect(lt.priv).toBe(which === 'tree');
    expect(lt.trackers).toEqual(['http://127.0.0.1:1/announce', 'http://127.0.0.1:2/announce']);
    expect(lt.webSeeds).toEqual(['http://127.0.0.1:3/seed/']);
    expect(lt.files.map((f) => [f.path, f.size, f.offset])).toEqual(
      m.files.map((f) => [path.join(m.multiFile ? m.name : '', ...f.path), f.length, f.offset]),
    );
    expect(lt.pieceHashes).toEqual(
      Array.from({ length: m.pieceCount }, (_, i) => m.pieceHash(i).toString('hex')),
    );
    await expectPiecesMatchData(m, source);
  });

  test('mktorrent and enjambre give the same info-hash for the same data and piece length', async () => {
    const out = path.join(tmp, 'same.torrent');
    await rm(out, { force: true });
    await run('mktorrent', ['-l', '16', '-a', 'http://127.0.0.1:1/announce', '-o', out, single]);
    const ours = await createTorrentFromPath(single, { pieceLength: 65536 });
    expect(ours.metainfo.infoHash).toBe(parseTorrent(await readFile(out)).infoHash);
  });

  test('re-wrapping an info dictionary with new trackers keeps the hash', async () => {
    const out = path.join(tmp, 'transmission-create-rewrap.torrent');
    await run('transmission-create', ['-o', out, tree]);
    const m = parseTorrent(await readFile(out));
    const rewrapped = path.join(tmp, 'rewrapped.torrent');
    await writeFile(rewrapped, encodeTorrent(m.infoBuffer, { announce: ['http://127.0.0.1:9/a'] }));
    const shown = await transmissionShow(rewrapped);
    expect(shown.hash).toBe(m.infoHash);
    expect(shown.out).toContain('http://127.0.0.1:9/a');
  });
});
