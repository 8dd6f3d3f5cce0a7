/**
 * The PeerSource seam (client/engine/src/torrent/peer-source.ts) with real peers: a session-wide
 * source plugged in with `Session.addPeerSource` gives a torrent the address of a real seeder,
 * and the torrent counts it per source; BEP 27 decides which modes the source may run in.
 */
import path from 'node:path';
import type { Session } from '@enjambre/engine';
import type { DiscoveryMode, PeerAddress, PeerSource } from '@enjambre/engine';
import { waitFor } from '../peers';
import { makeTorrent, sessionWorkspace, startSession, waitDone } from './helpers';

jest.setTimeout(120_000);

const ws = sessionWorkspace('peer-sources');

/** A DHT-like source that "finds" one fixed address whenever it is started. */
function plugSource(session: Session, address: () => PeerAddress, lookupBeforeMetadata: boolean) {
  const log: string[] = [];
  session.addPeerSource((target, found) => {
    const source: PeerSource = {
      kind: 'dht',
      publicOnly: true,
      lookupBeforeMetadata,
      start(mode: DiscoveryMode) {
        log.push(`${target.infoHash.toString('hex').slice(0, 8)} ${mode}`);
        found([address()]);
      },
      completed() {
        log.push('completed');
      },
      async stop() {
        log.push('stop');
      },
      close() {},
    };
    return source;
  });
  return log;
}

async function seeder(isPrivate: boolean) {
  const seedDir = path.join(ws.root, 'seed');
  const t = await makeTorrent(seedDir, 'f.bin', 400_000, {
    pieceLength: 16 * 1024,
    private: isPrivate,
  });
  // slow enough that the leecher's peers can be looked at while it downloads
  const s = await startSession(path.join(ws.root, 's'), { uploadRateLimit: 200_000 });
  ws.sessions.push(s);
  await s.add({ torrent: t.torrent }, { downloadDir: seedDir, seedMode: true });
  return { t, s, hash8: t.infoHash.slice(0, 8) };
}

test('a public torrent takes peers from a plugged-in source, counted per source', async () => {
  const { t, s, hash8 } = await seeder(false);
  const leecher = await startSession(path.join(ws.root, 'l'));
  ws.sessions.push(leecher);
  const log = plugSource(leecher, () => ({ host: '127.0.0.1', port: s.port }), false);
  const lt = await leecher.add({ torrent: t.torrent }, { downloadDir: path.join(ws.root, 'got') });
  await waitFor(() => lt.peers().length > 0, 30_000, 'connected to the seeder');
  expect(lt.peers().map((p) => p.source)).toEqual(['dht']);
  await waitDone(lt);
  expect(log.slice(0, 2)).toEqual([`${hash8} announce`, 'completed']);
  expect(lt.status().peersFound).toEqual({ tracker: 0, dht: 1, lsd: 0, pex: 0, manual: 0 });
  await lt.pause();
  expect(log.at(-1)).toBe('stop');
});

test('a private torrent never starts a public-only source', async () => {
  const { t, s } = await seeder(true);
  const leecher = await startSession(path.join(ws.root, 'l'));
  ws.sessions.push(leecher);
  const log = plugSource(leecher, () => ({ host: '127.0.0.1', port: s.port }), true);
  const lt = await leecher.add({ torrent: t.torrent }, { downloadDir: path.join(ws.root, 'got') });
  lt.addPeer(`127.0.0.1:${s.port}`);
  // each side says how it met the other: an address added by hand, a connection that came in
  await waitFor(() => lt.peers().length > 0, 30_000, 'connected to the seeder');
  expect(lt.peers().map((p) => p.source)).toEqual(['manual']);
  const seeding = s.get(t.infoHash)!;
  await waitFor(() => seeding.peers().length > 0, 30_000, 'the seeder sees the leecher');
  const seen = seeding.peers();
  expect(seen.map((p) => p.source)).toEqual(['incoming']);
  expect(seen[0].flags).toContain('I');
  await waitDone(lt);
  expect(log).toEqual([]);
  expect(lt.status().peersFound.dht).toBe(0);
  expect(lt.status().peersFound.manual).toBe(1);
});

test.each([
  [false, ['lookup', 'announce']],
  [true, ['lookup', 'stop']],
])(
  'a magnet (private: %s) may look up before its metadata, and announces only if public',
  async (isPrivate, modes) => {
    const { t, s, hash8 } = await seeder(isPrivate);
    const leecher = await startSession(path.join(ws.root, 'l'));
    ws.sessions.push(leecher);
    const log = plugSource(leecher, () => ({ host: '127.0.0.1', port: s.port }), true);
    const lt = await leecher.add(
      { magnet: `magnet:?xt=urn:btih:${t.infoHash}` },
      { downloadDir: path.join(ws.root, 'got') },
    );
    await waitDone(lt); // the source's lookup found the seeder, which gave the metadata
    const seen = log.filter((l) => l !== 'completed').map((l) => l.replace(`${hash8} `, ''));
    expect(seen.slice(0, 2)).toEqual(modes);
  },
);
