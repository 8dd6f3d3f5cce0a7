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
  encodeExtended,
  encodeExtendedHandshake,
  encodeHandshake,
  encodeInterested,
  encodeRequest,
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
