/**
 * Issue 11: a private torrent added by magnet must not send PEX (BEP 11) before its metadata says
 * it is private (BEP 27), nor after. Two listening peers that speak the wire protocol over real
 * sockets offer ut_pex and record every ut_pex message the engine sends them; one of them holds the
 * metadata back for a few of the engine's PEX ticks, so a PEX round before the metadata would
 * be seen. A real enjambre seeder then completes the download. The public run of the same script
 * shows that the peers do see PEX once a public torrent's metadata is known.
 */
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  WireDecoder,
  decodeExtendedHandshake,
  decodeMetadataMessage,
  encodeExtended,
  encodeExtendedHandshake,
  encodeHandshake,
  encodeHaveAll,
  encodeMetadataMessage,
  parseTorrent,
} from '@enjambre/bittorrent';
import { waitFor } from '../peers';
import { noopHandler } from '../engine/evil-peer';
import { makeTorrent, sessionWorkspace, startSession, waitDone } from '../engine/helpers';

jest.setTimeout(120_000);

const OUR_METADATA_ID = 3;
const OUR_PEX_ID = 4;
/** The engine ticks PEX once a second; this many seconds cover several of its rounds. */
const TICKS = 3;

/** A peer that offers ut_pex (and, with `info`, ut_metadata) and logs what the engine sends. */
class WatchingPeer {
  private readonly server = net.createServer((s) => this.serve(s));
  private readonly sockets = new Set<net.Socket>();
  private readonly held: Array<() => void> = [];
  private releasing = false;
  /** Each ut_pex message received, with whether the metadata had been served by then. */
  readonly pex: Array<{ afterMetadata: boolean }> = [];
  /** Extension names the engine offered in its extended handshakes. */
  readonly offered: string[][] = [];
  metadataServed = false;
  metadataRequests = 0;

  constructor(
    private readonly infoHash: Buffer,
    private readonly peerId: string,
    private readonly info?: Buffer,
  ) {}

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Answers the metadata requests held so far and those to come. */
  releaseMetadata(): void {
    this.releasing = true;
    for (const send of this.held.splice(0)) send();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private serve(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    let theirMetadataId = 0;
    const dec = new WireDecoder(
      noopHandler({
        onHandshake: () => {
          socket.write(
            encodeHandshake({
              infoHash: this.infoHash,
              peerId: Buffer.from(this.peerId),
              fast: true,
              extended: true,
            }),
          );
          socket.write(encodeHaveAll());
          const m: Record<string, number> = { ut_pex: OUR_PEX_ID };
          if (this.info) m.ut_metadata = OUR_METADATA_ID;
          const hs = { m, metadataSize: this.info?.length, v: 'watcher 1' };
          socket.write(encodeExtended(0, encodeExtendedHandshake(hs)));
        },
        onExtended: (id, payload) => {
          if (id === 0) {
            const hs = decodeExtendedHandshake(payload);
            this.offered.push(Object.keys(hs.m).filter((k) => hs.m[k] > 0));
            theirMetadataId = hs.m.ut_metadata ?? 0;
          } else if (id === OUR_PEX_ID) {
            this.pex.push({ afterMetadata: this.metadataServed });
          } else if (id === OUR_METADATA_ID && this.info) {
            const msg = decodeMetadataMessage(payload);
            if (msg.type !== 'request') return;
            this.metadataRequests++;
            const info = this.info;
            const send = () => {
              this.metadataServed = true;
              const data = info.subarray(msg.piece * 16384, (msg.piece + 1) * 16384);
              const reply = {
                type: 'data' as const,
                piece: msg.piece,
                totalSize: info.length,
                data,
              };
              socket.write(encodeExtended(theirMetadataId, encodeMetadataMessage(reply)));
            };
            if (this.releasing) send();
            else this.held.push(send);
          }
        },
      }),
      { pieceCount: 1 << 20 },
    );
    socket.on('data', (c: Buffer) => {
      try {
        dec.push(c);
      } catch {
        socket.destroy();
      }
    });
  }
}

const ws = sessionWorkspace('private-pex');
const peers: WatchingPeer[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.close()));
});

/** A magnet leecher meets two watching peers; the metadata comes after a few PEX ticks. */
async function magnetRun(isPrivate: boolean) {
  const seedDir = path.join(ws.root, 'seed');
  const t = await makeTorrent(seedDir, 'secret.bin', 300_000, {
    pieceLength: 16 * 1024,
    private: isPrivate,
  });
  const meta = parseTorrent(t.torrent);
  const holder = new WatchingPeer(meta.infoHashBuffer, '-WP0001-holderholder', meta.infoBuffer);
  const other = new WatchingPeer(meta.infoHashBuffer, '-WP0001-otherotherot');
  peers.push(holder, other);
  const [holderPort, otherPort] = [await holder.listen(), await other.listen()];

  const leecher = await startSession(path.join(ws.root, 'leecher'));
  ws.sessions.push(leecher);
  const lt = await leecher.add(
    { magnet: `magnet:?xt=urn:btih:${t.infoHash}` },
    { downloadDir: path.join(ws.root, 'got') },
  );
  lt.addPeer(`127.0.0.1:${holderPort}`);
  lt.addPeer(`127.0.0.1:${otherPort}`);
  await waitFor(
    () => lt.peers().length === 2 && holder.metadataRequests > 0 && other.offered.length > 0,
    30_000,
    'both peers connected, metadata asked for',
  );
  await sleep(TICKS * 1000); // PEX rounds the engine would run before the metadata
  expect(lt.status().state).toBe('metadata');
  holder.releaseMetadata();
  await waitFor(() => lt.status().state !== 'metadata', 30_000, 'metadata received');
  return { t, lt, holder, other, seedDir };
}

test('a private torrent added by magnet never sends PEX, before or after its metadata', async () => {
  const { t, lt, holder, other, seedDir } = await magnetRun(true);
  // a real seeder completes it: a third peer PEX could have announced
  const seeder = await startSession(path.join(ws.root, 'seeder'));
  ws.sessions.push(seeder);
  await seeder.add({ torrent: t.torrent }, { downloadDir: seedDir, seedMode: true });
  lt.addPeer(`127.0.0.1:${seeder.port}`);
  await waitDone(lt);
  await sleep(TICKS * 1000);

  expect(lt.status().state).toBe('seeding');
  expect(holder.pex).toEqual([]);
  expect(other.pex).toEqual([]);
  // nor was ut_pex ever offered to them
  for (const names of [...holder.offered, ...other.offered]) expect(names).not.toContain('ut_pex');
  expect(lt.status().peersFound.pex).toBe(0);
});

test('control: a public magnet sends PEX only once its metadata is known', async () => {
  const { holder } = await magnetRun(false);
  await waitFor(() => holder.pex.length > 0, 30_000, 'PEX after the metadata');
  expect(holder.pex.every((p) => p.afterMetadata)).toBe(true);
  // offered in the handshake sent once the metadata said public, not in the first
  expect(holder.offered[0]).not.toContain('ut_pex');
  expect(holder.offered.at(-1)).toContain('ut_pex');
});
