import type { Socket } from 'node:net';
import {
  WireDecoder,
  WireError,
  encodeBitfield,
  encodeChoke,
  encodeExtended,
  encodeHandshake,
  encodeHave,
  encodeHaveAll,
  encodeHaveNone,
  encodeInterested,
  encodeKeepAlive,
  encodeNotInterested,
  encodePieceHeader,
  encodeReject,
  encodeRequests,
  encodeCancel,
  encodeUnchoke,
  type Handshake,
  type WireHandler,
} from '@enjambre/bittorrent';
import type { PeerStatus } from '../api';
import { Bitfield } from '../util/bitfield';
import { RateMeter } from '../util/rate';
import type { BlockRequest } from '../picker/picker';

/** What the torrent side does with a connection's messages. */
export interface PeerHandler {
  /** The remote handshake arrived (incoming: decide whether to accept by returning false). */
  onHandshake(conn: PeerConnection, hs: Handshake): boolean;
  onAvailability(
    conn: PeerConnection,
    kind: 'have' | 'bitfield' | 'have-all' | 'have-none',
    index?: number,
  ): void;
  onChokeChange(conn: PeerConnection): void;
  onInterestChange(conn: PeerConnection): void;
  onBlock(conn: PeerConnection, index: number, begin: number, block: Buffer): void;
  onRequest(conn: PeerConnection, index: number, begin: number, length: number): void;
  onCancel(conn: PeerConnection, index: number, begin: number, length: number): void;
  /** The peer rejected (BEP 6) or will never answer (choke without BEP 6) these requests. */
  onRequestsDropped(conn: PeerConnection, reqs: BlockRequest[]): void;
  onExtended(conn: PeerConnection, extId: number, payload: Buffer): void;
  /** BEP 52 hash request (21), hashes (22) or hash reject (23), length already checked. */
  onHashMessage(conn: PeerConnection, id: number, payload: Buffer): void;
  onAllowedFast(conn: PeerConnection, index: number): void;
  onClose(conn: PeerConnection, reason: string): void;
}

export interface PeerConnectionOptions {
  socket: Socket;
  incoming: boolean;
  /** Known for outgoing connections; for incoming ones the handler learns it from the handshake. */
  infoHash?: Buffer;
  /**
   * BEP 52: the other hash the peer may answer an outgoing handshake with (a hybrid's truncated
   * v2 info-hash when we greet with its v1 one). Setting it also sets our v2 bit.
   */
  altInfoHash?: Buffer;
  /** BEP 52: set the v2 bit (reserved byte 7, 0x10) in our handshake. */
  v2?: boolean;
  peerId: Buffer;
  pieceCount?: number;
  handler: PeerHandler;
  address: string;
}

const KEEPALIVE_MS = 60_000;
const IDLE_TIMEOUT_MS = 180_000;
const HANDSHAKE_TIMEOUT_MS = 20_000;
/** Write queue size above which uploads pause until 'drain'. */
const WRITE_HIGH_WATER = 4 * 1024 * 1024;
const MAX_EXT_PAYLOAD = 16 * 1024 * 1024 + 1024;

/**
 * One peer wire connection: socket I/O, the codec, the choke/interest flags of both sides, the
 * peer's pieces and the requests outstanding in each direction. Policy (what to request, whom to
 * unchoke, what to serve) is the handler's.
 */
export class PeerConnection implements WireHandler {
  readonly socket: Socket;
  readonly incoming: boolean;
  readonly address: string;
  handler: PeerHandler;
  infoHash?: Buffer;
  altInfoHash?: Buffer;
  v2: boolean;
  remoteId?: Buffer;
  remoteHs?: Handshake;
  fast = false;
  extended = false;

  amChoking = true;
  amInterested = false;
  peerChoking = true;
  peerInterested = false;
  optimistic = false;
  snubbed = false;

  /** The peer's pieces (created once the piece count is known). */
  have?: Bitfield;
  /** Raw bitfield received before the piece count was known (magnet). */
  pendingBitfield?: Buffer;
  peerHasAll = false;
  /** Our requests the peer has not answered yet, by key. */
  readonly outstanding = new Map<number, BlockRequest & { at: number }>();
  /** Depth of our request pipeline to this peer. */
  pipeline = 64;
  /** Requests the peer may still queue with us (its `reqq`). */
  peerReqq = 250;
  lastBlockAt = Date.now();
  readonly down = new RateMeter();
  readonly up = new RateMeter();
  /** BEP 10: the peer's extension ids (name → id). */
  readonly peerExt = new Map<string, number>();
  clientName = '';
  listenPort = 0;
  closed = false;
  source: PeerStatus['source'] = 'tracker';
  hashFailures = 0;

  private readonly decoder: WireDecoder;
  private readonly myPeerId: Buffer;
  private lastSend = Date.now();
  private lastRecv = Date.now();
  private timer?: NodeJS.Timeout;
  private handshakeSent = false;
  private handshakeDone = false;
  private drainWaiters: Array<() => void> = [];

  constructor(opts: PeerConnectionOptions) {
    this.socket = opts.socket;
    this.incoming = opts.incoming;
    this.address = opts.address;
    this.handler = opts.handler;
    this.infoHash = opts.infoHash;
    this.altInfoHash = opts.altInfoHash;
    this.v2 = opts.v2 === true || opts.altInfoHash !== undefined;
    this.myPeerId = opts.peerId;
    this.source = opts.incoming ? 'incoming' : 'tracker';
    this.decoder = new WireDecoder(this, {
      pieceCount: opts.pieceCount,
      maxMessageLength: MAX_EXT_PAYLOAD,
      singleBitfield: false,
    });
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.feed(chunk));
    this.socket.on('error', (err) => this.close(err.message));
    this.socket.on('close', () => this.close('connection closed'));
    this.socket.on('drain', () => {
      const w = this.drainWaiters;
      this.drainWaiters = [];
      for (const f of w) f();
    });
    this.timer = setInterval(() => this.tick(), 5_000);
    this.timer.unref();
    if (!this.incoming) this.sendHandshake();
  }

  get ready(): boolean {
    return this.handshakeDone && !this.closed;
  }

  /** Sends our handshake (incoming: once the handler accepted the torrent). */
  sendHandshake(): void {
    if (this.handshakeSent || !this.infoHash) return;
    this.handshakeSent = true;
    this.write(
      encodeHandshake({
        infoHash: this.infoHash,
        peerId: this.myPeerId,
        extended: true,
        fast: true,
        v2: this.v2,
      }),
    );
  }

  setPieceCount(n: number): void {
    this.decoder.setPieceCount(n);
    this.have = new Bitfield(n, this.pendingBitfield);
    if (this.peerHasAll) this.have.setAll();
    this.pendingBitfield = undefined;
  }

  hasPiece(index: number): boolean {
    return this.peerHasAll || (this.have?.get(index) ?? false);
  }

  // ---- sending --------------------------------------------------------------------------

  write(buf: Buffer): boolean {
    if (this.closed) return false;
    this.lastSend = Date.now();
    return this.socket.write(buf);
  }

  /** Bytes queued in the socket not yet handed to the kernel. */
  get writeBacklog(): number {
    return this.socket.writableLength;
  }
  get writeBlocked(): boolean {
    return this.socket.writableLength > WRITE_HIGH_WATER;
  }
  whenWritable(fn: () => void): void {
    if (!this.writeBlocked) fn();
    else this.drainWaiters.push(fn);
  }

  sendBitfield(bits: Bitfield): void {
    if (this.fast && bits.complete) this.write(encodeHaveAll());
    else if (this.fast && bits.cardinality === 0) this.write(encodeHaveNone());
    else if (bits.cardinality > 0) this.write(encodeBitfield(bits.bytes));
  }
  sendHave(index: number): void {
    this.write(encodeHave(index));
  }
  choke(): void {
    if (this.amChoking) return;
    this.amChoking = true;
    this.write(encodeChoke());
  }
  unchoke(): void {
    if (!this.amChoking) return;
    this.amChoking = false;
    this.write(encodeUnchoke());
  }
  interested(on: boolean): void {
    if (this.amInterested === on) return;
    this.amInterested = on;
    this.write(on ? encodeInterested() : encodeNotInterested());
  }
  sendExtended(extId: number, payload: Buffer): void {
    this.write(encodeExtended(extId, payload));
  }
  reject(index: number, begin: number, length: number): void {
    if (this.fast) this.write(encodeReject(index, begin, length));
  }

  /** Sends these requests in one write and remembers them as outstanding. */
  request(reqs: BlockRequest[]): void {
    if (reqs.length === 0) return;
    const now = Date.now();
    for (const r of reqs) this.outstanding.set(key(r.index, r.begin), { ...r, at: now });
    this.write(encodeRequests(reqs));
  }

  cancel(index: number, begin: number, length: number): void {
    if (this.outstanding.delete(key(index, begin))) this.write(encodeCancel(index, begin, length));
  }

  /** Sends a block: 13-byte header and the block itself, no concatenation copy. */
  sendBlock(index: number, begin: number, block: Buffer): void {
    if (this.closed) return;
    this.socket.cork();
    this.write(encodePieceHeader(index, begin, block.length));
    this.write(block);
    this.socket.uncork();
    this.up.add(block.length);
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.decoder.destroy();
    if (this.timer) clearInterval(this.timer);
    this.socket.destroy();
    for (const f of this.drainWaiters.splice(0)) f();
    this.handler.onClose(this, reason);
  }

  /** Takes back every outstanding request (for the picker) and forgets them. */
  takeOutstanding(): BlockRequest[] {
    const all = [...this.outstanding.values()];
    this.outstanding.clear();
    return all;
  }

  // ---- receiving --------------------------------------------------------------------------

  /**
   * Bytes from the socket. The chunk may be a reused read buffer (see Swarm's `onread`): every
   * handler copies what it keeps before returning.
   */
  feed(chunk: Buffer): void {
    this.lastRecv = Date.now();
    try {
      this.decoder.push(chunk);
    } catch (err) {
      this.close(
        err instanceof WireError
          ? `protocol error: ${err.message}`
          : `error: ${(err as Error).message}`,
      );
    }
  }

  onHandshake(hs: Handshake): void {
    if (
      this.infoHash &&
      !hs.infoHash.equals(this.infoHash) &&
      !(this.altInfoHash && hs.infoHash.equals(this.altInfoHash))
    ) {
      this.close('handshake for another torrent');
      return;
    }
    if (hs.peerId.equals(this.myPeerId)) {
      this.close('connected to ourselves');
      return;
    }
    this.remoteHs = hs;
    this.remoteId = hs.peerId;
    this.fast = hs.fast;
    this.extended = hs.extended;
    if (!this.handler.onHandshake(this, hs)) {
      if (!this.closed) this.close('unknown torrent or no room');
      return;
    }
    this.handshakeDone = true;
  }
  onKeepAlive(): void {}
  onChoke(): void {
    this.peerChoking = true;
    // without BEP 6 a choke silently drops every pending request; with it, rejects come
    if (!this.fast && this.outstanding.size > 0)
      this.handler.onRequestsDropped(this, this.takeOutstanding());
    this.handler.onChokeChange(this);
  }
  onUnchoke(): void {
    this.peerChoking = false;
    this.handler.onChokeChange(this);
  }
  onInterested(): void {
    this.peerInterested = true;
    this.handler.onInterestChange(this);
  }
  onNotInterested(): void {
    this.peerInterested = false;
    this.handler.onInterestChange(this);
  }
  onHave(index: number): void {
    if (this.have) {
      if (!this.have.set(index)) return;
    } else {
      // metadata unknown: remember it in the pending bitfield
      const byte = index >> 3;
      if (byte >= 1 << 20) return;
      if (!this.pendingBitfield || this.pendingBitfield.length <= byte) {
        const grown = Buffer.alloc(byte + 1);
        this.pendingBitfield?.copy(grown);
        this.pendingBitfield = grown;
      }
      this.pendingBitfield[byte] |= 0x80 >> (index & 7);
    }
    this.handler.onAvailability(this, 'have', index);
  }
  onBitfield(bitfield: Buffer): void {
    if (this.have) {
      this.have = new Bitfield(this.have.length, bitfield);
    } else this.pendingBitfield = Buffer.from(bitfield);
    this.handler.onAvailability(this, 'bitfield');
  }
  onRequest(index: number, begin: number, length: number): void {
    this.handler.onRequest(this, index, begin, length);
  }
  onPiece(index: number, begin: number, block: Buffer): void {
    const k = key(index, begin);
    const req = this.outstanding.get(k);
    if (req) this.outstanding.delete(k);
    this.lastBlockAt = Date.now();
    this.snubbed = false;
    this.down.add(block.length);
    this.handler.onBlock(this, index, begin, block);
  }
  onCancel(index: number, begin: number, length: number): void {
    this.handler.onCancel(this, index, begin, length);
  }
  onPort(): void {}
  onSuggest(): void {}
  onHaveAll(): void {
    this.peerHasAll = true;
    this.have?.setAll();
    this.handler.onAvailability(this, 'have-all');
  }
  onHaveNone(): void {
    this.handler.onAvailability(this, 'have-none');
  }
  onReject(index: number, begin: number): void {
    const k = key(index, begin);
    const req = this.outstanding.get(k);
    if (!req) return; // a reject for something we never asked: ignore (BEP 6 says error; be lenient)
    this.outstanding.delete(k);
    this.handler.onRequestsDropped(this, [req]);
  }
  onAllowedFast(index: number): void {
    this.handler.onAllowedFast(this, index);
  }
  onExtended(extId: number, payload: Buffer): void {
    this.handler.onExtended(this, extId, payload);
  }
  onHashMessage(id: number, payload: Buffer): void {
    this.handler.onHashMessage(this, id, payload);
  }
  onUnknown(): void {}

  private tick(): void {
    const now = Date.now();
    if (!this.handshakeDone && now - this.lastRecv > HANDSHAKE_TIMEOUT_MS) {
      this.close('handshake timeout');
      return;
    }
    if (now - this.lastRecv > IDLE_TIMEOUT_MS) {
      this.close('peer silent for too long');
      return;
    }
    if (now - this.lastSend > KEEPALIVE_MS) this.write(encodeKeepAlive());
  }
}

export function key(index: number, begin: number): number {
  return index * 0x10000 + begin / 16384;
}
