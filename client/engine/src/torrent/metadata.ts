import { createHash } from 'node:crypto';
import type { PeerConnection } from '../peer/connection';
import {
  MAX_METADATA_SIZE,
  METADATA_PIECE,
  encodeMetadataData,
  encodeMetadataReject,
  encodeMetadataRequest,
  type MetadataMessage,
} from '../peer/extensions';

const REQUEST_TIMEOUT_MS = 20_000;

/**
 * BEP 9 for a magnet link: asks peers that offer ut_metadata for the info dictionary piece by
 * piece, assembles it, and accepts it only if its SHA-1 is the info-hash. Also serves our info
 * dictionary to peers once we have it.
 */
export class MetadataExchange {
  private size = 0;
  private buf?: Buffer;
  private received?: Uint8Array;
  private readonly asked = new Map<number, { conn: PeerConnection; at: number }>();
  private info?: Buffer;

  constructor(
    private readonly infoHash: Buffer,
    private readonly onComplete: (info: Buffer) => void,
  ) {}

  /** Our info dictionary (known from the start for .torrent files). */
  setInfo(info: Buffer): void {
    this.info = info;
    this.buf = undefined;
    this.received = undefined;
    this.asked.clear();
  }

  get infoSize(): number | undefined {
    return this.info?.length;
  }

  /** A peer told its metadata size (extended handshake): start asking it. */
  onPeerReady(conn: PeerConnection, metadataSize: number | undefined): void {
    if (this.info || !metadataSize) return;
    if (metadataSize > MAX_METADATA_SIZE) return;
    if (!this.buf) {
      this.size = metadataSize;
      this.buf = Buffer.alloc(metadataSize);
      this.received = new Uint8Array(Math.ceil(metadataSize / METADATA_PIECE));
    } else if (metadataSize !== this.size) return;
    this.askMore(conn);
  }

  onMessage(conn: PeerConnection, msg: MetadataMessage): void {
    const peerId = conn.peerExt.get('ut_metadata');
    if (msg.type === 'request') {
      if (!peerId) return;
      if (!this.info || msg.piece * METADATA_PIECE >= this.info.length) {
        conn.sendExtended(peerId, encodeMetadataReject(msg.piece));
        return;
      }
      const start = msg.piece * METADATA_PIECE;
      const data = this.info.subarray(start, Math.min(this.info.length, start + METADATA_PIECE));
      conn.sendExtended(peerId, encodeMetadataData(msg.piece, this.info.length, data));
      return;
    }
    if (this.info || !this.buf || !this.received) return;
    const ask = this.asked.get(msg.piece);
    if (!ask || ask.conn !== conn) return;
    this.asked.delete(msg.piece);
    if (msg.type === 'reject') return;
    const start = msg.piece * METADATA_PIECE;
    const expected = Math.min(METADATA_PIECE, this.size - start);
    if (msg.totalSize !== this.size || msg.data.length !== expected) {
      conn.close('ut_metadata piece of the wrong size');
      return;
    }
    msg.data.copy(this.buf, start);
    this.received[msg.piece] = 1;
    if (this.received.every((x) => x === 1)) {
      const info = this.buf;
      // v1: the SHA-1 of the info dictionary; v2-only (BEP 52): its SHA-256, truncated
      const v1 = createHash('sha1').update(info).digest();
      const v2 = createHash('sha256').update(info).digest().subarray(0, 20);
      if (!v1.equals(this.infoHash) && !v2.equals(this.infoHash)) {
        // someone sent a bad piece; start again (the sender cannot be told apart cheaply)
        this.received.fill(0);
        return;
      }
      this.setInfo(info);
      this.onComplete(info);
      return;
    }
    this.askMore(conn);
  }

  /** Periodic: re-ask pieces whose answer is overdue. */
  tick(conns: Iterable<PeerConnection>): void {
    if (this.info || !this.received) return;
    const now = Date.now();
    for (const [piece, a] of this.asked)
      if (now - a.at > REQUEST_TIMEOUT_MS || a.conn.closed) this.asked.delete(piece);
    for (const c of conns) if (c.peerExt.has('ut_metadata')) this.askMore(c);
  }

  private askMore(conn: PeerConnection): void {
    const peerId = conn.peerExt.get('ut_metadata');
    if (!peerId || !this.received) return;
    let inflight = 0;
    for (const a of this.asked.values()) if (a.conn === conn) inflight++;
    for (let p = 0; p < this.received.length && inflight < 4; p++) {
      if (this.received[p] || this.asked.has(p)) continue;
      this.asked.set(p, { conn, at: Date.now() });
      conn.sendExtended(peerId, encodeMetadataRequest(p));
      inflight++;
    }
  }
}
