/**
 * Incremental peer wire decoder: feed it socket chunks as they come (split anywhere, many messages
 * per chunk) and it calls one method of a `WireHandler` per message.
 *
 * Hot-path choices:
 * - a message wholly inside a chunk is decoded in place: a piece's block (and a bitfield's or an
 *   extended message's payload) is a `subarray` of the chunk, not a copy;
 * - a message split across chunks is assembled into one buffer allocated once, at its exact size,
 *   after its length and id have been validated (so a 4 GB length prefix allocates nothing);
 * - no objects or closures per message: the handler gets plain arguments.
 *
 * Buffers given to the handler may be views into the pushed chunk: copy them if you keep them
 * while reusing the chunk's memory (Node's sockets hand out fresh chunks, so usually no copy).
 *
 * Any protocol violation throws a `WireError` (and every later `push` throws it again); the
 * connection should then be closed. Exceptions thrown by the handler propagate unchanged and stop
 * the decoder (as `destroy()` does).
 *
 * The handler runs synchronously inside `push`, so `onHandshake` can still call `setPieceCount`
 * (an incoming connection learns its torrent from the handshake) before the next message.
 */
import { WireError } from '../errors';
import { HANDSHAKE_LENGTH, Handshake, checkHandshakePrefix, parseHandshake } from './handshake';
import { HashMessageId, hashMessageLengthOk } from './hash-messages';
import { MessageId } from './messages';

export interface WireHandler {
  onHandshake(handshake: Handshake): void;
  onKeepAlive(): void;
  onChoke(): void;
  onUnchoke(): void;
  onInterested(): void;
  onNotInterested(): void;
  onHave(index: number): void;
  onBitfield(bitfield: Buffer): void;
  onRequest(index: number, begin: number, length: number): void;
  onPiece(index: number, begin: number, block: Buffer): void;
  onCancel(index: number, begin: number, length: number): void;
  onPort(port: number): void;
  onSuggest(index: number): void;
  onHaveAll(): void;
  onHaveNone(): void;
  onReject(index: number, begin: number, length: number): void;
  onAllowedFast(index: number): void;
  /** BEP 10: `extId` 0 is the extended handshake, others are the ids we announced in our `m`. */
  onExtended(extId: number, payload: Buffer): void;
  /** A message id enjambre does not know (BEP 3: ignore it). */
  onUnknown(id: number, payload: Buffer): void;
  /**
   * BEP 52 hash request (21), hashes (22) or hash reject (23), length already checked (read the
   * payload with hash-messages.ts). Without this method they go to `onUnknown`.
   */
  onHashMessage?(id: number, payload: Buffer): void;
}

export interface WireDecoderOptions {
  /** Expect the 68-byte handshake before any message. Default true. */
  handshake?: boolean;
  /**
   * Number of pieces of the torrent, when known (not yet for a magnet link): bitfields must then
   * have exactly the right length with the spare bits clear, and piece indexes must be in range.
   * Set it later with `setPieceCount`.
   */
  pieceCount?: number;
  /** Largest block accepted in piece, request, cancel and reject messages. Default 16 KiB. */
  maxBlockLength?: number;
  /**
   * Largest length of any other message (extended, unknown, and a bitfield while the piece count
   * is unknown), id byte included. Default 1 MiB.
   */
  maxMessageLength?: number;
  /**
   * Whether we offered BEP 6 / BEP 10. With `handshake: true` the peer's reserved bits must also
   * have them; with `handshake: false` these alone decide. Messages of an extension that is not
   * on for this connection are protocol errors. Default true.
   */
  fast?: boolean;
  extended?: boolean;
  /**
   * Reject a second bitfield / have-all / have-none (BEP 3/6 allow one, right after the
   * handshake). Default true. Some clients (aria2 1.36) send have-none and later a bitfield;
   * with false these are passed to the handler, which decides.
   */
  singleBitfield?: boolean;
}

export const DEFAULT_MAX_BLOCK_LENGTH = 16 * 1024;
export const DEFAULT_MAX_MESSAGE_LENGTH = 1024 * 1024;

const enum State {
  Handshake,
  Idle,
  Prefix,
  Body,
  Failed,
}

/** Throws unless `bitfield` is the right size for `pieceCount` with the spare bits clear. */
export function checkBitfield(bitfield: Uint8Array, pieceCount: number): void {
  const bytes = Math.ceil(pieceCount / 8);
  if (bitfield.length !== bytes) {
    throw new WireError(
      'wire.bad-bitfield',
      `bitfield of ${bitfield.length} bytes, expected ${bytes} for ${pieceCount} pieces`,
    );
  }
  const spare = bytes * 8 - pieceCount;
  if (spare > 0 && (bitfield[bytes - 1] & ((1 << spare) - 1)) !== 0) {
    throw new WireError('wire.bad-bitfield', 'bitfield has spare bits set past the last piece');
  }
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

export class WireDecoder {
  private state: State;
  private readonly handler: WireHandler;
  private readonly maxBlock: number;
  private readonly maxMessage: number;
  private pieceCount: number; // -1 when unknown
  private fast: boolean;
  private extended: boolean;
  private sawBitfield = false;
  private readonly singleBitfield: boolean;
  private error: WireError | null = null;
  private destroyed = false;

  /** Partial handshake or length prefix (+ id) of a message split across chunks. */
  private readonly head = Buffer.alloc(HANDSHAKE_LENGTH);
  private headFill = 0;
  /** Message being assembled across chunks (id byte first), and how much of it is filled. */
  private body: Buffer | null = null;
  private bodyFill = 0;

  constructor(handler: WireHandler, options: WireDecoderOptions = {}) {
    this.handler = handler;
    this.state = options.handshake === false ? State.Idle : State.Handshake;
    this.maxBlock = options.maxBlockLength ?? DEFAULT_MAX_BLOCK_LENGTH;
    this.maxMessage = options.maxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH;
    this.pieceCount = -1;
    if (options.pieceCount !== undefined) this.setPieceCount(options.pieceCount);
    this.fast = options.fast ?? true;
    this.extended = options.extended ?? true;
    this.singleBitfield = options.singleBitfield ?? true;
  }

  /** The piece count became known (metadata fetched): bitfields and indexes are checked from now. */
  setPieceCount(pieceCount: number): void {
    if (!Number.isInteger(pieceCount) || pieceCount < 0) {
      throw new WireError('wire.bad-value', `piece count must be a non-negative integer`);
    }
    this.pieceCount = pieceCount;
  }

  /** Whether BEP 6 fast messages are allowed on this connection (after the handshake). */
  get fastEnabled(): boolean {
    return this.fast;
  }
  /** Whether BEP 10 extended messages are allowed on this connection (after the handshake). */
  get extendedEnabled(): boolean {
    return this.extended;
  }

  /** Stops decoding: the rest of the current chunk and any later one are ignored. */
  destroy(): void {
    this.destroyed = true;
  }

  /** Decodes every complete message in `chunk`, keeping a partial one for the next push. */
  push(chunk: Buffer): void {
    if (this.error) throw this.error;
    if (this.destroyed) return;
    try {
      this.decode(chunk);
    } catch (e) {
      if (e instanceof WireError) {
        this.error = e;
        this.state = State.Failed;
        this.body = null;
      } else {
        // The handler threw mid-chunk: the rest of the chunk is lost, so the stream is out of
        // step; decode nothing more.
        this.destroyed = true;
      }
      throw e;
    }
  }

  private decode(chunk: Buffer): void {
    const end = chunk.length;
    let off = 0;
    if (this.state !== State.Idle) {
      off = this.resume(chunk);
      // resume() moves the state on (TypeScript cannot see that through the call).
      if ((this.state as State) !== State.Idle || this.destroyed) return;
    }
    while (end - off >= 4) {
      const len = u32(chunk, off);
      if (len === 0) {
        off += 4;
        this.handler.onKeepAlive();
        if (this.destroyed) return;
        continue;
      }
      if (end - off < 5) break;
      this.checkLength(chunk[off + 4], len);
      if (end - off - 4 < len) break;
      const start = off + 4;
      off = start + len;
      this.dispatch(chunk, start, len);
      if (this.destroyed) return;
    }
    if (off < end) this.stash(chunk, off);
  }

  /** Keeps the incomplete message at `chunk[off..]`. */
  private stash(chunk: Buffer, off: number): void {
    const avail = chunk.length - off;
    if (avail < 5) {
      // Too short to validate the length and id: keep the bytes in `head`.
      chunk.copy(this.head, 0, off);
      this.headFill = avail;
      if (avail >= 4 && u32(chunk, off) > this.maxAcceptedLength()) {
        this.tooLong(u32(chunk, off));
      }
      this.state = State.Prefix;
      return;
    }
    // Length and id were validated by the loop; one allocation of the exact size.
    const len = u32(chunk, off);
    this.body = Buffer.allocUnsafe(len);
    this.bodyFill = chunk.copy(this.body, 0, off + 4);
    this.state = State.Body;
  }

  /** Continues a handshake or message begun in an earlier chunk; returns bytes of `chunk` used. */
  private resume(chunk: Buffer): number {
    let off = 0;
    if (this.state === State.Handshake) {
      const n = Math.min(HANDSHAKE_LENGTH - this.headFill, chunk.length);
      chunk.copy(this.head, this.headFill, 0, n);
      this.headFill += n;
      off = n;
      checkHandshakePrefix(this.head, 0, this.headFill);
      if (this.headFill < HANDSHAKE_LENGTH) return off;
      const hs = parseHandshake(this.head, 0);
      this.fast = this.fast && hs.fast;
      this.extended = this.extended && hs.extended;
      this.headFill = 0;
      this.state = State.Idle;
      this.handler.onHandshake(hs);
      return off;
    }
    if (this.state === State.Prefix) {
      // Complete the 5-byte length + id (a keep-alive needs only 4).
      while (off < chunk.length && this.headFill < 5) {
        this.head[this.headFill++] = chunk[off++];
        if (this.headFill === 4) {
          const len = u32(this.head, 0);
          if (len === 0) {
            this.headFill = 0;
            this.state = State.Idle;
            this.handler.onKeepAlive();
            return off;
          }
          if (len > this.maxAcceptedLength()) this.tooLong(len);
        }
      }
      if (this.headFill < 5) return off;
      const len = u32(this.head, 0);
      const id = this.head[4];
      this.checkLength(id, len);
      this.headFill = 0;
      this.body = Buffer.allocUnsafe(len);
      this.body[0] = id;
      this.bodyFill = 1;
      this.state = State.Body;
    }
    if (this.state === State.Body) {
      const body = this.body as Buffer;
      const n = Math.min(body.length - this.bodyFill, chunk.length - off);
      chunk.copy(body, this.bodyFill, off, off + n);
      this.bodyFill += n;
      off += n;
      if (this.bodyFill < body.length) return off;
      this.body = null;
      this.state = State.Idle;
      this.dispatch(body, 0, body.length);
      return off;
    }
    // State.Failed cannot reach here: push() rethrows first.
    return off;
  }

  private maxAcceptedLength(): number {
    const bitfield = this.pieceCount >= 0 ? 1 + Math.ceil(this.pieceCount / 8) : 0;
    return Math.max(this.maxMessage, 9 + this.maxBlock, bitfield);
  }

  private tooLong(len: number): never {
    throw new WireError(
      'wire.too-long',
      `message length ${len} exceeds the limit of ${this.maxAcceptedLength()}`,
    );
  }

  /** Validates a message's length (id byte included) for its id, before reading its body. */
  private checkLength(id: number, len: number): void {
    let ok: boolean;
    switch (id) {
      case MessageId.Choke:
      case MessageId.Unchoke:
      case MessageId.Interested:
      case MessageId.NotInterested:
        ok = len === 1;
        break;
      case MessageId.Have:
        ok = len === 5;
        break;
      case MessageId.Bitfield:
        ok =
          this.pieceCount >= 0
            ? len === 1 + Math.ceil(this.pieceCount / 8)
            : len >= 2 && len <= this.maxMessage;
        break;
      case MessageId.Request:
      case MessageId.Cancel:
        ok = len === 13;
        break;
      case MessageId.Piece:
        ok = len > 9 && len <= 9 + this.maxBlock;
        break;
      case MessageId.Port:
        ok = len === 3;
        break;
      case MessageId.Suggest:
      case MessageId.AllowedFast:
      case MessageId.HaveAll:
      case MessageId.HaveNone:
      case MessageId.Reject:
        if (!this.fast) {
          throw new WireError(
            'wire.fast-not-negotiated',
            `fast extension message ${id} on a connection without BEP 6`,
          );
        }
        ok =
          id === MessageId.Reject
            ? len === 13
            : id === MessageId.HaveAll || id === MessageId.HaveNone
              ? len === 1
              : len === 5;
        break;
      case MessageId.Extended:
        if (!this.extended) {
          throw new WireError(
            'wire.extension-not-negotiated',
            'extended message on a connection without BEP 10',
          );
        }
        ok = len >= 2 && len <= this.maxMessage;
        break;
      case HashMessageId.HashRequest:
      case HashMessageId.Hashes:
      case HashMessageId.HashReject:
        ok = hashMessageLengthOk(id, len, this.maxMessage);
        break;
      default:
        ok = len <= this.maxMessage;
    }
    if (!ok) {
      if (len > this.maxAcceptedLength()) this.tooLong(len);
      throw new WireError('wire.bad-length', `message id ${id} with invalid length ${len}`);
    }
  }

  private checkIndex(index: number): void {
    if (this.pieceCount >= 0 && index >= this.pieceCount) {
      throw new WireError(
        'wire.bad-index',
        `piece index ${index} out of range (${this.pieceCount} pieces)`,
      );
    }
  }

  private checkBlock(len: number): void {
    if (len === 0 || len > this.maxBlock) {
      throw new WireError(
        'wire.bad-block-length',
        `block length ${len} outside 1..${this.maxBlock}`,
      );
    }
  }

  private bitfieldOnce(): void {
    if (this.sawBitfield && this.singleBitfield) {
      throw new WireError('wire.duplicate-bitfield', 'second bitfield, have-all or have-none');
    }
    this.sawBitfield = true;
  }

  /** Decodes one validated message at `b[start, start+len)` (`b[start]` is the id). */
  private dispatch(b: Buffer, start: number, len: number): void {
    const h = this.handler;
    const id = b[start];
    const p = start + 1;
    switch (id) {
      case MessageId.Choke:
        return h.onChoke();
      case MessageId.Unchoke:
        return h.onUnchoke();
      case MessageId.Interested:
        return h.onInterested();
      case MessageId.NotInterested:
        return h.onNotInterested();
      case MessageId.Have: {
        const index = u32(b, p);
        this.checkIndex(index);
        return h.onHave(index);
      }
      case MessageId.Bitfield: {
        this.bitfieldOnce();
        const bits = b.subarray(p, start + len);
        if (this.pieceCount >= 0) checkBitfield(bits, this.pieceCount);
        return h.onBitfield(bits);
      }
      case MessageId.Request:
      case MessageId.Cancel:
      case MessageId.Reject: {
        const index = u32(b, p);
        const begin = u32(b, p + 4);
        const length = u32(b, p + 8);
        this.checkIndex(index);
        this.checkBlock(length);
        if (id === MessageId.Request) return h.onRequest(index, begin, length);
        if (id === MessageId.Cancel) return h.onCancel(index, begin, length);
        return h.onReject(index, begin, length);
      }
      case MessageId.Piece: {
        const index = u32(b, p);
        this.checkIndex(index);
        return h.onPiece(index, u32(b, p + 4), b.subarray(p + 8, start + len));
      }
      case MessageId.Port:
        return h.onPort((b[p] << 8) | b[p + 1]);
      case MessageId.Suggest: {
        const index = u32(b, p);
        this.checkIndex(index);
        return h.onSuggest(index);
      }
      case MessageId.AllowedFast: {
        const index = u32(b, p);
        this.checkIndex(index);
        return h.onAllowedFast(index);
      }
      case MessageId.HaveAll:
        this.bitfieldOnce();
        return h.onHaveAll();
      case MessageId.HaveNone:
        this.bitfieldOnce();
        return h.onHaveNone();
      case MessageId.Extended:
        return h.onExtended(b[p], b.subarray(p + 1, start + len));
      case HashMessageId.HashRequest:
      case HashMessageId.Hashes:
      case HashMessageId.HashReject:
        if (h.onHashMessage) return h.onHashMessage(id, b.subarray(p, start + len));
        return h.onUnknown(id, b.subarray(p, start + len));
      default:
        return h.onUnknown(id, b.subarray(p, start + len));
    }
  }
}
