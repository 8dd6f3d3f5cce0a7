/**
 * The peer wire codec against aria2 and transmission-cli seeding a mktorrent torrent on
 * 127.0.0.1: everything they send must decode, the block we request must match the file, and the
 * info dictionary fetched over ut_metadata (BEP 9) must hash to the info-hash.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  WireEvent,
  decodeExtendedHandshake,
  describePeerId,
  parseTorrent,
} from '@enjambre/bittorrent';
import { exchange, fetchMetadata } from './wire-exchange';

const PIECE_LENGTH = 32768; // mktorrent's smallest (-l 15)
const FILE_LENGTH = 20 * PIECE_LENGTH + 500; // 21 pieces

let dir: string;
let data: Buffer;
const procs: ChildProcess[] = [];

/** A free TCP port (these clients take a fixed listening port, not 0). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** A seeding copy of the data in its own folder, and its torrent (no tracker). */
function prepare(name: string): {
  folder: string;
  torrent: string;
  infoHash: Buffer;
  pieces: number;
} {
  const folder = join(dir, name);
  mkdirSync(folder);
  writeFileSync(join(folder, 'data.bin'), data);
  const torrent = join(dir, `${name}.torrent`);
  execFileSync('mktorrent', ['-l', '15', '-o', torrent, join(folder, 'data.bin')], {
    stdio: 'ignore',
  });
  const meta = parseTorrent(readFileSync(torrent));
  return { folder, torrent, infoHash: meta.infoHashBuffer, pieces: meta.pieceCount };
}

/**
 * Retries while the client is still starting (connection refused) or drops a quick reconnection
 * from an address it still counts as connected (transmission does).
 */
async function whenUp<T>(attemptOnce: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await attemptOnce();
    } catch (e) {
      const early = /ECONNREFUSED|ECONNRESET|closed the connection/.test(String(e));
      if (!early || attempt >= 40) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

function checkExchange(
  events: WireEvent[],
  infoHash: Buffer,
  client: RegExp,
  wanted: { index: number; begin: number; length: number },
): void {
  const hs = events[0];
  if (hs.type !== 'handshake') throw new Error('first event is not the handshake');
  expect(hs.handshake.infoHash).toEqual(infoHash);
  expect(hs.handshake.extended).toBe(true);
  expect(describePeerId(hs.handshake.peerId)).toMatch(client);
  const ext = events.find((e) => e.type === 'extended');
  if (ext?.type !== 'extended') throw new Error('no extended handshake');
  expect(decodeExtendedHandshake(ext.payload).m.ut_metadata).toBeGreaterThan(0);
  const have = events.find((e) => e.type === 'have-all' || e.type === 'bitfield');
  expect(have).toBeDefined();
  if (have?.type === 'bitfield') expect([...have.bitfield]).toEqual([0xff, 0xff, 0xf8]);
  const piece = events.find((e) => e.type === 'piece');
  if (piece?.type !== 'piece') throw new Error('no piece');
  expect([piece.index, piece.begin]).toEqual([wanted.index, wanted.begin]);
  const offset = wanted.index * PIECE_LENGTH + wanted.begin;
  expect(piece.block.equals(data.subarray(offset, offset + wanted.length))).toBe(true);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'enjambre-wire-clients-'));
  data = Buffer.alloc(FILE_LENGTH);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 9)) & 255;
});

afterAll(() => {
  for (const p of procs) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

test('aria2 seeds to our codec', async () => {
  const t = prepare('aria2');
  const port = await freePort();
  procs.push(
    spawn(
      'aria2c',
      [
        `--dir=${t.folder}`,
        '--enable-dht=false',
        '--enable-dht6=false',
        '--bt-enable-lpd=false',
        '--enable-peer-exchange=false',
        `--listen-port=${port}`,
        '--bt-seed-unverified=true',
        '--seed-ratio=0.0',
        '--summary-interval=0',
        '--console-log-level=error',
        t.torrent,
      ],
      { stdio: 'ignore' },
    ),
  );
  const wanted = { index: 20, begin: 0, length: 500 };
  const events = await whenUp(() => exchange(port, t.infoHash, t.pieces, wanted));
  checkExchange(events, t.infoHash, /^aria2 1\./, wanted);
  const infoDict = await whenUp(() => fetchMetadata(port, t.infoHash));
  expect(createHash('sha1').update(infoDict).digest()).toEqual(t.infoHash);
}, 60_000);

test('transmission-cli seeds to our codec', async () => {
  const t = prepare('transmission');
  const config = join(dir, 'transmission-config');
  mkdirSync(config);
  const port = await freePort();
  writeFileSync(
    join(config, 'settings.json'),
    JSON.stringify({
      'dht-enabled': false,
      'lpd-enabled': false,
      'pex-enabled': false,
      'port-forwarding-enabled': false,
      'utp-enabled': false,
      'peer-port': port,
      'bind-address-ipv4': '127.0.0.1',
    }),
  );
  procs.push(
    spawn('transmission-cli', ['-g', config, '-w', t.folder, '-p', String(port), t.torrent], {
      stdio: 'ignore',
    }),
  );
  const wanted = { index: 3, begin: 16384, length: 16384 };
  const infoDict = await whenUp(() => fetchMetadata(port, t.infoHash));
  expect(createHash('sha1').update(infoDict).digest()).toEqual(t.infoHash);
  const events = await whenUp(() => exchange(port, t.infoHash, t.pieces, wanted));
  checkExchange(events, t.infoHash, /^Transmission 3\.00/, wanted);
}, 60_000);
