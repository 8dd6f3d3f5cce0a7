/**
 * A scriptable peer for hostile-peer tests, written on the protocol core's codec: it speaks just
 * enough of the wire protocol to misbehave in controlled ways.
 */
import net from 'node:net';
import {
  WireDecoder,
  encodeHandshake,
  encodeHaveAll,
  encodePiece,
  encodeUnchoke,
  type WireHandler,
} from '@enjambre/bittorrent';

export interface EvilOptions {
  infoHash: Buffer;
  pieceCount: number;
  /** What to do with a request: 'garbage' answers random bytes, 'ignore' never answers. */
  onRequest: 'garbage' | 'ignore';
  /** Do not even send the handshake. */
  silent?: boolean;
}

export class EvilPeer {
  readonly server: net.Server;
  readonly sockets = new Set<net.Socket>();
  connections = 0;
  requests = 0;
  piecesSent = 0;
  closedByRemote = 0;

  constructor(private readonly opts: EvilOptions) {
    this.server = net.createServer((s) => this.serve(s));
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    return (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private serve(socket: net.Socket): void {
    this.connections++;
    this.sockets.add(socket);
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.closedByRemote++;
    });
    socket.on('error', () => undefined);
    if (this.opts.silent) return;
    const peerId = Buffer.from('-EV0001-evilevilevil');
    const handler = noopHandler({
      onHandshake: () => {
        socket.write(encodeHandshake({ infoHash: this.opts.infoHash, peerId, fast: true }));
        socket.write(encodeHaveAll());
        socket.write(encodeUnchoke());
      },
      onRequest: (index, begin, length) => {
        this.requests++;
        if (this.opts.onRequest === 'garbage') {
          const junk = Buffer.alloc(length, 0x5a);
          socket.write(encodePiece(index, begin, junk));
          this.piecesSent++;
        }
      },
    });
    const dec = new WireDecoder(handler, { pieceCount: this.opts.pieceCount });
    socket.on('data', (c: Buffer) => {
      try {
        dec.push(c);
      } catch {
        socket.destroy();
      }
    });
  }
}

/** A WireHandler that ignores everything except the given callbacks. */
export function noopHandler(h: Partial<WireHandler>): WireHandler {
  const nop = () => undefined;
  return {
    onHandshake: nop,
    onKeepAlive: nop,
    onChoke: nop,
    onUnchoke: nop,
    onInterested: nop,
    onNotInterested: nop,
    onHave: nop,
    onBitfield: nop,
    onRequest: nop,
    onPiece: nop,
    onCancel: nop,
    onPort: nop,
    onSuggest: nop,
    onHaveAll: nop,
    onHaveNone: nop,
    onReject: nop,
    onAllowedFast: nop,
    onExtended: nop,
    onUnknown: nop,
    ...h,
  };
}

/** Connects to `port`, handshakes for `infoHash`, and collects what the other side sends. */
export async function rawClient(
  port: number,
  infoHash: Buffer,
  pieceCount: number,
  peerId = Buffer.from('-EV0001-rawrawrawraw'),
) {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((r, j) => {
    socket.once('connect', () => r());
    socket.once('error', j);
  });
  const events: string[] = [];
  const pieces: Array<{ index: number; begin: number; length: number }> = [];
  const rejects: Array<{ index: number; begin: number }> = [];
  const haves: number[] = [];
  let closed = false;
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  const dec = new WireDecoder(
    noopHandler({
      onHandshake: () => events.push('handshake'),
      onBitfield: () => events.push('bitfield'),
      onHaveAll: () => events.push('have-all'),
      onHaveNone: () => events.push('have-none'),
      onHave: (index) => haves.push(index),
      onUnchoke: () => events.push('unchoke'),
      onPiece: (index, begin, block) => pieces.push({ index, begin, length: block.length }),
      onReject: (index, begin) => rejects.push({ index, begin }),
    }),
    { pieceCount },
  );
  socket.on('data', (c: Buffer) => {
    try {
      dec.push(c);
    } catch {
      socket.destroy();
    }
  });
  socket.write(
    encodeHandshake({
      infoHash,
      peerId,
      fast: true,
      extended: true,
    }),
  );
  return {
    socket,
    events,
    pieces,
    rejects,
    haves,
    get closed() {
      return closed;
    },
  };
}
