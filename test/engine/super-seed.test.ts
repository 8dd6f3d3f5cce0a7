import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  encodeHave,
  encodeHaveNone,
  encodeInterested,
  encodeRequest,
  parseTorrent,
} from '@enjambre/bittorrent';
import { startLibtorrent, stopAll, waitFor } from '../peers';
import { rawClient } from './evil-peer';
import { sessionWorkspace, expectSameFiles, makeTorrent, startSession, waitDone } from './helpers';

jest.setTimeout(120_000);

const ws = sessionWorkspace('super-seed');
afterAll(() => stopAll());
const raws: Array<{ socket: { destroy(): void } }> = [];
afterEach(() => {
  for (const r of raws.splice(0)) r.socket.destroy();
});

async function superSeeder(size: number, pieceLength = 64 * 1024) {
  const seedDir = path.join(ws.root, 'seed');
  const t = await makeTorrent(seedDir, 'file.bin', size, { pieceLength });
  const seeder = await startSession(path.join(ws.root, 's'));
  ws.sessions.push(seeder);
  const st = await seeder.add({ torrent: t.torrent }, { downloadDir: seedDir, seedMode: true });
  st.setSuperSeeding(true);
  expect(st.superSeeding()).toBe(true);
  return { t, meta: parseTorrent(t.torrent), seeder, st };
}

/** A raw-wire peer with no pieces (have-none) that waits for the first piece offered to it. */
async function watcher(port: number, meta: ReturnType<typeof parseTorrent>, peerId: string) {
  const w = await rawClient(port, meta.infoHashBuffer, meta.pieceCount, Buffer.from(peerId));
  raws.push(w);
  await waitFor(() => w.events.includes('handshake'), 10_000, 'handshake');
  w.socket.write(encodeHaveNone());
  await waitFor(() => w.haves.length > 0, 10_000, 'a first offer');
  return w;
}

test('a watching peer is shown one piece, not a bitfield, is served only that piece, and is offered another once it or a second peer has it', async () => {
  const { meta, seeder } = await superSeeder(1_000_000);
  const a = await watcher(seeder.port, meta, '-EV0001-firstfirstfi');
  const offered = a.haves[0];
  expect(a.events).toContain('have-none');
  expect(a.events).not.toContain('bitfield');
  expect(a.events).not.toContain('have-all');

  a.socket.write(encodeInterested());
  await waitFor(() => a.events.includes('unchoke'), 10_000, 'unchoke');
  const other = (offered + 1) % meta.pieceCount;
  a.socket.write(Buffer.concat([encodeRequest(other, 0, 16384), encodeRequest(offered, 0, 16384)]));
  await waitFor(() => a.pieces.length + a.rejects.length >= 2, 10_000, 'answers');
  expect(a.pieces).toEqual([{ index: offered, begin: 0, length: 16384 }]);
  expect(a.rejects).toEqual([{ index: other, begin: 0 }]);
  // once it says it has its piece it is offered the next (libtorrent's default rule; strict
  // BEP 16 would make a lone leecher wait for a third peer forever)
  a.socket.write(encodeHave(offered));
  await waitFor(() => a.haves.length > 1, 10_000, 'a new offer once it has its piece');
  expect(a.haves[1]).not.toBe(offered);

  // a second peer is offered a piece offered to nobody yet; once it has the first peer's
  // current piece, the first peer is offered another
  const b = await watcher(seeder.port, meta, '-EV0001-secondsecond');
  expect(b.haves).toHaveLength(1);
  expect(a.haves).not.toContain(b.haves[0]);
  b.socket.write(encodeHave(a.haves[1]));
  await waitFor(() => a.haves.length > 2, 10_000, 'a new offer to the first peer');
  expect(new Set(a.haves).size).toBe(3);
});

test('two real leechers of a super-seeder both complete with verified bytes', async () => {
  const { t, seeder, st } = await superSeeder(2 * 1024 * 1024 + 4321);
  const l1 = await startSession(path.join(ws.root, 'l1'));
  const l2 = await startSession(path.join(ws.root, 'l2'));
  ws.sessions.push(l1, l2);
  const got1 = path.join(ws.root, 'got1');
  const got2 = path.join(ws.root, 'got2');
  const lt1 = await l1.add({ torrent: t.torrent }, { downloadDir: got1 });
  const lt2 = await l2.add({ torrent: t.torrent }, { downloadDir: got2 });
  lt1.addPeer(`127.0.0.1:${seeder.port}`);
  lt2.addPeer(`127.0.0.1:${seeder.port}`);
  lt1.addPeer(`127.0.0.1:${l2.port}`);
  await Promise.all([waitDone(lt1), waitDone(lt2)]);
  await expectSameFiles(t, got1, 'file.bin', true);
  await expectSameFiles(t, got2, 'file.bin', true);
  // the leechers traded pieces between them: the seeder sent less than two whole copies
  const size = 2 * 1024 * 1024 + 4321;
  expect(st.status().uploadedTotal).toBeLessThan(2 * size);
  expect(lt1.status().uploadedTotal + lt2.status().uploadedTotal).toBeGreaterThan(0);
});

test('a lone leecher of a super-seeder completes (each piece it gets earns it the next)', async () => {
  const size = 600_000;
  const { t, seeder } = await superSeeder(size);
  const l = await startSession(path.join(ws.root, 'lone'));
  ws.sessions.push(l);
  const got = path.join(ws.root, 'got-lone');
  const lt = await l.add({ torrent: t.torrent }, { downloadDir: got });
  lt.addPeer(`127.0.0.1:${seeder.port}`);
  await waitDone(lt);
  await expectSameFiles(t, got, 'file.bin', true);
});

test('two python3-libtorrent leechers of a super-seeder both complete with verified bytes', async () => {
  const size = 3 * 1024 * 1024 + 999;
  const { t, seeder, st } = await superSeeder(size);
  const file = path.join(ws.root, 'file.torrent');
  await writeFile(file, t.torrent);
  const seed = `127.0.0.1:${seeder.port}`;
  const got1 = path.join(ws.root, 'lt1');
  const got2 = path.join(ws.root, 'lt2');
  const a = await startLibtorrent({ role: 'leech', torrentFile: file, dir: got1, peers: [seed] });
  const b = await startLibtorrent({
    role: 'leech',
    torrentFile: file,
    dir: got2,
    peers: [seed, `127.0.0.1:${a.port}`],
  });
  try {
    await Promise.all([a.waitForComplete(90_000), b.waitForComplete(90_000)]);
    await expectSameFiles(t, got1, 'file.bin', true);
    await expectSameFiles(t, got2, 'file.bin', true);
    expect(st.status().uploadedTotal).toBeLessThan(2 * size);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});

test('super-seeding is off for a downloading torrent until it seeds', async () => {
  const { t, meta, seeder, st } = await superSeeder(300_000);
  // strict BEP 16 stalls a lone leecher (nobody else shows its piece): this seeder seeds plainly
  st.setSuperSeeding(false);
  const l = await startSession(path.join(ws.root, 'l'));
  ws.sessions.push(l);
  const lt = await l.add({ torrent: t.torrent }, { downloadDir: path.join(ws.root, 'got') });
  lt.setSuperSeeding(true);
  // the downloading torrent still shows its (empty) bitfield as have-none and serves normally
  const w = await rawClient(l.port, meta.infoHashBuffer, meta.pieceCount);
  raws.push(w);
  await waitFor(() => w.events.includes('have-none'), 10_000, 'have-none');
  lt.addPeer(`127.0.0.1:${seeder.port}`);
  await waitDone(lt);
  await expectSameFiles(t, path.join(ws.root, 'got'), 'file.bin', true);
  // a peer connecting once it seeds is shown one piece only
  const late = await watcher(l.port, meta, '-EV0001-latelatelate');
  expect(late.events).not.toContain('have-all');
  expect(late.events).not.toContain('bitfield');
});
