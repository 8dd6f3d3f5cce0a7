/**
 * The peer wire codec against a real peer: Debian's libtorrent 2.0 (python3-libtorrent) seeds a
 * small torrent on 127.0.0.1, we connect with a plain socket, and everything it sends must decode:
 * handshake, extended handshake, have-all/bitfield, allowed-fast (checked against our BEP 6
 * computation), unchoke and the piece we ask for.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { allowedFastSet, decodeExtendedHandshake, describePeerId } from '@enjambre/bittorrent';
import { exchange, fetchMetadata } from './wire-exchange';

const PIECE_LENGTH = 16384;
const FILE_LENGTH = 64 * PIECE_LENGTH + 1000; // 65 pieces

// Seeds `dir/data.bin` with libtorrent and prints {"port", "infoHash", "pieces"} once seeding.
const SEEDER = `
import json, sys, time, libtorrent as lt
d = sys.argv[1]
fs = lt.file_storage()
lt.add_files(fs, d + '/data.bin')
ct = lt.create_torrent(fs, ${PIECE_LENGTH})
lt.set_piece_hashes(ct, d)
ti = lt.torrent_info(ct.generate())
ses = lt.session({'listen_interfaces': '127.0.0.1:0', 'enable_dht': False, 'enable_lsd': False,
                  'enable_upnp': False, 'enable_natpmp': False, 'enable_incoming_utp': False,
                  'enable_outgoing_utp': False, 'alert_mask': 0})
h = ses.add_torrent({'ti': ti, 'save_path': d})
deadline = time.time() + 60
while not h.status().is_seeding:
    if time.time() > deadline:
        sys.exit('libtorrent never started seeding')
    time.sleep(0.05)
print(json.dumps({'port': ses.listen_port(), 'infoHash': str(ti.info_hashes().v1),
                  'pieces': ti.num_pieces()}), flush=True)
sys.stdin.read()
`;

/** BEP 6's algorithm fed 127.0.0.1 without the /24 mask, as libtorrent 2.0.8 does here. */
function unmaskedAllowedFast(infoHash: Buffer, pieces: number, count: number): number[] {
  let x = Buffer.concat([Buffer.from([127, 0, 0, 1]), infoHash]);
  const set: number[] = [];
  while (set.length < count) {
    x = createHash('sha1').update(x).digest();
    for (let i = 0; i < 5 && set.length < count; i++) {
      const index = x.readUInt32BE(i * 4) % pieces;
      if (!set.includes(index)) set.push(index);
    }
  }
  return set;
}

let dir: string;
let seeder: ChildProcess;
let data: Buffer;
let info: { port: number; infoHash: string; pieces: number };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'enjambre-wire-'));
  data = Buffer.alloc(FILE_LENGTH);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 8)) & 255;
  writeFileSync(join(dir, 'data.bin'), data);
  seeder = spawn('/usr/bin/python3', ['-c', SEEDER, dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: seeder.stdout! });
    rl.once('line', resolve);
    seeder.once('exit', (code) => reject(new Error(`seeder exited with ${code}`)));
  });
  info = JSON.parse(line);
}, 90_000);

afterAll(() => {
  seeder?.stdin?.end();
  seeder?.kill();
  rmSync(dir, { recursive: true, force: true });
});

test('a libtorrent seeder speaks our codec', async () => {
  const infoHash = Buffer.from(info.infoHash, 'hex');
  const wanted = { index: 1, begin: 0, length: 16384 };
  const events = await exchange(info.port, infoHash, info.pieces, wanted);

  const hs = events[0];
  if (hs.type !== 'handshake') throw new Error('first event is not the handshake');
  expect(hs.handshake.infoHash).toEqual(infoHash);
  expect(hs.handshake.extended).toBe(true);
  expect(info.pieces).toBe(65);
  expect(hs.handshake.fast).toBe(true);
  expect(describePeerId(hs.handshake.peerId)).toMatch(/^libtorrent \(Rasterbar\) 2\.0\.8/);

  const ext = events.find((e) => e.type === 'extended');
  if (ext?.type !== 'extended') throw new Error('no extended handshake');
  expect(ext.id).toBe(0);
  const eh = decodeExtendedHandshake(ext.payload);
  expect(eh.m.ut_metadata).toBeGreaterThan(0);
  expect(eh.metadataSize).toBeGreaterThan(0);
  expect(eh.yourip).toBe('127.0.0.1');

  // a seed with the fast extension says have-all (or a full bitfield)
  const have = events.find((e) => e.type === 'have-all' || e.type === 'bitfield');
  expect(have).toBeDefined();
  if (have?.type === 'bitfield') {
    expect([...have.bitfield]).toEqual([...Array(8).fill(0xff), 0x80]);
  }

  // The pieces we may fetch while choked. libtorrent does not apply BEP 6's /24 mask to this
  // loopback address (its set is that of the whole address), so compare with that.
  const allowed = events.flatMap((e) => (e.type === 'allowed-fast' ? [e.index] : []));
  expect(allowed.length).toBeGreaterThan(0);
  expect(allowed).not.toEqual(allowedFastSet('127.0.0.1', infoHash, info.pieces, allowed.length));
  expect(allowed).toEqual(unmaskedAllowedFast(infoHash, info.pieces, allowed.length));

  const piece = events.find((e) => e.type === 'piece');
  if (piece?.type !== 'piece') throw new Error('no piece');
  expect(piece.index).toBe(wanted.index);
  expect(piece.begin).toBe(wanted.begin);
  const offset = wanted.index * PIECE_LENGTH + wanted.begin;
  expect(piece.block.equals(data.subarray(offset, offset + wanted.length))).toBe(true);
}, 60_000);

test('libtorrent serves the info dictionary over ut_metadata (BEP 9)', async () => {
  const infoHash = Buffer.from(info.infoHash, 'hex');
  const infoDict = await fetchMetadata(info.port, infoHash);
  expect(createHash('sha1').update(infoDict).digest()).toEqual(infoHash);
}, 60_000);
