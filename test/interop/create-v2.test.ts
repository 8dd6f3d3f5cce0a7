/**
 * v2 and hybrid torrents made by enjambre (`createTorrentFromPath`, on the calling thread and in
 * a worker pool) are read by python3-libtorrent 2.0.8 with the same v1 and v2 info-hashes, and
 * libtorrent, checking the data on disk against them, finds every piece good. A v2-only torrent
 * of a folder is byte for byte the info dictionary libtorrent makes of it.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { createTorrentFromPath } from '@enjambre/engine';

const run = promisify(execFile);
jest.setTimeout(120_000);

let tmp: string;
let folder: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'ej-create-v2-'));
  folder = path.join(tmp, 'share');
  const sizes: Record<string, number> = {
    'a.bin': 300_001,
    'b/c.bin': 16_384,
    'b/d.txt': 999,
    'b/empty': 0,
    'e.bin': 1_048_576,
  };
  let seed = 3;
  for (const [rel, n] of Object.entries(sizes)) {
    await mkdir(path.dirname(path.join(folder, rel)), { recursive: true });
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = (i * 13 + seed + (i >> 9)) & 0xff;
    await writeFile(path.join(folder, rel), b);
    seed += 5;
  }
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** libtorrent reads `torrent`, checks the data under `dataDir`, and says what it found. */
const CHECK = `
import sys, time, json, libtorrent as lt
ti = lt.torrent_info(sys.argv[1])
s = lt.session({'listen_interfaces': '127.0.0.1:0', 'enable_dht': False, 'enable_lsd': False,
                'enable_upnp': False, 'enable_natpmp': False})
p = lt.add_torrent_params()
p.ti = ti
p.save_path = sys.argv[2]
p.flags = lt.torrent_flags.upload_mode
h = s.add_torrent(p)
deadline = time.time() + 60
checking = (lt.torrent_status.checking_files, lt.torrent_status.checking_resume_data)
st = h.status()
while time.time() < deadline:
    time.sleep(0.05)
    st = h.status()
    if st.errc.value() != 0 or st.state not in checking:
        break
ih = ti.info_hashes()
print(json.dumps({"v1": str(ih.v1) if ih.has_v1() else None, "v2": str(ih.v2) if ih.has_v2() else None,
                  "ppm": st.progress_ppm, "error": st.errc.message() if st.errc.value() else None,
                  "pieces": ti.num_pieces()}))
`;
const LT_MAKES_V2 = `
import sys, libtorrent as lt
fs = lt.file_storage()
lt.add_files(fs, sys.argv[1])
t = lt.create_torrent(fs, int(sys.argv[2]), flags=lt.create_torrent.v2_only)
lt.set_piece_hashes(t, sys.argv[3])
sys.stdout.buffer.write(lt.bencode(t.generate()[b'info']))
`;

test.each([
  ['v2', 0, 16384],
  ['v2', 2, 65536],
  ['hybrid', 0, 16384],
  ['hybrid', 2, 32768],
  ['v1', 2, 32768],
] as const)(
  '%s with %d hashing threads, pieces of %d: libtorrent reads it and finds the data good',
  async (format, threads, pieceLength) => {
    const created = await createTorrentFromPath(folder, { format, threads, pieceLength });
    const file = path.join(tmp, `${format}-${threads}-${pieceLength}.torrent`);
    await writeFile(file, created.torrent);
    const { stdout } = await run('/usr/bin/python3', ['-c', CHECK, file, tmp]);
    const lt = JSON.parse(stdout) as {
      v1: string | null;
      v2: string | null;
      ppm: number;
      error: string | null;
      pieces: number;
    };
    const m = created.metainfo;
    expect(lt.error).toBeNull();
    expect(lt.v2).toBe(m.infoHashV2 ?? null);
    expect(lt.v1).toBe(format === 'v2' ? null : m.infoHash);
    expect(lt.pieces).toBe(m.pieceCount);
    expect(lt.ppm).toBe(1_000_000);
    // the stamps name every file in the torrent's order, pad files as null
    expect(created.verified.length).toBe(m.files.length);
    m.files.forEach((f, i) => expect(created.verified[i] === null).toBe(f.pad));
    if (format === 'v2') {
      const mine = await run(
        '/usr/bin/python3',
        ['-c', LT_MAKES_V2, folder, String(pieceLength), tmp],
        {
          encoding: 'buffer',
          maxBuffer: 16 << 20,
        },
      );
      expect(Buffer.compare(mine.stdout as unknown as Buffer, m.infoBuffer)).toBe(0);
    }
  },
);
