import path from 'node:path';
import { encodeInterested, encodeRequest, parseTorrent } from '@enjambre/bittorrent';
import { waitFor } from '../peers';
import { EvilPeer, rawClient } from './evil-peer';
import { sessionWorkspace, expectSameFiles, makeTorrent, startSession, waitDone } from './helpers';

jest.setTimeout(150_000);

const ws = sessionWorkspace('hostile');
const evils: EvilPeer[] = [];
afterEach(async () => {
  await Promise.all(evils.splice(0).map((e) => e.close()));
});

async function seeded(size = 1_500_000, pieceLength = 64 * 1024) {
  const seedDir = path.join(ws.root, 'seed');
  const t = await makeTorrent(seedDir, 'file.bin', size, { pieceLength });
  const meta = parseTorrent(t.torrent);
  const seeder = await startSession(path.join(ws.root, 's'));
  ws.sessions.push(seeder);
  await seeder.add({ torrent: t.torrent }, { downloadDir: seedDir, seedMode: true });
  return { t, meta, seeder };
}

test('a peer sending corrupted pieces is banned and the download completes from an honest peer', async () => {
  const { t, meta, seeder } = await seeded();
  const evil = new EvilPeer({
    infoHash: meta.infoHashBuffer,
    pieceCount: meta.pieceCount,
    onRequest: 'garbage',
  });
  evils.push(evil);
  const evilPort = await evil.listen();
  const leecher = await startSession(path.join(ws.root, 'l'));
  ws.sessions.push(leecher);
  const got = path.join(ws.root, 'got');
  const lt = await leecher.add({ torrent: t.torrent }, { downloadDir: got });
  lt.addPeer(`127.0.0.1:${evilPort}`);
  // the evil peer gets requests, answers garbage, fails the hash check and is dropped
  await waitFor(() => evil.piecesSent >= 4 && evil.closedByRemote >= 1, 60_000, 'evil peer banned');
  expect(lt.peers().some((p) => p.address === `127.0.0.1:${evilPort}`)).toBe(false);
  expect(lt.status().downloaded).toBe(0);
  lt.addPeer(`127.0.0.1:${seeder.port}`);
  lt.addPeer(`127.0.0.1:${evilPort}`); // banned: never dialled again
  await waitDone(lt);
  await expectSameFiles(t, got, 'file.bin', true);
  expect(evil.connections).toBe(1);
});

test('a peer that never answers requests does not stop the download', async () => {
  const { t, meta, seeder } = await seeded();
  const silent = new EvilPeer({
    infoHash: meta.infoHashBuffer,
    pieceCount: meta.pieceCount,
    onRequest: 'ignore',
  });
  const mute = new EvilPeer({
    infoHash: meta.infoHashBuffer,
    pieceCount: meta.pieceCount,
    onRequest: 'ignore',
    silent: true,
  });
  evils.push(silent, mute);
  const leecher = await startSession(path.join(ws.root, 'l'));
  ws.sessions.push(leecher);
  const got = path.join(ws.root, 'got');
  const lt = await leecher.add({ torrent: t.torrent }, { downloadDir: got });
  lt.addPeer(`127.0.0.1:${await silent.listen()}`);
  lt.addPeer(`127.0.0.1:${await mute.listen()}`);
  await waitFor(() => silent.requests > 0, 30_000, 'requests sent to the silent peer');
  lt.addPeer(`127.0.0.1:${seeder.port}`);
  await waitDone(lt);
  await expectSameFiles(t, got, 'file.bin', true);
});

test('oversized and malformed messages close only that connection', async () => {
  const { t, meta, seeder } = await seeded();
  // a message announcing a 2 GB length
  const big = await rawClient(seeder.port, meta.infoHashBuffer, meta.pieceCount);
  await waitFor(() => big.events.includes('handshake'), 10_000, 'handshake');
  const hdr = Buffer.alloc(5);
  hdr.writeUInt32BE(0x7fffffff, 0);
  hdr[4] = 7;
  big.socket.write(hdr);
  await waitFor(() => big.closed, 10_000, 'oversized message closes the connection');
  // a `have` message with a wrong length
  const bad = await rawClient(seeder.port, meta.infoHashBuffer, meta.pieceCount);
  await waitFor(() => bad.events.includes('handshake'), 10_000, 'handshake');
  bad.socket.write(Buffer.from([0, 0, 0, 3, 4, 0, 0]));
  await waitFor(() => bad.closed, 10_000, 'malformed message closes the connection');
  // garbage instead of a handshake
  const junk = await rawClient(seeder.port, Buffer.alloc(20, 1), meta.pieceCount);
  await waitFor(() => junk.closed, 10_000, 'unknown torrent closes the connection');
  // the seeder still serves an honest leecher
  const leecher = await startSession(path.join(ws.root, 'l'));
  ws.sessions.push(leecher);
  const got = path.join(ws.root, 'got');
  const lt = await leecher.add({ torrent: t.torrent }, { downloadDir: got });
  lt.addPeer(`127.0.0.1:${seeder.port}`);
  await waitDone(lt);
  await expectSameFiles(t, got, 'file.bin', true);
});

test('requests for pieces we do not have are rejected, never answered with data', async () => {
  const { t, meta } = await seeded();
  // a leecher that has nothing yet (no peers): requests to it must be rejected
  const leecher = await startSession(path.join(ws.root, 'l'));
  ws.sessions.push(leecher);
  await leecher.add({ torrent: t.torrent }, { downloadDir: path.join(ws.root, 'got') });
  const c = await rawClient(leecher.port, meta.infoHashBuffer, meta.pieceCount);
  await waitFor(() => c.events.includes('handshake'), 10_000, 'handshake');
  c.socket.write(encodeInterested());
  c.socket.write(Buffer.concat([encodeRequest(0, 0, 16384), encodeRequest(3, 16384, 16384)]));
  await waitFor(() => c.rejects.length === 2, 10_000, 'two rejects');
  expect(c.pieces).toHaveLength(0);
  expect(c.events).toContain('have-none');
  expect(c.closed).toBe(false);
  c.socket.destroy();
});
