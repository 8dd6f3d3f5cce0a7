/**
 * How v2 and hybrid torrents (BEP 52) meet their swarm: the v2 bit in our handshakes, a hybrid
 * peer answering with the truncated v2 info-hash, and a hybrid announced under both hashes so a
 * peer that knows only the v2 one (libtorrent from a `urn:btmh` link) finds us through a tracker.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { encodeHandshake, parseHandshake, type Handshake } from '@enjambre/bittorrent';
import { createTorrentFromPath, type Session } from '@enjambre/engine';
import { startOpentracker, startLibtorrent, stopAll, type Opentracker } from '../peers';
import { removeDir, startSession, tempDir, waitDone } from './helpers';

jest.setTimeout(120_000);

let root: string;
const sessions: Session[] = [];
beforeEach(async () => {
  root = await tempDir('v2swarm');
});
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  await stopAll();
  await removeDir(root);
});

async function share(format: 'v1' | 'v2' | 'hybrid', announce?: string) {
  const dir = path.join(root, 'seed');
  const data = new Map<string, Buffer>([
    ['a.bin', randomBytes(300_000)],
    ['sub/b.bin', randomBytes(40_000)],
  ]);
  for (const [rel, b] of data) {
    await mkdir(path.dirname(path.join(dir, 'share', rel)), { recursive: true });
    await writeFile(path.join(dir, 'share', rel), b);
  }
  const created = await createTorrentFromPath(path.join(dir, 'share'), {
    format,
    pieceLength: 32768,
    announce: announce ? [[announce]] : undefined,
  });
  return { dir, data, created };
}

/**
 * A peer that reads our handshake, answers it with `answerHash`, and reports whether the
 * connection carried on past the handshakes (more bytes from us) or was closed.
 */
async function handshakePeer(answerHash: (ours: Handshake) => Buffer) {
  let resolve!: (r: { ours: Handshake; kept: boolean }) => void;
  const result = new Promise<{ ours: Handshake; kept: boolean }>((r) => (resolve = r));
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => {
    sockets.push(s);
    let buf = Buffer.alloc(0);
    let ours: Handshake | undefined;
    s.on('error', () => undefined);
    s.on('close', () => ours && resolve({ ours, kept: false }));
    s.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (!ours && buf.length >= 68) {
        ours = parseHandshake(buf);
        buf = buf.subarray(68);
        s.write(
          encodeHandshake({
            infoHash: answerHash(ours),
            peerId: Buffer.from('-XX0001-abcdefghijkl'),
            extended: true,
            fast: true,
            v2: true,
          }),
        );
      }
      if (ours && buf.length > 0) resolve({ ours, kept: true });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    result,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

test.each([
  ['hybrid', true, 'v1'],
  ['hybrid', true, 'v2'],
  ['v2', true, 'v2'],
  ['v1', false, 'v1'],
] as const)(
  'a %s torrent dials (v2 bit: %s, as BEP 52 says) and takes an answer with its %s hash',
  async (format, v2Bit, answer) => {
    const { dir, created } = await share(format);
    const s = await startSession(path.join(root, 'enj'));
    sessions.push(s);
    const m = created.metainfo;
    const peer = await handshakePeer(() =>
      answer === 'v1'
        ? Buffer.from(m.infoHash, 'hex')
        : Buffer.from(m.infoHashV2!.slice(0, 40), 'hex'),
    );
    try {
      const t = await s.add({ torrent: created.torrent }, { downloadDir: dir, seedMode: true });
      t.addPeer(`127.0.0.1:${peer.port}`);
      const { ours, kept } = await peer.result;
      expect(ours.infoHash.toString('hex')).toBe(t.status().infoHash);
      expect({ v2: ours.v2 === true, kept }).toEqual({ v2: v2Bit, kept: true });
    } finally {
      await peer.close();
    }
  },
);

test('a hybrid peer answering with some other hash is still refused', async () => {
  const { dir, created } = await share('hybrid');
  const s = await startSession(path.join(root, 'enj'));
  sessions.push(s);
  const peer = await handshakePeer(() => randomBytes(20));
  try {
    const t = await s.add({ torrent: created.torrent }, { downloadDir: dir, seedMode: true });
    t.addPeer(`127.0.0.1:${peer.port}`);
    expect((await peer.result).kept).toBe(false);
  } finally {
    await peer.close();
  }
});

describe('through a tracker', () => {
  let ot: Opentracker;
  beforeEach(async () => {
    ot = await startOpentracker({ whitelist: [] });
  });

  test('libtorrent that knows only a hybrid’s v2 hash (urn:btmh) finds the enjambre seeder and downloads', async () => {
    const { dir, data, created } = await share('hybrid', ot.httpAnnounce);
    const m = created.metainfo;
    await ot.allow([m.infoHash, m.infoHashV2!.slice(0, 40)]);
    const s = await startSession(path.join(root, 'enj'));
    sessions.push(s);
    const t = await s.add({ torrent: created.torrent }, { downloadDir: dir, seedMode: true });
    expect(t.status().state).toBe('seeding');
    const got = path.join(root, 'got');
    const magnet =
      `magnet:?xt=urn:btmh:1220${created.metainfo.infoHashV2}` +
      `&tr=${encodeURIComponent(ot.httpAnnounce)}`;
    // no direct address: the tracker is the only way the two meet
    const leecher = await startLibtorrent({ role: 'leech', magnet, dir: got, announceInterval: 2 });
    await leecher.waitForComplete(90_000);
    for (const [rel, b] of data) {
      expect((await readFile(path.join(got, 'share', rel))).equals(b)).toBe(true);
    }
  });

  test('an enjambre that got a hybrid from a urn:btmh link is found under its v1 hash too', async () => {
    const { dir, data, created } = await share('hybrid');
    const m = created.metainfo;
    await ot.allow([m.infoHash, m.infoHashV2!.slice(0, 40)]);
    // the first seeder announces nowhere: only the magnet's peer address leads to it
    const a = await startSession(path.join(root, 'a'));
    sessions.push(a);
    await a.add({ torrent: created.torrent }, { downloadDir: dir, seedMode: true });
    const b = await startSession(path.join(root, 'b'));
    sessions.push(b);
    const bDir = path.join(root, 'b-data');
    const tb = await b.add(
      {
        magnet:
          `magnet:?xt=urn:btmh:1220${m.infoHashV2}&x.pe=127.0.0.1:${a.port}` +
          `&tr=${encodeURIComponent(ot.httpAnnounce)}`,
      },
      { downloadDir: bDir },
    );
    await waitDone(tb, 60_000);
    await sessions.splice(sessions.indexOf(a), 1)[0].close();
    // a v1 client knows the torrent by its v1 hash alone
    const got = path.join(root, 'got');
    const magnet = `magnet:?xt=urn:btih:${m.infoHash}&tr=${encodeURIComponent(ot.httpAnnounce)}`;
    const leecher = await startLibtorrent({ role: 'leech', magnet, dir: got, announceInterval: 2 });
    await leecher.waitForComplete(90_000);
    for (const [rel, b] of data) {
      expect((await readFile(path.join(got, 'share', rel))).equals(b)).toBe(true);
    }
  });
});
