/**
 * BitTorrent v2 and hybrid torrents (BEP 52) made by python3-libtorrent 2.0.8, and tampered
 * copies, judged by libtorrent and by enjambre in the same run: the same verdict (libtorrent's
 * `torrent_info` and then its `add_torrent`, which is where it checks piece layers against their
 * roots), the same v1 and v2 info-hashes. The roots and piece layers libtorrent wrote must also
 * be what enjambre's merkle module computes from the data.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import {
  decodePrefix,
  encode,
  fileRoot,
  parseTorrent,
  pieceHashV2,
  splitHashes,
  type BencodeDict,
} from '@enjambre/bittorrent';

const run = promisify(execFile);
jest.setTimeout(120_000);

let tmp: string;
let content: string;
const sizes: Record<string, number> = {
  'a.bin': 100_000, // several pieces, a short last block
  'b/c.bin': 16_384, // exactly one block
  'b/d.bin': 5_000, // less than a block
  'b/e/f.bin': 262_145, // one byte past a power of two of blocks
  'empty.txt': 0,
};

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'ej-v2-'));
  content = path.join(tmp, 'content');
  let seed = 1;
  for (const [rel, n] of Object.entries(sizes)) {
    await mkdir(path.dirname(path.join(content, rel)), { recursive: true });
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 11)) & 0xff;
    await writeFile(path.join(content, rel), b);
    seed++;
  }
  await writeFile(path.join(tmp, 'single.bin'), Buffer.alloc(70_000, 0x33));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** libtorrent makes a torrent of `source` (under tmp) in `format`, piece length `pl`. */
async function libtorrentMakes(source: string, format: 'v2' | 'hybrid', pl: number) {
  const script = `
import sys, libtorrent as lt
fs = lt.file_storage()
lt.add_files(fs, sys.argv[1])
flags = lt.create_torrent.v2_only if sys.argv[2] == 'v2' else 0
t = lt.create_torrent(fs, int(sys.argv[3]), flags=flags)
lt.set_piece_hashes(t, sys.argv[4])
sys.stdout.buffer.write(lt.bencode(t.generate()))
`;
  const { stdout } = await run(
    '/usr/bin/python3',
    ['-c', script, path.join(tmp, source), format, String(pl), tmp],
    { encoding: 'buffer', maxBuffer: 64 << 20 },
  );
  return stdout as unknown as Buffer;
}

interface Verdict {
  ok: boolean;
  error?: string;
  v1?: string;
  v2?: string;
}
const JUDGE = `
import base64, json, sys, time, libtorrent as lt
s = lt.session({'listen_interfaces': '127.0.0.1:0', 'enable_dht': False, 'enable_lsd': False,
                'enable_upnp': False, 'enable_natpmp': False})
out = []
for b64 in json.load(sys.stdin):
    try:
        ti = lt.torrent_info(base64.b64decode(b64))
        p = lt.add_torrent_params()
        p.ti = ti
        p.save_path = sys.argv[1]
        p.flags = lt.torrent_flags.paused
        h = s.add_torrent(p)
        s.remove_torrent(h)
        while s.get_torrents():
            time.sleep(0.01)
        ih = ti.info_hashes()
        out.append({"ok": True, "v1": str(ih.v1) if ih.has_v1() else None,
                    "v2": str(ih.v2) if ih.has_v2() else None})
    except Exception as e:
        out.append({"ok": False, "error": str(e)})
print(json.dumps(out))
`;
async function libtorrentJudges(torrents: Buffer[]): Promise<Verdict[]> {
  const input = path.join(tmp, `judge-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(input, JSON.stringify(torrents.map((t) => t.toString('base64'))));
  const { stdout } = await run(
    '/bin/sh',
    [
      '-c',
      `/usr/bin/python3 -c "$1" "$2" < "$3"`,
      'judge',
      JUDGE,
      path.join(tmp, 'nowhere'),
      input,
    ],
    { maxBuffer: 64 << 20 },
  );
  return JSON.parse(stdout) as Verdict[];
}

const clone = (v: BencodeDict): BencodeDict => decodePrefix(encode(v)).value as BencodeDict;

/** Tampered copies of a libtorrent torrent; each label says what changed. */
function tampered(good: Buffer): Array<[string, Buffer]> {
  const top = decodePrefix(good).value as BencodeDict;
  const layers = top['piece layers'] as BencodeDict;
  const key = Object.keys(layers)[0];
  const out: Array<[string, BencodeDict]> = [];
  const edit = (label: string, f: (t: BencodeDict) => void) => {
    const t = clone(top);
    f(t);
    out.push([label, t]);
  };
  const info = (t: BencodeDict) => t.info as BencodeDict;
  const firstLeaf = (t: BencodeDict): BencodeDict => {
    let node = info(t)['file tree'] as BencodeDict;
    while (!('' in node)) node = node[Object.keys(node).sort()[0]] as BencodeDict;
    return node[''] as BencodeDict;
  };
  edit('a layer byte flipped', (t) => {
    const l = Buffer.from((t['piece layers'] as BencodeDict)[key] as Buffer);
    l[l.length - 1] ^= 0x80;
    (t['piece layers'] as BencodeDict)[key] = l;
  });
  edit('a layer one hash short', (t) => {
    const l = (t['piece layers'] as BencodeDict)[key] as Buffer;
    (t['piece layers'] as BencodeDict)[key] = l.subarray(0, l.length - 32);
  });
  edit('a layer one hash long', (t) => {
    const l = (t['piece layers'] as BencodeDict)[key] as Buffer;
    (t['piece layers'] as BencodeDict)[key] = Buffer.concat([l, l.subarray(0, 32)]);
  });
  edit('no piece layers', (t) => delete t['piece layers']);
  edit('piece layers not a dictionary', (t) => (t['piece layers'] = Buffer.from('x')));
  edit('a layer keyed by 31 bytes', (t) => {
    (t['piece layers'] as BencodeDict)['k'.repeat(31)] = Buffer.alloc(64);
  });
  edit('a pieces root changed', (t) => {
    const leaf = firstLeaf(t);
    const r = Buffer.from(leaf['pieces root'] as Buffer);
    r[0] ^= 1;
    leaf['pieces root'] = r;
  });
  edit('a file length changed', (t) => {
    const leaf = firstLeaf(t);
    leaf.length = (leaf.length as number) + 16384;
  });
  edit('meta version 3', (t) => (info(t)['meta version'] = 3));
  edit('piece length not a power of two', (t) => (info(t)['piece length'] = 49152));
  edit('no file tree', (t) => delete info(t)['file tree']);
  if (info(top).files) {
    edit('hybrid without its pad files', (t) => {
      const files = info(t).files as BencodeDict[];
      info(t).files = files.filter((f) => !String(f.attr ?? '').includes('p'));
    });
    edit('hybrid with a v1 length changed', (t) => {
      const f = (info(t).files as BencodeDict[])[0];
      f.length = (f.length as number) - 1;
    });
  }
  return out.map(([l, t]) => [l, encode(t)]);
}

function ours(t: Buffer): Verdict & { m?: ReturnType<typeof parseTorrent> } {
  try {
    const m = parseTorrent(t);
    return {
      ok: true,
      v1: m.metaVersion === 1 || m.hybrid ? m.infoHash : undefined,
      v2: m.infoHashV2,
      m,
    };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

test.each([
  ['content', 'v2', 16384],
  ['content', 'hybrid', 16384],
  ['content', 'v2', 65536],
  ['content', 'hybrid', 32768],
  ['single.bin', 'v2', 16384],
  ['single.bin', 'hybrid', 32768],
] as const)('%s as %s, pieces of %d: libtorrent and enjambre agree', async (src, format, pl) => {
  const good = await libtorrentMakes(src, format, pl);
  const corpus: Array<[string, Buffer]> = [['as made', good], ...tampered(good)];
  const verdicts = await libtorrentJudges(corpus.map(([, t]) => t));
  corpus.forEach(([label, t], i) => {
    const lt = verdicts[i];
    const us = ours(t);
    expect({ label, ok: us.ok, lt: lt.error }).toEqual({ label, ok: lt.ok, lt: lt.error });
    if (!us.ok) {
      expect(us.error).toMatch(/^invalid torrent: |^bencode: /);
      expect(us.error).not.toContain('\n');
      return;
    }
    expect({ label, v1: us.v1 ?? null, v2: us.v2 }).toEqual({ label, v1: lt.v1, v2: lt.v2 });
    if (format === 'v2') expect(us.m!.infoHash).toBe(lt.v2!.slice(0, 40));
  });

  // the roots and layers libtorrent wrote are what the merkle module computes from the data
  const m = parseTorrent(good);
  expect(m.metaVersion).toBe(2);
  expect(m.hybrid).toBe(format === 'hybrid');
  let checked = 0;
  for (const [i, f] of m.files.entries()) {
    if (f.pad || f.length === 0) continue;
    const rel = m.multiFile ? path.join(src, ...f.path) : src;
    const data = await readFile(path.join(tmp, rel));
    expect(m.piecesRoots![i]).toEqual(fileRoot(data, pl));
    const layer = m.pieceLayers!.get(i);
    if (f.length > pl) {
      const hashes = splitHashes(layer!);
      hashes.forEach((h, k) =>
        expect(h).toEqual(pieceHashV2(data.subarray(k * pl, (k + 1) * pl), pl)),
      );
    } else {
      expect(layer).toBeUndefined();
    }
    checked++;
  }
  expect(checked).toBe(src === 'content' ? 4 : 1);
});
