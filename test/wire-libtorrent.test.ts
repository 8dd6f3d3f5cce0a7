/**
 * The peer wire codec against a real peer: Debian's libtorrent 2.0 (python3-libtorrent) seeds a
 * small torrent on 127.0.0.1, we connect with a plain socket, and everything it sends must decode:
 * handshake, extended handshake, have-all/bitfield, unchoke and the piece we ask for.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Socket, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  MessageCollector,
  WireDecoder,
  WireEvent,
  createPeerId,
  decodeExtendedHandshake,
  encodeExtended,
  encodeExtendedHandshake,
  encodeHandshake,
  encodeInterested,
  encodeRequest,
  describePeerId,
} from '@enjambre/bittorrent';

const PIECE_LENGTH = 32768;
const FILE_LENGTH = 3 * PIECE_LENGTH + 1000;

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
print(json.dumps({'port': ses.listen_port(), 'infoHash': str(ti.info_hash()),
                  'pieces': ti.num_pieces()}), flush=True)
sys.stdin.read()
`;

let dir: string;
let seeder: ChildProcess;
let socket: Socket | undefined;
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
  socket?.destroy();
  seeder?.stdin?.end();
  seeder?.kill();
  rmSync(dir, { recursive: true, force: true });
});

test('a libtorrent seeder speaks our codec', async () => {
  const infoHash = Buffer.from(info.infoHash, 'hex');
  const collector = new MessageCollector();
  const decoder = new WireDecoder(collector, { pieceCount: info.pieces, maxBlockLength: 16384 });
  const wanted = { index: 1, begin: 16384, length: 16384 };

  const events = await new Promise<WireEvent[]>((resolve, reject) => {
    const s = connect(info.port, '127.0.0.1');
    socket = s;
    let requested = false;
    s.once('connect', () => {
      s.write(encodeHandshake({ infoHash, peerId: createPeerId(), extended: true, fast: true }));
      s.write(encodeExtended(0, encodeExtendedHandshake({ m: { ut_metadata: 3 }, v: 'enjambre' })));
      s.write(encodeInterested());
    });
    s.on('data', (chunk) => {
      try {
        decoder.push(chunk);
      } catch (e) {
        reject(e);
        return;
      }
      const ev = collector.events;
      if (!requested && ev.some((e) => e.type === 'unchoke')) {
        requested = true;
        s.write(encodeRequest(wanted.index, wanted.begin, wanted.length));
      }
      if (ev.some((e) => e.type === 'piece')) resolve(ev);
    });
    s.on('error', reject);
    s.on('close', () => reject(new Error('libtorrent closed the connection')));
  });

  const hs = events[0];
  if (hs.type !== 'handshake') throw new Error('first event is not the handshake');
  expect(hs.handshake.infoHash).toEqual(infoHash);
  expect(hs.handshake.extended).toBe(true);
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
  if (have?.type === 'bitfield') expect([...have.bitfield]).toEqual([0xf0]);

  const piece = events.find((e) => e.type === 'piece');
  if (piece?.type !== 'piece') throw new Error('no piece');
  expect(piece.index).toBe(wanted.index);
  expect(piece.begin).toBe(wanted.begin);
  const offset = wanted.index * PIECE_LENGTH + wanted.begin;
  expect(piece.block.equals(data.subarray(offset, offset + wanted.length))).toBe(true);
}, 60_000);
