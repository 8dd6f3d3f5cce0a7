import { EventEmitter } from 'node:events';
import { encodeTorrent, parseInfoDictionary, type Handshake } from '@enjambre/bittorrent';
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
import type { SessionContext } from './context';
import type { TorrentMeta } from './meta';
import { fromMetainfo } from './metainfo-adapter';
import type { PeerConnection } from './peer/connection';
import { TorrentContent } from './torrent/content';
import type { BlockSource } from './torrent/downloader';
import { Live, Transfer } from './torrent/live';
import type { MetadataExchange } from './torrent/metadata';
import { buildParts } from './torrent/parts';
import { contentOf, stateOf, type Phase } from './torrent/phase';
import type { PeerSourceFactory } from './torrent/peer-source';
import type { PeerRouter } from './torrent/peer-router';
import { RESUME_SAVE_DELAY_MS, ResumeSaver } from './torrent/resume-saver';
import { fullCheck, startupCheck } from './torrent/startup-check';
import { peerStatus, torrentStatus } from './torrent/status';
import { fileReadStream } from './torrent/stream';
import { parseAddress, type Swarm } from './torrent/swarm';
import type { TorrentSources } from './torrent/sources';
import { describeError, waitForPiece, whenDone } from './torrent/waits';
import type { TorrentInit } from './torrent/init';
import type { Tick } from './util/ticker';
import { webSeedsOf, type WebSeeds } from './webseed/web-seeds';

export type { TorrentInit };

/**
 * One torrent: moves between its phases and routes peer events to the phase that handles them.
 * The work is done by the parts: content (storage, picker, downloader), the live run (uploader,
 * choker, availability), swarm, discovery (trackers, PEX, DHT/LSD), metadata exchange, resume.
 */
export class Torrent extends EventEmitter<TorrentEvents> implements TorrentApi {
  readonly infoHash: string;
  readonly infoHashBuf: Buffer;
  private phase: Phase;
  private state: TorrentState = 'metadata';
  private readonly addedAt = Date.now();
  private completedAt?: number;
  private sequential: boolean;
  private paused: boolean;
  private removed = false;
  /** Set while connected: the once-a-second tick of the metadata and live phases. */
  private timer?: Tick;
  private readonly transfer = new Transfer();
  private readonly swarm: Swarm;
  private readonly metadata: MetadataExchange;
  private readonly sources: TorrentSources;
  private readonly router: PeerRouter;
  private readonly resumeSaver: ResumeSaver;
  private readonly webSeeds: WebSeeds;

  constructor(
    private readonly ctx: SessionContext,
    private readonly init: TorrentInit,
  ) {
    super();
    this.infoHashBuf = init.infoHash;
    this.infoHash = init.infoHash.toString('hex');
    this.sequential = init.sequential;
    this.paused = init.paused;
    this.phase = init.meta
      ? { name: 'checking', content: this.makeContent(init.meta) }
      : { name: 'metadata' };
    ({
      metadata: this.metadata,
      swarm: this.swarm,
      sources: this.sources,
      router: this.router,
    } = buildParts(ctx, init, {
      transfer: this.transfer,
      content: () => this.content,
      live: () => this.live,
      connected: () => this.timer !== undefined,
      onMetadata: (info) => this.onMetadata(info),
    }));
    this.resumeSaver = new ResumeSaver(ctx.resume, this.infoHash, () => this.savable(), ctx.logger);
    if (init.peers) this.sources.discovery.found('manual', init.peers);
    this.webSeeds = webSeedsOf(init.webSeeds, ctx.downloadBucket, this.transfer, (seed, ...b) =>
      this.content?.downloader.onBlock(seed, ...b, this.swarm.conns),
    );
  }

  /** Starts the torrent: checks existing data, then connects (unless added paused). */
  async start(): Promise<void> {
    if (this.phase.name === 'checking') {
      const ok = await this.check(this.phase.content, this.init.seedMode, this.init.skipCheck);
      if (!ok) return;
    }
    if (this.removed) return;
    if (this.paused) this.setPhase({ name: 'paused', content: this.content });
    else this.activate();
  }

  // ---- public API ------------------------------------------------------------------------

  /** BEP 52: the v2 info-hash (hex) of a v2 or hybrid torrent, once its metadata is known. */
  get infoHashV2(): string | undefined {
    return this.content?.meta.infoHashV2;
  }

  torrentFile(): Uint8Array | undefined {
    const meta = this.content?.meta;
    return (
      meta &&
      encodeTorrent(meta.infoBytes, { announce: this.init.tiers, urlList: this.init.webSeeds })
    );
  }

  status(): TorrentStatus {
    return torrentStatus({
      infoHash: this.infoHash,
      name: this.init.name,
      state: this.state,
      error: this.phase.name === 'error' ? this.phase.message : undefined,
      content: this.content,
      conns: this.swarm.conns,
      transfer: this.transfer,
      peersFound: this.sources.discovery.peersFound(),
      swarm: this.sources.trackers.swarmCounts(),
      sequential: this.sequential,
      paused: this.paused,
      downloadDir: this.init.downloadDir,
      addedAt: this.addedAt,
      completedAt: this.completedAt,
      trackers: this.init.tiers.flat(),
      webSeeds: this.webSeeds.status(),
    });
  }

  files(): FileStatus[] {
    return this.content?.files() ?? [];
  }

  peers(): PeerStatus[] {
    return peerStatus(this.swarm.conns, this.content?.meta.pieceCount ?? 0);
  }

  trackers(): TrackerStatus[] {
    return this.sources.trackers.status();
  }

  bitfield(): Uint8Array {
    const have = this.content?.have;
    return have ? Uint8Array.from(have.bytes) : new Uint8Array(0);
  }

  /** Connect to a peer directly (in addition to those the trackers and PEX give). */
  addPeer(address: string): void {
    const a = parseAddress(address);
    if (!a) throw new Error(`not a peer address: ${address}`);
    this.sources.discovery.found('manual', [a]);
  }

  /** A session-wide peer source (DHT, LSD) offers itself for this torrent. */
  addPeerSource(factory: PeerSourceFactory): void {
    this.sources.addFactory(factory);
  }

  async pause(): Promise<void> {
    if (this.paused || this.removed) return;
    this.paused = true;
    await this.deactivate('paused');
    if (this.phase.name !== 'error') this.setPhase({ name: 'paused', content: this.content });
  }

  async resume(): Promise<void> {
    if (!this.paused || this.removed) return;
    this.paused = false;
    const p = this.phase;
    if (p.name === 'error' && p.content && !(await this.check(p.content, false, false))) return;
    if (p.name === 'error' && !p.content) this.setPhase({ name: 'metadata' });
    this.activate();
  }

  reannounce(): void {
    this.sources.trackers.reannounce();
  }

  setRateLimits(limits: { upload?: number; download?: number }): void {
    if (limits.upload !== undefined) this.transfer.upLimit.setRate(Math.max(0, limits.upload));
    if (limits.download !== undefined)
      this.transfer.downLimit.setRate(Math.max(0, limits.download));
  }

  rateLimits(): { upload: number; download: number } {
    return { upload: this.transfer.upLimit.rate, download: this.transfer.downLimit.rate };
  }

  setSuperSeeding(on: boolean): void {
    this.transfer.superSeeding = on;
    this.live?.updateSuperSeeding();
  }

  superSeeding(): boolean {
    return this.transfer.superSeeding;
  }

  async recheck(): Promise<void> {
    const content = this.content;
    if (!content || this.phase.name === 'checking') return;
    if (this.timer) await this.deactivate('recheck');
    this.setPhase({ name: 'checking', content });
    try {
      await fullCheck(content, this.ctx.hasher);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    this.resumeSaver.schedule(0);
    if (this.paused) this.setPhase({ name: 'paused', content });
    else this.activate();
  }

  setFilePriority(fileIndex: number, priority: FilePriority): void {
    const content = this.content;
    if (!content) return;
    content.setPriority(fileIndex, priority);
    if (this.phase.name === 'live') this.phase.live.prioritiesChanged();
  }

  setSequential(on: boolean): void {
    this.sequential = on;
    this.content?.picker.setSequential(on);
  }

  whenDone(): Promise<void> {
    if (this.content?.done) return Promise.resolve();
    if (this.phase.name === 'error') return Promise.reject(new Error(this.phase.message));
    return whenDone(this);
  }

  createFileReadStream(
    fileIndex: number,
    opts: { start?: number; end?: number } = {},
  ): NodeJS.ReadableStream {
    const content = this.content;
    if (!content) throw new Error('metadata not known yet');
    const stream = fileReadStream(content, fileIndex, opts, (p) =>
      content.have.get(p) ? Promise.resolve() : waitForPiece(this, p),
    );
    if (content.fileTable.priorities[fileIndex] === 0) this.setFilePriority(fileIndex, 1);
    return stream;
  }

  // ---- lifecycle (session) -------------------------------------------------------------

  /** Removed from the session: stops everything; optionally deletes the downloaded files. */
  async destroy(deleteData: boolean): Promise<void> {
    await this.stop('removed', deleteData);
    this.removeAllListeners('piece');
  }

  /** Session close: stop, save resume data, release files. */
  close(): Promise<void> {
    return this.stop('session closed', false);
  }

  /** An incoming connection's handshake named this torrent: take it if there is room. */
  acceptIncoming(conn: PeerConnection, hs: Handshake): boolean {
    return this.router.accept(conn, hs);
  }

  get connectionCount(): number {
    return this.swarm.conns.size;
  }

  // ---- phases ---------------------------------------------------------------------------------

  private get content(): TorrentContent | undefined {
    return contentOf(this.phase);
  }

  private get live(): Live | undefined {
    return this.phase.name === 'live' ? this.phase.live : undefined;
  }

  /** What the resume record may be saved from: never a check's partial bitfield. */
  private savable(): TorrentContent | undefined {
    return this.phase.name === 'checking' ? undefined : this.content;
  }

  private setPhase(p: Phase): void {
    this.phase = p;
    this.setState(stateOf(p));
  }

  private setState(s: TorrentState): void {
    if (this.state === s) return;
    this.state = s;
    this.emit('state', s);
  }

  private makeContent(meta: TorrentMeta): TorrentContent {
    return new TorrentContent(meta, this.ctx, {
      downloadDir: this.init.downloadDir,
      priorities: this.init.filePriorities,
      sequential: this.sequential,
      downloaded: {
        verified: (i) => this.onVerified(i),
        hashFailed: (i, peers) => this.onHashFailed(i, peers),
        storageError: (err) => this.fail(err),
      },
      layerArrived: () => this.resumeSaver.schedule(RESUME_SAVE_DELAY_MS),
    });
  }

  /** Checking: marks what is on disk. False when the torrent failed or went away meanwhile. */
  private async check(content: TorrentContent, seedMode: boolean, skipCheck: boolean) {
    this.setPhase({ name: 'checking', content });
    let unchanged = false;
    try {
      unchanged = await startupCheck(content, {
        hasher: this.ctx.hasher,
        resume: await this.ctx.resume?.load(this.infoHash),
        seedMode,
        verified: seedMode ? this.init.verified : undefined,
        skipCheck,
        cancelled: () => this.removed,
      });
    } catch (err) {
      this.fail(err as Error);
      return false;
    }
    if (this.removed) return false;
    if (content.done) this.completedAt ??= Date.now();
    // a record that still matches every file need not be written again (10,000 torrents at start)
    if (!unchanged) this.resumeSaver.schedule(0);
    return this.phase.name === 'checking'; // else paused (or failed) meanwhile
  }

  /** Connects: the magnet's metadata phase, or live with the content. */
  private activate(): void {
    if (this.timer || this.removed || this.phase.name === 'error') return;
    this.timer = this.ctx.ticker.add(() => this.tick());
    const content = this.content;
    if (content) this.goLive(content);
    else this.setPhase({ name: 'metadata' });
    this.sources.discovery.start();
    this.swarm.resetBackoff();
    this.swarm.maintain();
    if (content?.have.complete && this.init.seedMode) void this.publish(content);
  }

  private goLive(content: TorrentContent): void {
    const live = new Live(content, this.ctx, this.swarm, this.transfer, {
      allDone: () => this.onAllDone(content),
      wantsMore: () => this.setState('downloading'),
      fail: (err) => this.fail(err),
    });
    this.setPhase({ name: 'live', live });
    this.webSeeds.attach(content);
  }

  /** Disconnects; the phase stays until the caller moves on (the run sees its peers close). */
  private async deactivate(reason: string): Promise<void> {
    this.timer?.cancel();
    this.timer = undefined;
    this.webSeeds.detach();
    this.swarm.closeAll(reason);
    await this.sources.discovery.stop();
    await this.resumeSaver.save();
  }

  private tick(): void {
    this.webSeeds.fill(); // web seeds fetch with no peer at all
    if (this.swarm.idle()) return;
    const now = Date.now();
    this.live?.tick(now);
    this.swarm.maintain();
    this.metadata.tick(this.swarm.conns);
    this.content?.layers?.tick(this.swarm.conns);
    this.sources.pex.tick(this.swarm.conns, this.swarm.addresses(), now);
  }

  private onMetadata(info: Buffer): void {
    if (this.phase.name !== 'metadata') return;
    let meta: TorrentMeta;
    try {
      meta = fromMetainfo(parseInfoDictionary(info));
    } catch (err) {
      this.fail(new Error(`the metadata from peers is invalid: ${(err as Error).message}`));
      return;
    }
    const content = this.makeContent(meta);
    this.metadata.setInfo(meta.infoBytes);
    this.sources.metadataArrived(meta);
    this.setPhase({ name: 'checking', content });
    this.router.metadataArrived(content);
    this.emit('metadata');
    void (async () => {
      if (!(await this.check(content, false, false))) return;
      if (this.paused) return this.setPhase({ name: 'paused', content });
      this.goLive(content);
      if (content.done) this.onAllDone(content);
    })();
  }

  private onVerified(index: number): void {
    const content = this.content;
    if (!content) return;
    content.markHave(index);
    this.live?.announceHave(index);
    this.emit('piece', index);
    this.resumeSaver.schedule(RESUME_SAVE_DELAY_MS);
    this.live?.checkDone();
    this.webSeeds.fill();
  }

  private onHashFailed(index: number, sources: Set<BlockSource>): void {
    const { peers, total } = this.webSeeds.blame(sources);
    this.ctx.logger?.warn(
      { infoHash: this.infoHash, piece: index, peers: peers.size, sources: total },
      'piece failed hash check',
    );
    this.swarm.blame(peers, total);
    this.live?.onHashFailed();
  }

  private onAllDone(content: TorrentContent): void {
    this.completedAt = Date.now();
    this.setState('seeding');
    this.sources.discovery.completed();
    this.resumeSaver.schedule(0);
    content
      .createEmptyFiles()
      .catch((e: Error) => this.ctx.logger?.warn({ err: e.message }, 'empty files'));
    if (content.have.complete) void this.publish(content);
    this.emit('done');
  }

  private async stop(reason: string, deleteData: boolean): Promise<void> {
    if (this.removed) return;
    await this.deactivate(reason);
    this.removed = true;
    this.webSeeds.close();
    this.sources.discovery.close();
    if (deleteData) {
      await this.content?.storage.deleteData();
      await this.ctx.resume?.delete(this.infoHash).catch(() => undefined);
    }
    await this.content?.close();
  }

  private publish(content: TorrentContent): Promise<void> {
    return this.sources.trackers.publishTorrent(content.meta, this.torrentFile());
  }

  private fail(err: Error): void {
    if (this.phase.name === 'error' || this.removed) return;
    const message = describeError(err);
    this.ctx.logger?.error({ infoHash: this.infoHash, err: message }, 'torrent error');
    const content = this.content;
    // peers close while the run still sees them (their requests go back to the picker)
    void this.deactivate('torrent error');
    this.setPhase({ name: 'error', message, content });
    if (this.listenerCount('error') > 0) this.emit('error', new Error(message));
  }
}
