/**
 * BEP 52 piece layers over the wire: a v2-only torrent added from a magnet link has its files'
 * roots (in the info dictionary) but not the piece layers (outside it), so it asks peers for them
 * with `hash request`s and keeps each answer whose proof leads to the file's root. Seeding, it
 * answers peers' requests for piece-layer hashes from the layers it has.
 *
 * Proofs as libtorrent 2.0 sends and takes them: a request for `length` hashes (a power of two,
 * at most the layer's width) with `proof layers` p gets the hashes and the uncles of the layers
 * log2(length) .. p above the base; p = height - base - 1 reaches the root.
 */
import {
  BLOCK_SIZE_V2,
  HASH_SIZE_V2,
  HashMessageId,
  encodeHashReject,
  encodeHashes,
  encodeHashRequest,
  log2,
  nextPow2,
  padHash,
  parseHashRequest,
  parseHashes,
  proofUncles,
  rootFromPieceLayer,
  splitHashes,
  treeHeight,
  verifyHashProof,
  type HashRequest,
} from '@enjambre/bittorrent';
import type { TorrentMeta, V2Meta } from '../meta';
import type { PeerConnection } from '../peer/connection';

/** BEP 52: a request SHOULD NOT ask for more than 512 hashes. */
const MAX_HASHES = 512;
const REQUEST_TIMEOUT_MS = 10_000;

interface Wanted {
  file: number;
  root: Buffer;
  pieces: number;
  height: number;
  /** Hashes received so far, by piece. */
  got: (Buffer | undefined)[];
  /** Chunk start index -> when and to whom it was asked. */
  asked: Map<number, { conn: PeerConnection; at: number }>;
}

export class PieceLayers {
  private readonly base: number;
  private readonly wanted = new Map<string, Wanted>(); // by root (hex)
  private readonly byRoot = new Map<string, number>(); // root (hex) -> file index
  /** Layers learned from peers or restored from a saved record, by root (hex). */
  private readonly learnedLayers = new Map<string, Buffer>();

  constructor(
    private readonly meta: TorrentMeta & { v2: V2Meta },
    /** A layer arrived and checked out: its pieces can be verified now. */
    private readonly onLayer: (file: number) => void,
  ) {
    this.base = log2(meta.pieceLength / BLOCK_SIZE_V2);
    meta.files.forEach((f, i) => {
      const root = meta.v2.roots[i];
      if (!root) return;
      this.byRoot.set(root.toString('hex'), i);
      const pieces = Math.ceil(f.length / meta.pieceLength);
      if (pieces > 1 && !meta.v2.layers.has(i)) {
        this.wanted.set(root.toString('hex'), {
          file: i,
          root,
          pieces,
          height: treeHeight(f.length, meta.pieceLength),
          got: new Array<Buffer | undefined>(pieces),
          asked: new Map(),
        });
      }
    });
  }

  /** Every piece layer is known. */
  get complete(): boolean {
    return this.wanted.size === 0;
  }

  /** What a restart needs to not ask peers again: every layer learned so far, by root (hex). */
  learned(): ReadonlyMap<string, Buffer> {
    return this.learnedLayers;
  }

  /** Layers a previous run learned (resume record): each is checked against its file's root. */
  restore(saved: ReadonlyMap<string, Buffer>): void {
    for (const [key, w] of this.wanted) {
      const layer = saved.get(key);
      if (!layer || layer.length !== w.pieces * HASH_SIZE_V2) continue;
      if (!rootFromPieceLayer(splitHashes(layer), this.meta.pieceLength).equals(w.root)) continue;
      this.learn(key, w, Buffer.from(layer));
    }
  }

  private learn(key: string, w: Wanted, layer: Buffer): void {
    this.wanted.delete(key);
    this.meta.v2.layers.set(w.file, layer);
    this.learnedLayers.set(key, layer);
    this.onLayer(w.file);
  }

  /** Asks peers for the layers still missing (each chunk from one peer at a time). */
  tick(conns: Iterable<PeerConnection>): void {
    if (this.wanted.size === 0) return;
    const peers = [...conns].filter((c) => c.ready);
    if (peers.length === 0) return;
    const now = Date.now();
    let k = 0;
    for (const w of this.wanted.values()) {
      const width = Math.min(MAX_HASHES, nextPow2(w.pieces));
      for (let index = 0; index < w.pieces; index += width) {
        if (w.got[index] !== undefined) continue;
        const a = w.asked.get(index);
        if (a && !a.conn.closed && now - a.at < REQUEST_TIMEOUT_MS) continue;
        const conn = peers[k++ % peers.length];
        w.asked.set(index, { conn, at: now });
        conn.write(
          encodeHashRequest({
            root: w.root,
            baseLayer: this.base,
            index,
            length: width,
            proofLayers: w.height - this.base - 1,
          }),
        );
      }
    }
  }

  /** A hash request, hashes or hash reject from a peer. */
  onMessage(conn: PeerConnection, id: number, payload: Buffer): void {
    if (id === HashMessageId.HashRequest) this.answer(conn, parseHashRequest(payload));
    else if (id === HashMessageId.Hashes) this.take(conn, payload);
    else {
      const r = parseHashRequest(payload);
      const w = this.wanted.get(r.root.toString('hex'));
      if (w?.asked.get(r.index)?.conn === conn) w.asked.delete(r.index);
    }
  }

  private take(conn: PeerConnection, payload: Buffer): void {
    const { request: r, hashes } = parseHashes(payload);
    const w = this.wanted.get(r.root.toString('hex'));
    if (!w || r.baseLayer !== this.base || w.asked.get(r.index)?.conn !== conn) return;
    w.asked.delete(r.index);
    const width = nextPow2(Math.max(1, r.length));
    const ok =
      r.length >= 1 &&
      hashes.length >= r.length &&
      verifyHashProof({
        root: w.root,
        height: w.height,
        baseLayer: this.base,
        index: r.index,
        hashes: hashes.slice(0, width),
        uncles: hashes.slice(width),
      });
    if (!ok) {
      conn.close('hashes that do not lead to the file root');
      return;
    }
    for (let i = 0; i < width && r.index + i < w.pieces; i++) {
      w.got[r.index + i] = Buffer.from(hashes[i]);
    }
    if (w.got.every((h) => h !== undefined)) {
      const layer = w.got as Buffer[];
      // the proofs already tie every hash to the root; this is the layer as a whole
      if (!rootFromPieceLayer(layer, this.meta.pieceLength).equals(w.root)) {
        w.got = new Array<Buffer | undefined>(w.pieces);
        return;
      }
      this.learn(r.root.toString('hex'), w, Buffer.concat(layer));
    }
  }

  /** Serves piece-layer hashes with their proof, or rejects what it cannot serve. */
  private answer(conn: PeerConnection, r: HashRequest): void {
    const file = this.byRoot.get(r.root.toString('hex'));
    const layer = file === undefined ? undefined : this.meta.v2.layers.get(file);
    if (file === undefined || !layer || r.baseLayer !== this.base) {
      conn.write(encodeHashReject(r));
      return;
    }
    const height = treeHeight(this.meta.files[file].length, this.meta.pieceLength);
    const size = 2 ** (height - this.base);
    const n = r.length;
    const valid =
      n >= 1 &&
      n <= MAX_HASHES &&
      (n & (n - 1)) === 0 &&
      n <= size &&
      r.index % n === 0 &&
      r.index + n <= size &&
      r.proofLayers <= height - this.base - 1;
    if (!valid) {
      conn.write(encodeHashReject(r));
      return;
    }
    const nodes = splitHashes(layer);
    const range = Array.from({ length: n }, (_, i) => nodes[r.index + i] ?? padHash(this.base));
    const uncles = proofUncles(nodes, this.base, height, r.index, n);
    // proof layers below the range's own root are implied by the range
    const count = Math.max(0, Math.min(uncles.length, r.proofLayers - log2(n) + 1));
    conn.write(encodeHashes(r, [...range, ...uncles.slice(0, count)]));
  }
}
