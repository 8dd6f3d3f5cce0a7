import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import {
  describePeerId,
  encodeTorrent,
  formatMagnet,
  parseInfoDictionary,
  type Handshake,
} from '@enjambre/bittorrent';
import type {
  FilePriority,
  FileStatus,
  PeerStatus,
  Torrent as TorrentApi,
  TorrentEvents,
  TorrentState,
  TorrentStatus,
  TrackerStatus,
} from './api';
import { Choker } from './choker/choker';
import type { SessionContext } from './context';
import type { TorrentMeta } from './meta';
import { pieceSize } from './meta';
import { fromMetainfo } from './metainfo-adapter';
import { PeerConnection, type PeerHandler } from './peer/connection';
import {
  UT_METADATA_ID,
  UT_PEX_ID,
  encodeExtHandshake,
  encodePex,
  parseExtHandshake,
  parseMetadataMessage,
  parsePex,
} from './peer/extensions';
import { PiecePicker, type BlockRequest } from './picker/picker';
import { FileStorage } from './storage/file-storage';
import type { TorrentStorage } from './storage/storage';
import { checkPieces } from './torrent/checker';
import { Downloader } from './torrent/downloader';
import { FileTable } from './torrent/files';
import { MetadataExchange } from './torrent/metadata';
import { Swarm, parseAddress, type Candidate } from './torrent/swarm';
import { Uploader } from './torrent/uploader';
import { TrackerManager } from './tracker/manager';
import { Bitfield } from './util/bitfield';
import type { Tick } from './util/ticker';
import { RateMeter } from './util/rate';

export interface TorrentInit {
  infoHash: Buffer;
  meta?: TorrentMeta;
  name?: string;
  tiers: string[][];
  downloadDir: string;
  paused: boolean;
  filePriorities?: FilePriority[];
  sequential: boolean;
  seedMode: boolean;
  skipCheck: boolean;
  peers?: Array<{ host: string; port: number }>;
}

const PEX_INTERVAL_MS = 60_000;
const RESUME_SAVE_DELAY_MS = 2_000;

/**
 * One torrent: a coordinator that wires the peer connections to the parts that do the work
 * (picker + downloader, uploader, choker, swarm, trackers, metadata exchange, storage, resume).
 */
export class Torrent extends EventEmitter<TorrentEvents> implements TorrentApi, PeerHandler {
  readonly infoHash: string;
  readonly infoHashBuf: Buffer;
  private meta?: TorrentMeta;
  private state: TorrentState = 'metadata';
  private errorMessage?: string;
  private readonly downloadDir: string;
  private readonly addedAt = Date.now();
  private completedAt?: number;
  private sequential: boolean;
  private paused: boolean;
  private readonly init: TorrentInit;

  private storage?: TorrentStorage;
  private picker?: PiecePicker;
  private downloader?: Downloader;
  private fileTable?: FileTable;
  private have?: Bitfield;
  private wantedVerified = 0;
  private readonly uploader: Uploader;
  private readonly swarm: Swarm;
  private readonly choker: Choker;
  private readonly metadata: MetadataExchange;
  private trackerMgr: TrackerManager;
  private readonly down = new RateMeter();
  private readonly up = new RateMeter();
  private uploadedTotal = 0;
  private downloadedTotal = 0;
  private swarmCounts: { seeders?: number; leechers?: number } = {};
  private timer?: Tick;
  private lastChoke = 0;
  private lastPex = 0;
  private resumeTimer?: NodeJS.Timeout;
  private destroyed = false;
  private readonly pexSent = new Map<PeerConnection, Set<string>>();
  private readonly seedConns = new Set<PeerConnection>();
  private readonly pieceCounted = new Set<PeerConnection>();

  constructor(
    private readonly ctx: SessionContext,
    init: TorrentInit,
  ) {
    super();
    this.init = init;
    this.infoHashBuf = init.infoHash;
    this.infoHash = init.infoHash.toString('hex');
    this.downloadDir = init.downloadDir;
    this.sequential = init.sequential;
    this.paused = init.paused;
    this.metadata = new MetadataExchange(init.infoHash, (info) => this.onMetadata(info));
    this.choker = new Choker(ctx.uploadSlots);
    this.uploader = new Uploader(
      () => this.meta,
      () => this.storage,
      (i) => this.have?.get(i) ?? false,
      ctx.uploadBucket,
      (err) => this.fail(err),
      (bytes) => {
        this.uploadedTotal += bytes;
        this.up.add(bytes);
      },
    );
    this.swarm = new Swarm(
      () => ctx.maxPeersPerTorrent,
      () => ctx.sessionRoom(),
      (socket, c, address) => this.outgoing(socket, c, address),
      () => ctx.selfAddresses(),
    );
    this.trackerMgr = this.makeTrackers(init.tiers);
    if (init.peers) this.swarm.addCandidates(init.peers, 'manual');
  }

  /** Starts the torrent: checks existing data, then connects (unless added paused). */
  async start(): Promise<void> {
    if (this.init.meta) this.setMeta(this.init.meta, false);
    if (this.meta) await this.checkExisting(this.init.seedMode, this.init.skipCheck);
    if (this.destroyed || this.state === 'error') return;
    if (this.paused) {
      this.setState('paused');
      return;
    }
    this.activate();
  }

  // ---- public API ------------------------------------------------------------------------

  torrentFile(): Uint8Array | undefined {
    if (!this.meta) return undefined;
    return encodeTorrent(this.meta.infoBytes, { announce: this.init.tiers });
  }

  status(): TorrentStatus {
    const meta = this.meta;
    const wantedSize = this.fileTable ? this.fileTable.wantedSize() : 0;
    const downloadRate = this.down.rate();
    const uploadRate = this.up.rate();
    let seeders = 0;
    for (const c of this.swarm.conns) if (c.peerHasAll || c.have?.complete) seeders++;
    const left = wantedSize - this.wantedVerified;
    return {
      infoHash: this.infoHash,
      name: meta?.name ?? this.init.name ?? this.infoHash,
      state: this.state,
      error: this.errorMessage,
      size: meta?.totalLength ?? 0,
      wantedSize,
      downloaded: this.wantedVerified,
      uploadedTotal: this.uploadedTotal,
      downloadedTotal: this.downloadedTotal,
      progress: meta ? (wantedSize === 0 ? 1 : this.wantedVerified / wantedSize) : 0,
      downloadRate,
      uploadRate,
      eta: meta && downloadRate > 0 && left > 0 ? Math.ceil(left / downloadRate) : undefined,
      seeders,
      leechers: this.swarm.conns.size - seeders,
      swarmSeeders: this.swarmCounts.seeders,
      swarmLeechers: this.swarmCounts.leechers,
      ratio: this.downloadedTotal > 0 ? this.uploadedTotal / this.downloadedTotal : 0,
      sequential: this.sequential,
      paused: this.paused,
      pieceLength: meta?.pieceLength ?? 0,
      pieceCount: meta?.pieceCount ?? 0,
      downloadDir: this.downloadDir,
      addedAt: this.addedAt,
      completedAt: this.completedAt,
      magnet: formatMagnet({
        infoHash: this.infoHash,
        name: meta?.name ?? this.init.name,
        trackers: this.init.tiers.flat(),
      }),
    };
  }

  files(): FileStatus[] {
    if (!this.meta || !this.fileTable || !this.have) return [];
    const done = this.fileTable.downloaded(this.have);
    const out: FileStatus[] = [];
    this.meta.files.forEach((f, i) => {
      if (f.pad) return;
      out.push({
        index: i,
        path: f.path.join('/'),
        length: f.length,
        downloaded: done[i],
        priority: this.fileTable!.priorities[i],
      });
    });
    return out;
  }

  peers(): PeerStatus[] {
    const out: PeerStatus[] = [];
    const n = this.meta?.pieceCount ?? 0;
    for (const c of this.swarm.conns) {
      if (!c.ready) continue;
      let flags = '';
      if (c.amInterested) flags += c.peerChoking ? 'd' : 'D';
      if (c.peerInterested) flags += c.amChoking ? 'u' : 'U';
      if (c.optimistic) flags += 'O';
      if (c.snubbed) flags += 'S';
      if (c.incoming) flags += 'I';
      if (c.source === 'pex') flags += 'X';
      out.push({
        address: c.address,
        client: c.clientName || (c.remoteId ? describePeerId(c.remoteId) : ''),
        flags,
        progress: c.peerHasAll ? 1 : n > 0 && c.have ? c.have.cardinality / n : 0,
        downloadRate: c.down.rate(),
        uploadRate: c.up.rate(),
        downloaded: c.down.total,
        uploaded: c.up.total,
        source: c.source,
      });
    }
    return out;
  }

  trackers(): TrackerStatus[] {
    return this.trackerMgr.status();
  }

  bitfield(): Uint8Array {
    return this.have ? Uint8Array.from(this.have.bytes) : new Uint8Array(0);
  }

  /** Connect to a peer directly (in addition to those the trackers and PEX give). */
  addPeer(address: string): void {
    const a = parseAddress(address);
    if (!a) throw new Error(`not a peer address: ${address}`);
    this.swarm.addCandidates([a], 'manual');
    if (this.isActive()) this.swarm.maintain();
  }

  async pause(): Promise<void> {
    if (this.paused || this.destroyed) return;
    this.paused = true;
    await this.deactivate('paused');
    if (this.state !== 'error') this.setState('paused');
  }

  async resume(): Promise<void> {
    if (!this.paused || this.destroyed) return;
    this.paused = false;
    if (this.state === 'error') {
      this.errorMessage = undefined;
      this.setState(this.meta ? 'downloading' : 'metadata');
      if (this.meta && this.storage) await this.checkExisting(false, false);
    }
    this.activate();
  }

  async recheck(): Promise<void> {
    if (!this.meta || !this.storage || !this.picker || !this.have) return;
    const wasActive = this.isActive();
    if (wasActive) await this.deactivate('recheck');
    await this.fullCheck();
    if (wasActive && !this.paused) this.activate();
    else if (this.paused) this.setState('paused');
  }

  setFilePriority(fileIndex: number, priority: FilePriority): void {
    if (!this.fileTable || !this.picker || !this.meta) return;
    if (fileIndex < 0 || fileIndex >= this.meta.files.length) throw new Error('no such file');
    this.fileTable.priorities[fileIndex] = priority;
    this.picker.setPriorities(this.fileTable.piecePriorities());
    this.recountWanted();
    if (!this.isDone() && this.state === 'seeding') this.setState('downloading');
    this.updateInterest();
    for (const c of this.swarm.conns) this.downloader?.fill(c);
    this.checkDone();
  }

  setSequential(on: boolean): void {
    this.sequential = on;
    this.picker?.setSequential(on);
  }

  whenDone(): Promise<void> {
    if (this.isDone()) return Promise.resolve();
    if (this.state === 'error') return Promise.reject(new Error(this.errorMessage));
    return new Promise((resolve, reject) => {
      const onDone = () => {
        this.off('error', onError);
        resolve();
      };
      const onError = (err: Error) => {
        this.off('done', onDone);
        reject(err);
      };
      this.once('done', onDone);
      this.once('error', onError);
    });
  }

  createFileReadStream(
    fileIndex: number,
    opts: { start?: number; end?: number } = {},
  ): NodeJS.ReadableStream {
    const meta = this.meta;
    if (!meta) throw new Error('metadata not known yet');
    const file = meta.files[fileIndex];
    if (!file || file.pad) throw new Error('no such file');
    const start = opts.start ?? 0;
    const end = Math.min(opts.end ?? file.length - 1, file.length - 1); // inclusive, like fs
    const first = Math.floor((file.offset + start) / meta.pieceLength);
    const last = Math.floor((file.offset + end) / meta.pieceLength);
    const pieces: number[] = [];
    for (let p = first; p <= last; p++) pieces.push(p);
    this.picker?.fetchFirst(pieces);
    if (this.fileTable && this.fileTable.priorities[fileIndex] === 0)
      this.setFilePriority(fileIndex, 1);
    const waitPiece = (p: number) => this.waitPiece(p);
    const storage = () => this.storage!;
    async function* gen() {
      for (const p of pieces) {
        await waitPiece(p);
        const ps = p * meta!.pieceLength;
        const from = Math.max(ps, file.offset + start) - ps;
        const to = Math.min(ps + pieceSize(meta!, p), file.offset + end + 1) - ps;
        if (to > from) yield Buffer.from(await storage().readBlock(p, from, to - from));
      }
    }
    return end < start ? Readable.from([]) : Readable.from(gen());
  }

  // ---- lifecycle (session) -------------------------------------------------------------

  /** Stops everything; optionally deletes the downloaded files. */
  async destroy(deleteData: boolean): Promise<void> {
    if (this.destroyed) return;
    await this.deactivate('removed');
    this.destroyed = true;
    this.downloader?.stop();
    this.trackerMgr.close();
    if (deleteData) {
      await this.storage?.deleteData();
      await this.ctx.resume?.delete(this.infoHash).catch(() => undefined);
    }
    await this.storage?.close();
    this.removeAllListeners('piece');
  }

  /** Session close: stop, save resume data, release files. */
  async close(): Promise<void> {
    if (this.destroyed) return;
    await this.deactivate('session closed');
    this.destroyed = true;
    this.downloader?.stop();
    this.trackerMgr.close();
    await this.storage?.close();
  }

  /** An incoming connection's handshake named this torrent: take it if there is room. */
  acceptIncoming(conn: PeerConnection, hs: Handshake): boolean {
    if (!this.isActive() || !this.swarm.hasRoom()) return false;
    if (this.swarm.isBanned(conn.address, hs.peerId)) return false;
    conn.handler = this;
    conn.infoHash = this.infoHashBuf;
    if (this.meta) conn.setPieceCount(this.meta.pieceCount);
    this.swarm.conns.add(conn);
    conn.sendHandshake();
    return true;
  }

  get connectionCount(): number {
    return this.swarm.conns.size;
  }

  // ---- PeerHandler -------------------------------------------------------------------------

  onHandshake(conn: PeerConnection, hs: Handshake): boolean {
    if (this.swarm.isBanned(conn.address, hs.peerId)) return false;
    for (const c of this.swarm.conns) {
      if (c !== conn && c.remoteId?.equals(hs.peerId)) return false; // already connected to it
    }
    if (conn.extended) {
      conn.sendExtended(
        0,
        encodeExtHandshake({
          metadataSize: this.metadata.infoSize,
          port: this.ctx.port(),
          privateTorrent: this.meta?.private ?? false,
        }),
      );
    }
    if (this.have) conn.sendBitfield(this.have);
    else if (conn.fast) conn.sendBitfield(new Bitfield(0));
    if (this.have && this.have.cardinality > 0) {
      this.choker.offerSlot(this.chokerPeer(conn), this.chokerPeers());
    }
    return true;
  }

  onAvailability(
    conn: PeerConnection,
    kind: 'have' | 'bitfield' | 'have-all' | 'have-none',
    index?: number,
  ): void {
    const picker = this.picker;
    if (!picker || !conn.have) return; // magnet: applied once the metadata arrives
    if (kind === 'have') {
      if (this.seedConns.has(conn)) return;
      picker.addHave(index!);
      this.pieceCounted.add(conn);
      if (!conn.amInterested && !picker.hasPiece(index!) && picker.isWanted(index!))
        this.setInterest(conn, true);
      else this.downloader!.fill(conn);
    } else {
      this.countAvailability(conn);
      this.setInterest(conn, this.downloader!.wantsFrom(conn));
    }
  }

  onChokeChange(conn: PeerConnection): void {
    if (!conn.peerChoking) this.downloader?.fill(conn);
  }

  onInterestChange(conn: PeerConnection): void {
    if (conn.peerInterested) this.choker.offerSlot(this.chokerPeer(conn), this.chokerPeers());
    else if (!conn.amChoking && !conn.optimistic) conn.choke();
  }

  onBlock(conn: PeerConnection, index: number, begin: number, block: Buffer): void {
    if (!this.downloader) return;
    this.downloadedTotal += block.length;
    this.down.add(block.length);
    this.ctx.downloadBucket.take(block.length);
    this.downloader.onBlock(conn, index, begin, block, this.swarm.conns);
    const wait = this.ctx.downloadBucket.delay();
    if (wait > 0) {
      conn.socket.pause();
      setTimeout(() => conn.closed || conn.socket.resume(), wait).unref();
    }
    this.downloader.fill(conn);
  }

  onRequest(conn: PeerConnection, index: number, begin: number, length: number): void {
    this.uploader.onRequest(conn, index, begin, length);
  }

  onCancel(conn: PeerConnection, index: number, begin: number): void {
    this.uploader.onCancel(conn, index, begin);
  }

  onRequestsDropped(conn: PeerConnection, reqs: BlockRequest[]): void {
    this.downloader?.release(conn, reqs);
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
        this.metadata.onPeerReady(conn, hs.metadataSize);
      } else if (extId === UT_METADATA_ID) {
        this.metadata.onMessage(conn, parseMetadataMessage(payload));
      } else if (extId === UT_PEX_ID) {
        if (this.meta?.private) return;
        const pex = parsePex(payload);
        this.swarm.addCandidates(pex.added, 'pex');
      }
    } catch (err) {
      conn.close(`bad extension message: ${(err as Error).message}`);
    }
  }

  onAllowedFast(): void {}

  onClose(conn: PeerConnection, reason: string): void {
    this.ctx.logger?.debug(
      { infoHash: this.infoHash, peer: conn.address, reason },
      'peer disconnected',
    );
    if (this.downloader) this.downloader.release(conn, conn.takeOutstanding());
    this.uncountAvailability(conn);
    this.uploader.forget(conn);
    this.pexSent.delete(conn);
    this.swarm.onClosed(conn, conn.down.total > 0 || conn.up.total > 0);
  }

  // ---- internals ----------------------------------------------------------------------------

  private makeTrackers(tiers: string[][]): TrackerManager {
    return new TrackerManager({
      infoHash: this.infoHashBuf,
      peerId: this.ctx.peerId,
      port: () => this.ctx.port(),
      tiers,
      stats: () => ({
        uploaded: this.uploadedTotal,
        downloaded: this.downloadedTotal,
        left: this.meta
          ? Math.max(0, (this.fileTable?.wantedSize() ?? 0) - this.wantedVerified)
          : 16384,
      }),
      onPeers: (peers) => {
        this.swarm.addCandidates(peers, 'tracker');
        if (this.isActive()) this.swarm.maintain();
      },
      onSwarm: (seeders, leechers) => {
        this.swarmCounts = { seeders, leechers };
      },
      clientFor: (url) => this.ctx.trackerClient(url),
      queue: this.ctx.announces,
      log: (msg, obj) => this.ctx.logger?.debug({ ...obj, infoHash: this.infoHash }, msg),
    });
  }

  private outgoing(socket: Socket, c: Candidate, address: string): PeerConnection {
    const conn = new PeerConnection({
      socket,
      incoming: false,
      infoHash: this.infoHashBuf,
      peerId: this.ctx.peerId,
      pieceCount: this.meta?.pieceCount,
      handler: this,
      address,
    });
    conn.source = c.source === 'manual' ? 'manual' : c.source;
    if (this.meta) conn.setPieceCount(this.meta.pieceCount);
    return conn;
  }

  private setMeta(meta: TorrentMeta, announceFromInfo: boolean): void {
    this.meta = meta;
    this.metadata.setInfo(meta.infoBytes);
    if (announceFromInfo && meta.announce.length > 0 && this.init.tiers.length === 0) {
      this.init.tiers = meta.announce;
    }
    this.storage = new FileStorage(meta, {
      downloadDir: this.downloadDir,
      fds: this.ctx.fds,
      stats: this.ctx.stats,
    });
    this.fileTable = new FileTable(meta, this.init.filePriorities);
    const last = pieceSize(meta, meta.pieceCount - 1);
    this.picker = new PiecePicker(meta.pieceCount, meta.pieceLength, last);
    this.picker.setPriorities(this.fileTable.piecePriorities());
    this.picker.setSequential(this.sequential);
    this.have = new Bitfield(meta.pieceCount);
    this.downloader = new Downloader(meta, this.picker, this.storage, this.ctx.hasher, {
      verified: (i) => this.onVerified(i),
      hashFailed: (i, peers) => this.onHashFailed(i, peers),
      storageError: (err) => this.fail(err),
    });
  }

  private onMetadata(info: Buffer): void {
    let meta: TorrentMeta;
    try {
      meta = fromMetainfo(parseInfoDictionary(info));
    } catch (err) {
      this.fail(new Error(`the metadata from peers is invalid: ${(err as Error).message}`));
      return;
    }
    this.setMeta(meta, false);
    for (const c of this.swarm.conns) {
      if (!c.ready) continue;
      try {
        c.setPieceCount(meta.pieceCount);
      } catch {
        c.close('bitfield does not match the torrent');
        continue;
      }
      c.sendBitfield(this.have!);
      this.countAvailability(c);
      this.setInterest(c, this.downloader!.wantsFrom(c));
    }
    this.emit('metadata');
    void (async () => {
      await this.checkExisting(false, false);
      if (this.state === 'error' || this.destroyed) return;
      this.setState(this.isDone() ? 'seeding' : 'downloading');
      for (const c of this.swarm.conns) this.downloader!.fill(c);
      if (this.isDone()) this.onAllDone();
    })();
  }

  private countAvailability(conn: PeerConnection): void {
    const picker = this.picker;
    if (!picker || !conn.have) return;
    this.uncountAvailability(conn);
    if (conn.peerHasAll || conn.have.complete) {
      picker.addSeed();
      this.seedConns.add(conn);
      return;
    }
    for (let i = 0; i < conn.have.length; i++) if (conn.have.get(i)) picker.addHave(i);
    this.pieceCounted.add(conn);
  }

  private uncountAvailability(conn: PeerConnection): void {
    const picker = this.picker;
    if (!picker) return;
    if (this.seedConns.delete(conn)) picker.removeSeed();
    if (this.pieceCounted.delete(conn) && conn.have) {
      for (let i = 0; i < conn.have.length; i++) if (conn.have.get(i)) picker.removeHave(i);
    }
  }

  private setInterest(conn: PeerConnection, on: boolean): void {
    conn.interested(on);
    if (on) this.downloader?.fill(conn);
  }

  private updateInterest(): void {
    if (!this.downloader) return;
    for (const c of this.swarm.conns)
      if (c.ready && c.have) this.setInterest(c, this.downloader.wantsFrom(c));
  }

  /** Loads resume data or checks what is on disk; sets `have` and the picker. */
  private async checkExisting(seedMode: boolean, skipCheck: boolean): Promise<void> {
    const meta = this.meta!;
    this.setState('checking');
    // resume data whose files are as saved need not be written again at start-up
    let unchanged = false;
    try {
      const stats = await this.storage!.fileStats();
      const resume = await this.ctx.resume?.load(this.infoHash);
      let toCheck: number[] = [];
      if (seedMode) {
        toCheck = range(meta.pieceCount);
      } else if (resume && resume.bitfield.length === Math.ceil(meta.pieceCount / 8)) {
        const saved = new Bitfield(meta.pieceCount, resume.bitfield);
        const changed = this.fileTable!.changedFiles(resume.files, stats);
        unchanged = changed.length === 0;
        const recheck = new Set<number>();
        for (const f of changed) {
          const { first, last } = this.fileTable!.map.pieceRange(f);
          for (let p = first; p <= last; p++) recheck.add(p);
        }
        for (let p = 0; p < meta.pieceCount; p++)
          if (saved.get(p) && !recheck.has(p)) this.markHave(p);
        toCheck = [...recheck].filter((p) => stats.some((s) => s !== null) && !this.have!.get(p));
      } else if (!skipCheck && stats.some((s) => s !== null && s.size > 0)) {
        toCheck = range(meta.pieceCount);
      }
      if (toCheck.length > 0) {
        const good = await checkPieces(
          meta,
          this.storage!,
          this.ctx.hasher,
          toCheck,
          undefined,
          () => this.destroyed,
        );
        for (const p of toCheck) if (good.get(p)) this.markHave(p);
      }
      if (seedMode && !this.isDone()) {
        const missing = meta.pieceCount - this.have!.cardinality;
        throw new Error(
          `seed mode: ${missing} of ${meta.pieceCount} pieces are missing or damaged`,
        );
      }
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    this.setState(this.isDone() ? 'seeding' : 'downloading');
    if (this.isDone()) this.completedAt ??= Date.now();
    if (!unchanged) this.scheduleResumeSave(0);
  }

  private async fullCheck(): Promise<void> {
    const meta = this.meta!;
    this.setState('checking');
    try {
      const good = await checkPieces(meta, this.storage!, this.ctx.hasher, range(meta.pieceCount));
      for (let p = 0; p < meta.pieceCount; p++) {
        if (good.get(p)) this.markHave(p);
        else if (this.have!.clear(p)) this.picker!.unsetHave(p);
      }
      this.recountWanted();
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    this.setState(this.isDone() ? 'seeding' : 'downloading');
    this.scheduleResumeSave(0);
  }

  private markHave(p: number): void {
    if (this.have!.set(p)) {
      this.picker!.setHave(p);
      this.wantedVerified += this.fileTable!.wantedBytesIn(p);
    }
  }

  private recountWanted(): void {
    if (!this.meta || !this.have || !this.fileTable) return;
    let n = 0;
    for (let p = 0; p < this.meta.pieceCount; p++)
      if (this.have.get(p)) n += this.fileTable.wantedBytesIn(p);
    this.wantedVerified = n;
  }

  private onVerified(index: number): void {
    this.markHave(index);
    for (const c of this.swarm.conns) if (c.ready && !c.peerHasAll) c.sendHave(index);
    this.emit('piece', index);
    this.scheduleResumeSave(RESUME_SAVE_DELAY_MS);
    this.checkDone();
  }

  private onHashFailed(index: number, peers: Set<PeerConnection>): void {
    this.ctx.logger?.warn(
      { infoHash: this.infoHash, piece: index, peers: peers.size },
      'piece failed hash check',
    );
    for (const c of peers) {
      c.hashFailures++;
      if (peers.size === 1 || c.hashFailures >= 2) this.swarm.ban(c);
    }
    for (const c of this.swarm.conns) this.downloader?.fill(c);
  }

  private isDone(): boolean {
    return !!this.picker && this.picker.missingWanted === 0;
  }

  private checkDone(): void {
    if (!this.isDone() || this.state !== 'downloading') return;
    this.onAllDone();
  }

  private onAllDone(): void {
    this.completedAt = Date.now();
    this.setState('seeding');
    for (const c of this.swarm.conns) if (c.ready) c.interested(false);
    this.trackerMgr.completed();
    this.scheduleResumeSave(0);
    if (this.meta && this.have?.complete) void this.publish();
    this.emit('done');
  }

  private async publish(): Promise<void> {
    const meta = this.meta!;
    await this.trackerMgr.publish({
      name: meta.name,
      size: meta.totalLength,
      fileCount: meta.files.filter((f) => !f.pad).length,
      torrent: this.torrentFile(),
    });
  }

  private waitPiece(p: number): Promise<void> {
    if (this.have?.get(p)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onPiece = (i: number) => {
        if (i !== p) return;
        cleanup();
        resolve();
      };
      const onError = (err: Error) => {
        cleanup();
        reject(err);
      };
      const cleanup = () => {
        this.off('piece', onPiece);
        this.off('error', onError);
      };
      this.on('piece', onPiece);
      this.on('error', onError);
    });
  }

  private isActive(): boolean {
    return !!this.timer;
  }

  private activate(): void {
    if (this.timer || this.destroyed || this.state === 'error') return;
    if (this.meta) {
      if (this.state !== 'checking') this.setState(this.isDone() ? 'seeding' : 'downloading');
    } else this.setState('metadata');
    this.timer = this.ctx.ticker.add(() => this.tick());
    // the first round comes one interval after start: until then interested peers take the free
    // slots as they come (Choker.offerSlot)
    this.lastChoke = Date.now();
    this.trackerMgr = this.makeTrackers(this.init.tiers);
    this.trackerMgr.start();
    this.swarm.resetBackoff();
    this.swarm.maintain();
    if (this.meta && this.have?.complete && this.init.seedMode) void this.publish();
  }

  private async deactivate(reason: string): Promise<void> {
    if (this.timer) {
      this.timer.cancel();
      this.timer = undefined;
    }
    this.swarm.closeAll(reason);
    await this.trackerMgr.stop();
    await this.saveResume();
  }

  private tick(): void {
    // nothing to time out, fill, dial or gossip: most of 10,000 seeding torrents, most seconds
    if (this.swarm.idle()) return;
    const now = Date.now();
    for (const c of this.swarm.conns) {
      if (!c.ready) continue;
      this.downloader?.checkTimeouts(c, now);
      this.downloader?.fill(c);
    }
    this.swarm.maintain();
    this.metadata.tick(this.swarm.conns);
    if (now - this.lastChoke >= this.ctx.chokeIntervalMs) {
      this.lastChoke = now;
      this.choker.run(this.chokerPeers(), this.state === 'seeding');
      this.updateInterest();
    }
    if (now - this.lastPex >= PEX_INTERVAL_MS) {
      this.lastPex = now;
      this.sendPex(false);
    } else this.sendPex(true);
  }

  private chokerPeers() {
    return [...this.swarm.conns].filter((c) => c.ready).map((c) => this.chokerPeer(c));
  }

  private chokerPeer(c: PeerConnection) {
    const uploader = this.uploader;
    return {
      get peerInterested() {
        return c.peerInterested;
      },
      get amChoking() {
        return c.amChoking;
      },
      get optimistic() {
        return c.optimistic;
      },
      set optimistic(v: boolean) {
        c.optimistic = v;
      },
      get snubbed() {
        return c.snubbed;
      },
      downRate: () => c.down.rate(),
      upRate: () => c.up.rate(),
      choke: () => {
        c.choke();
        uploader.onChoked(c);
      },
      unchoke: () => c.unchoke(),
      conn: c,
    };
  }

  /** BEP 11 every minute; a newly connected peer gets its first list at the next tick. */
  private sendPex(onlyNew: boolean): void {
    if (this.meta?.private) return;
    const now = this.swarm.addresses();
    const nowKeys = new Set(now.map((a) => `${a.host}:${a.port}`));
    for (const c of this.swarm.conns) {
      const id = c.peerExt.get('ut_pex');
      if (!c.ready || !id || (onlyNew && this.pexSent.has(c))) continue;
      const sent = this.pexSent.get(c) ?? new Set<string>();
      const self = c.address;
      const added = now.filter(
        (a) => !sent.has(`${a.host}:${a.port}`) && `${a.host}:${a.port}` !== self,
      );
      const dropped = [...sent].filter((k) => !nowKeys.has(k)).map((k) => parseAddress(k)!);
      if (added.length === 0 && dropped.length === 0) {
        this.pexSent.set(c, sent);
        continue;
      }
      c.sendExtended(id, encodePex({ added, dropped }));
      for (const a of added) sent.add(`${a.host}:${a.port}`);
      for (const d of dropped) sent.delete(`${d.host}:${d.port}`);
      this.pexSent.set(c, sent);
    }
  }

  private scheduleResumeSave(delay: number): void {
    if (!this.ctx.resume || !this.meta) return;
    if (this.resumeTimer && delay > 0) return; // a save is already due
    clearTimeout(this.resumeTimer);
    this.resumeTimer = setTimeout(() => {
      this.resumeTimer = undefined;
      void this.saveResume();
    }, delay);
    this.resumeTimer.unref();
  }

  private async saveResume(): Promise<void> {
    clearTimeout(this.resumeTimer);
    this.resumeTimer = undefined;
    if (!this.ctx.resume || !this.meta || !this.have || !this.storage || this.state === 'checking')
      return;
    try {
      const files = await this.storage.fileStats();
      await this.ctx.resume.save(this.infoHash, {
        bitfield: this.have.bytes,
        files,
        savedAt: Date.now(),
      });
    } catch (err) {
      this.ctx.logger?.warn(
        { infoHash: this.infoHash, err: (err as Error).message },
        'resume save failed',
      );
    }
  }

  private fail(err: Error): void {
    if (this.state === 'error' || this.destroyed) return;
    const msg = describeError(err);
    this.errorMessage = msg;
    this.ctx.logger?.error({ infoHash: this.infoHash, err: msg }, 'torrent error');
    this.setState('error');
    void this.deactivate('torrent error');
    const e = new Error(msg);
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }

  private setState(s: TorrentState): void {
    if (this.state === s) return;
    this.state = s;
    this.emit('state', s);
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function describeError(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  const path = (err as NodeJS.ErrnoException).path;
  if (code === 'ENOSPC') return `disk full while writing${path ? ` ${path}` : ''}`;
  if (code === 'EACCES' || code === 'EPERM')
    return `permission denied: cannot write ${path ?? 'a file'}`;
  if (code === 'EROFS') return `read-only file system: cannot write ${path ?? 'a file'}`;
  if (code === 'ENOTDIR') return `a file is in the way of a folder: ${path ?? ''}`.trim();
  return err.message;
}
