import type { Socket } from 'node:net';
import {
  HashMessageId,
  encodeHashReject,
  parseHashRequest,
  type Handshake,
} from '@enjambre/bittorrent';
import type { EngineLogger } from '../api';
import { PeerConnection, type PeerHandler } from '../peer/connection';
import {
  UT_METADATA_ID,
  UT_PEX_ID,
  encodeExtHandshake,
  parseExtHandshake,
  parseMetadataMessage,
} from '../peer/extensions';
import type { BlockRequest } from '../picker/picker';
import { Bitfield } from '../util/bitfield';
import type { TorrentContent } from './content';
import type { Live } from './live';
import type { MetadataExchange } from './metadata';
import type { Pex } from './pex';
import type { Candidate, Swarm } from './swarm';

/** The parts of a torrent its peers' events go to. */
export interface RouterParts {
  infoHash: Buffer;
  /** BEP 52: whether peers may speak v2 to it, and a hybrid's other hash (see `wireHashes`). */
  hashes(): { v2: boolean; other?: Buffer };
  peerId: Buffer;
  port(): number;
  swarm: Swarm;
  metadata: MetadataExchange;
  pex: Pex;
  /** Whether the torrent is known to be public (BEP 27): only then is ut_pex offered. */
  isPublic(): boolean;
  /** Whether incoming peers are taken now (the torrent is connected). */
  connected(): boolean;
  content(): TorrentContent | undefined;
  live(): Live | undefined;
  logger?: EngineLogger;
}

/**
 * A torrent's peer connections: makes outgoing ones, takes incoming ones, and routes every wire
 * event to the part that handles it: the live run when there is one (before it, peers' pieces are
 * only remembered on the connection and counted when the run starts), the metadata exchange, PEX.
 */
export class PeerRouter implements PeerHandler {
  constructor(private readonly t: RouterParts) {}

  outgoing(socket: Socket, c: Candidate, address: string): PeerConnection {
    const pieceCount = this.t.content()?.meta.pieceCount;
    const { v2, other } = this.t.hashes();
    const conn = new PeerConnection({
      socket,
      incoming: false,
      infoHash: this.t.infoHash,
      // a hybrid's peer may answer with either hash (BEP 52)
      v2,
      altInfoHash: other,
      peerId: this.t.peerId,
      pieceCount,
      handler: this,
      address,
    });
    conn.source = c.source;
    if (pieceCount !== undefined) conn.setPieceCount(pieceCount);
    return conn;
  }

  /** An incoming connection's handshake named this torrent: take it if there is room. */
  accept(conn: PeerConnection, hs: Handshake): boolean {
    const swarm = this.t.swarm;
    if (!this.t.connected() || !swarm.hasRoom()) return false;
    if (swarm.isBanned(conn.address, hs.peerId)) return false;
    conn.handler = this;
    // the hash the peer greeted us with: a hybrid's v1 one, or its truncated v2 one (BEP 52)
    conn.infoHash = Buffer.from(hs.infoHash);
    conn.v2 = this.t.hashes().v2;
    const content = this.t.content();
    if (content) conn.setPieceCount(content.meta.pieceCount);
    swarm.adopt(conn);
    conn.sendHandshake();
    return this.onHandshake(conn, hs);
  }

  /** The metadata arrived: peers learn our (empty) bitfield and, if public, that we do PEX. */
  metadataArrived(content: TorrentContent): void {
    for (const c of this.t.swarm.conns) {
      if (!c.ready) continue;
      try {
        c.setPieceCount(content.meta.pieceCount);
      } catch {
        c.close('bitfield does not match the torrent');
        continue;
      }
      // BEP 10 lets a later extension handshake update the first one
      if (c.extended && this.t.isPublic()) c.sendExtended(0, this.extHandshake());
      c.sendBitfield(content.have);
    }
  }

  onHandshake(conn: PeerConnection, hs: Handshake): boolean {
    const swarm = this.t.swarm;
    if (swarm.isBanned(conn.address, hs.peerId)) return false;
    for (const c of swarm.conns) {
      if (c !== conn && c.remoteId?.equals(hs.peerId)) return false; // already connected to it
    }
    if (conn.extended) conn.sendExtended(0, this.extHandshake());
    const have = this.t.content()?.have;
    // a super-seed shows no pieces up front: have-none, or with no fast extension nothing
    if (this.t.live()?.hidesPieces) conn.sendBitfield(new Bitfield(have?.length ?? 0));
    else if (have) conn.sendBitfield(have);
    else if (conn.fast) conn.sendBitfield(new Bitfield(0));
    this.t.live()?.onHandshake(conn);
    return true;
  }

  onAvailability(
    conn: PeerConnection,
    kind: 'have' | 'bitfield' | 'have-all' | 'have-none',
    index?: number,
  ): void {
    this.t.live()?.onAvailability(conn, kind, index);
    // a v2 torrent from a magnet asks its piece layers as soon as a peer says what it has
    if (kind !== 'have') this.t.content()?.layers?.tick([conn]);
  }

  onChokeChange(conn: PeerConnection): void {
    this.t.live()?.onChokeChange(conn);
  }

  onInterestChange(conn: PeerConnection): void {
    this.t.live()?.onInterestChange(conn);
  }

  onBlock(conn: PeerConnection, index: number, begin: number, block: Buffer): void {
    this.t.live()?.onBlock(conn, index, begin, block);
  }

  onRequest(conn: PeerConnection, index: number, begin: number, length: number): void {
    const live = this.t.live();
    if (live) live.onRequest(conn, index, begin, length);
    else conn.reject(index, begin, length);
  }

  onCancel(conn: PeerConnection, index: number, begin: number): void {
    this.t.live()?.onCancel(conn, index, begin);
  }

  onRequestsDropped(conn: PeerConnection, reqs: BlockRequest[]): void {
    this.t.content()?.downloader.release(conn, reqs);
  }

  onHashMessage(conn: PeerConnection, id: number, payload: Buffer): void {
    const layers = this.t.content()?.layers;
    if (layers) layers.onMessage(conn, id, payload);
    else if (id === HashMessageId.HashRequest)
      conn.write(encodeHashReject(parseHashRequest(payload)));
  }

  onExtended(conn: PeerConnection, extId: number, payload: Buffer): void {
    try {
      if (extId === 0) {
        const hs = parseExtHandshake(payload);
        conn.peerExt.clear();
        for (const [k, v] of hs.m) if (v > 0) conn.peerExt.set(k, v);
        if (hs.reqq) conn.peerReqq = hs.reqq;
        if (hs.v) conn.clientName = hs.v;
        if (hs.port) conn.listenPort = hs.port;
        this.t.metadata.onPeerReady(conn, hs.metadataSize);
      } else if (extId === UT_METADATA_ID) {
        this.t.metadata.onMessage(conn, parseMetadataMessage(payload));
      } else if (extId === UT_PEX_ID) {
        this.t.pex.onMessage(payload);
      }
    } catch (err) {
      conn.close(`bad extension message: ${(err as Error).message}`);
    }
  }

  onAllowedFast(): void {}

  onClose(conn: PeerConnection, reason: string): void {
    this.t.logger?.debug(
      { infoHash: this.t.infoHash.toString('hex'), peer: conn.address, reason },
      'peer disconnected',
    );
    const live = this.t.live();
    if (live) live.onClose(conn);
    else this.t.content()?.downloader.release(conn, conn.takeOutstanding());
    this.t.pex.forget(conn);
    this.t.swarm.onClosed(conn, conn.down.total > 0 || conn.up.total > 0);
  }

  private extHandshake(): Buffer {
    return encodeExtHandshake({
      metadataSize: this.t.metadata.infoSize,
      port: this.t.port(),
      // a private torrent, or a magnet whose metadata has not said it is public: no ut_pex
      privateTorrent: !this.t.isPublic(),
    });
  }
}
