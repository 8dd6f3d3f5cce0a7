/**
 * One peer-wire exchange with a real client, for interop tests: connect to 127.0.0.1:`port`, send
 * our handshake (BEP 6 + BEP 10), then on the peer's handshake our extended handshake and
 * interested, request `wanted` once unchoked, and return everything the peer sent, decoded by
 * `WireDecoder`, up to that piece.
 */
import { connect } from 'node:net';
import {
  MessageCollector,
  WireDecoder,
  WireEvent,
  createPeerId,
  decodeExtendedHandshake,
  decodeMetadataMessage,
  encodeExtended,
  encodeExtendedHandshake,
  encodeHandshake,
  encodeInterested,
  encodeMetadataMessage,
  encodeRequest,
  metadataPieceCount,
} from '@enjambre/bittorrent';

export interface BlockWanted {
  index: number;
  begin: number;
  length: number;
}

export function exchange(
  port: number,
  infoHash: Buffer,
  pieceCount: number,
  wanted: BlockWanted,
  timeoutMs = 45_000,
): Promise<WireEvent[]> {
  const collector = new MessageCollector();
  const decoder = new WireDecoder(collector, { pieceCount });
  return new Promise<WireEvent[]>((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    const finish = (err: Error | null) => {
      clearTimeout(timer);
      s.removeAllListeners();
      s.on('error', () => undefined);
      s.destroy();
      if (err) reject(err);
      else resolve(collector.events);
    };
    const timer = setTimeout(() => {
      const seen = collector.events.map((e) => e.type).join(' ');
      finish(new Error(`no piece within ${timeoutMs} ms; got: ${seen}`));
    }, timeoutMs);
    let requested = false;
    let greeted = false;
    s.once('connect', () => {
      s.write(encodeHandshake({ infoHash, peerId: createPeerId(), extended: true, fast: true }));
    });
    s.on('data', (chunk) => {
      try {
        decoder.push(chunk);
      } catch (e) {
        finish(e as Error);
        return;
      }
      const ev = collector.events;
      // Only after the peer's handshake: aria2 drops (and bans) a peer whose bytes beyond the
      // 68-byte handshake arrive before it has answered.
      if (!greeted && ev.length > 0) {
        greeted = true;
        s.write(
          encodeExtended(0, encodeExtendedHandshake({ m: { ut_metadata: 3 }, v: 'enjambre' })),
        );
        s.write(encodeInterested());
      }
      if (!requested && ev.some((e) => e.type === 'unchoke')) {
        requested = true;
        s.write(encodeRequest(wanted.index, wanted.begin, wanted.length));
      }
      if (ev.some((e) => e.type === 'piece')) finish(null);
    });
    s.on('error', (e) => finish(e));
    s.on('close', () => finish(new Error('the peer closed the connection')));
  });
}

/**
 * Fetches the info dictionary from a peer over BEP 9 `ut_metadata`, as a magnet-link download
 * does, and returns it once every piece has arrived (the caller checks its SHA-1).
 */
export function fetchMetadata(port: number, infoHash: Buffer, timeoutMs = 45_000): Promise<Buffer> {
  const OUR_UT_METADATA = 3;
  const collector = new MessageCollector();
  const decoder = new WireDecoder(collector);
  return new Promise<Buffer>((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    const pieces: Buffer[] = [];
    let total = -1;
    const finish = (err: Error | null, info?: Buffer) => {
      clearTimeout(timer);
      s.removeAllListeners();
      s.on('error', () => undefined);
      s.destroy();
      if (err) reject(err);
      else resolve(info!);
    };
    const timer = setTimeout(() => finish(new Error('metadata not received in time')), timeoutMs);
    s.once('connect', () => {
      s.write(encodeHandshake({ infoHash, peerId: createPeerId(), extended: true, fast: true }));
    });
    s.on('data', (chunk) => {
      try {
        decoder.push(chunk);
        for (const e of collector.take()) {
          if (e.type === 'handshake') {
            const hs = encodeExtendedHandshake({ m: { ut_metadata: OUR_UT_METADATA } });
            s.write(encodeExtended(0, hs));
          } else if (e.type === 'extended' && e.id === 0) {
            const theirs = decodeExtendedHandshake(e.payload);
            const id = theirs.m.ut_metadata;
            if (!id || !theirs.metadataSize) throw new Error('peer offers no metadata');
            total = theirs.metadataSize;
            for (let i = 0; i < metadataPieceCount(total); i++) {
              s.write(encodeExtended(id, encodeMetadataMessage({ type: 'request', piece: i })));
            }
          } else if (e.type === 'extended' && e.id === OUR_UT_METADATA) {
            const m = decodeMetadataMessage(e.payload);
            if (m.type !== 'data') throw new Error(`metadata ${m.type} for piece ${m.piece}`);
            if (m.totalSize !== total) throw new Error('total_size differs from metadata_size');
            pieces[m.piece] = Buffer.from(m.data);
            if (pieces.filter(Boolean).length === metadataPieceCount(total)) {
              finish(null, Buffer.concat(pieces));
            }
          }
        }
      } catch (e) {
        finish(e as Error);
      }
    });
    s.on('error', (e) => finish(e));
    s.on('close', () => finish(new Error('the peer closed the connection')));
  });
}
