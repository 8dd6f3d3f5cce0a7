import type { TorrentMeta } from '../meta';
import { pieceCheck, pieceSize } from '../meta';
import { BLOCK_SIZE, PiecePicker, type BlockRequest, type PickerPeer } from '../picker/picker';
import type { PeerConnection } from '../peer/connection';
import { allocPieceBuffer, type PieceHasher } from '../storage/hasher';
import type { TorrentStorage } from '../storage/storage';

/** Where blocks come from: a peer connection, or a web seed (webseed/). */
export interface BlockSource extends PickerPeer {
  /** Another source delivered a block this one was asked for too. */
  cancel(index: number, begin: number, length: number): void;
}

export interface DownloaderEvents {
  /** Piece verified and written. */
  verified(index: number): void;
  /** Piece failed its hash check; `sources` sent its blocks (peers, web seeds). */
  hashFailed(index: number, sources: Set<BlockSource>): void;
  /** A storage error: the torrent must stop. */
  storageError(err: Error): void;
}

/** Seconds of data to keep requested from a peer: pipeline depth ≈ rate × this / block size. */
const PIPELINE_SECONDS = 1.5;
const MIN_PIPELINE = 16;
const MAX_PIPELINE = 512;
/** A request unanswered this long goes back to the picker (another peer may take it). */
const REQUEST_TIMEOUT_MS = 30_000;
/** No block for this long while we have requests out: the peer is snubbed. */
const SNUB_MS = 60_000;
const MAX_SPARE = 8;
const MAX_VERIFYING = 8;

/**
 * The download path: asks the picker for blocks to request, copies arriving blocks into piece
 * buffers (the only copy of the data in memory), and hands complete pieces to the hasher pool,
 * whose thread hashes each one and writes it to its files only if it matches.
 */
export class Downloader {
  private readonly buffers = new Map<number, Buffer>();
  private readonly verifying = new Set<number>();
  /** Bytes of the pieces in `verifying`. */
  private verifyingSize = 0;
  private readonly scratch: BlockRequest[] = [];
  private readonly cancelScratch: PickerPeer[] = [];
  private stopped = false;
  /** Piece buffers whose piece is written, reused for the next pieces (no GC churn of 1 MiB
   * external buffers, flat memory). */
  private readonly spare: Buffer[] = [];

  constructor(
    private readonly meta: TorrentMeta,
    readonly picker: PiecePicker,
    private readonly storage: TorrentStorage,
    private readonly hasher: PieceHasher,
    private readonly events: DownloaderEvents,
  ) {}

  /** Whether `conn` has anything we still want (decides our interest). */
  wantsFrom(conn: PeerConnection): boolean {
    if (this.picker.missingWanted === 0) return false;
    if (conn.peerHasAll) return true;
    const have = conn.have;
    if (!have) return false;
    for (let i = 0; i < this.meta.pieceCount; i++) {
      if (have.get(i) && !this.picker.hasPiece(i) && this.picker.isWanted(i)) return true;
    }
    return false;
  }

  /** Tops up the request pipeline of `conn`. */
  fill(conn: PeerConnection): void {
    if (this.stopped || conn.peerChoking || !conn.amInterested || !conn.ready) return;
    // backpressure from hashing and disk: complete pieces waiting to be verified and written
    // stop new requests, so memory stays bounded whatever the network's speed
    if (this.verifying.size >= MAX_VERIFYING) return;
    const rate = conn.down.rate();
    conn.pipeline = Math.max(
      MIN_PIPELINE,
      Math.min(MAX_PIPELINE, conn.peerReqq, Math.ceil((rate * PIPELINE_SECONDS) / BLOCK_SIZE)),
    );
    const room = conn.pipeline - conn.outstanding.size;
    if (room < Math.max(8, conn.pipeline / 4)) return; // refill in batches: one write, fewer picks
    const reqs = this.scratch;
    reqs.length = 0;
    this.picker.pick(conn, room, reqs);
    if (reqs.length > 0) conn.request(reqs.slice());
  }

  /** Whether hashing and disk keep up: no new requests while too many pieces wait for them. */
  get hasRoom(): boolean {
    return !this.stopped && this.verifying.size < MAX_VERIFYING;
  }

  /** Bytes of complete pieces waiting for the hashing pool and the disk. */
  get verifyingBytes(): number {
    return this.verifyingSize;
  }

  /** A block arrived. Returns false when it was unwanted (duplicate, never requested, bad). */
  onBlock(
    conn: BlockSource,
    index: number,
    begin: number,
    block: Buffer,
    peers: Iterable<PeerConnection>,
  ): boolean {
    if (this.stopped) return false;
    const size = pieceSize(this.meta, index);
    if (begin + block.length > size || block.length !== Math.min(BLOCK_SIZE, size - begin))
      return false;
    const cancel = this.cancelScratch;
    cancel.length = 0;
    if (!this.picker.received(conn, index, begin, cancel)) return false;
    for (const other of cancel) (other as BlockSource).cancel(index, begin, block.length);
    let buf = this.buffers.get(index);
    if (!buf) {
      buf = this.takeBuffer(size);
      this.buffers.set(index, buf);
    }
    buf.set(block, begin);
    if (this.picker.isComplete(index)) void this.verify(index, peers);
    return true;
  }

  /** Requests the peer will not answer go back to the picker. */
  release(conn: PeerConnection, reqs: BlockRequest[]): void {
    for (const r of reqs) this.picker.release(conn, r.index, r.begin);
  }

  /** Periodic: time out old requests, mark snubbed peers. */
  checkTimeouts(conn: PeerConnection, now: number): void {
    if (conn.outstanding.size === 0) return;
    if (now - conn.lastBlockAt > SNUB_MS) conn.snubbed = true;
    const expired: BlockRequest[] = [];
    for (const [k, r] of conn.outstanding) {
      if (now - r.at > REQUEST_TIMEOUT_MS) {
        expired.push(r);
        conn.outstanding.delete(k);
      }
    }
    this.release(conn, expired);
  }

  /** Pieces held in memory (for status and memory bounds). */
  get bufferedPieces(): number {
    return this.buffers.size;
  }

  stop(): void {
    this.stopped = true;
    this.buffers.clear();
  }

  private takeBuffer(size: number): Buffer {
    const b = this.spare.pop();
    if (b && b.length === size) return b;
    return allocPieceBuffer(size);
  }

  private giveBack(buf: Buffer): void {
    if (buf.length === this.meta.pieceLength && this.spare.length < MAX_SPARE) this.spare.push(buf);
  }

  private async verify(index: number, peers: Iterable<PeerConnection>): Promise<void> {
    if (this.verifying.has(index)) return;
    this.verifying.add(index);
    const buf = this.buffers.get(index)!;
    this.buffers.delete(index);
    const size = buf.length;
    this.verifyingSize += size;
    const contributors = this.picker.contributors(index) as Set<BlockSource>;
    try {
      const check = pieceCheck(this.meta, index);
      // a v2 piece whose layer is not known yet cannot be checked: it fails and is fetched again
      const { ok, buf: back } = check
        ? await this.storage.withWriteTargets(index, buf.length, (targets) =>
            this.hasher.verifyAndWrite(buf, check.expected, targets, check.v2),
          )
        : { ok: false, buf };
      this.giveBack(back);
      if (this.stopped) return;
      if (!check) {
        // no one is to blame: the piece is fetched again once its layer is known
        this.picker.pieceFailed(index);
        return;
      }
      if (!ok) {
        this.picker.pieceFailed(index);
        this.events.hashFailed(index, contributors);
        return;
      }
      this.picker.setHave(index);
      this.events.verified(index);
    } catch (err) {
      if (this.stopped) return;
      this.picker.pieceFailed(index);
      this.events.storageError(err as Error);
    } finally {
      this.verifying.delete(index);
      this.verifyingSize -= size;
      // a finished piece frees pipeline room everywhere
      for (const p of peers) this.fill(p);
    }
  }
}
