import { EventEmitter } from 'node:events';
import { encodeTorrent, parseInfoDictionary } from '@enjambre/bittorrent';
import type { TorrentEvents, TorrentState } from '../api';
import type { SessionContext } from '../context';
import type { TorrentMeta } from '../meta';
import { fromMetainfo } from '../metainfo-adapter';
import type { Tick } from '../util/ticker';
import { webSeedsOf, type WebSeeds } from '../webseed/web-seeds';
import { TorrentContent } from './content';
import type { BlockSource } from './downloader';
import type { TorrentInit } from './init';
import { Live, Transfer } from './live';
import type { MetadataExchange } from './metadata';
import { buildParts } from './parts';
import type { PeerRouter } from './peer-router';
import { contentOf, stateOf, type Phase } from './phase';
import { RESUME_SAVE_DELAY_MS, ResumeSaver } from './resume-saver';
import type { TorrentSources } from './sources';
import { startupCheck } from './startup-check';
import type { Swarm } from './swarm';
import { describeError } from './waits';

/**
 * A torrent's lifecycle (STATE.md): its phases and the moves between them, the parts that live
 * as long as it does, and what a verified piece, a completion or a failure does. `Torrent`
 * (../torrent.ts) puts the public API on it.
 */
export abstract class TorrentLifecycle extends EventEmitter<TorrentEvents> {
  readonly infoHash: string;
  readonly infoHashBuf: Buffer;
  protected phase: Phase;
  protected state: TorrentState = 'metadata';
  protected readonly addedAt = Date.now();
  protected completedAt?: number;
  protected sequential: boolean;
  protected paused: boolean;
  protected removed = false;
  /** Set while connected: the once-a-second tick of the metadata and live phases. */
  protected timer?: Tick;
  protected readonly transfer = new Transfer();
  protected readonly swarm: Swarm;
  private readonly metadata: MetadataExchange;
  protected readonly sources: TorrentSources;
  protected readonly router: PeerRouter;
  protected readonly resumeSaver: ResumeSaver;
  protected readonly webSeeds: WebSeeds;

  constructor(
    protected readonly ctx: SessionContext,
    protected readonly init: TorrentInit,
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
    this.swarm.onBusy = () => this.timer?.wake();
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

  torrentFile(): Uint8Array | undefined {
    const meta = this.content?.meta;
    if (!meta) return undefined;
    // a v2 torrent's piece layers (its own or learned from peers) go with it: whoever adds it
    // again from this file can check and serve its pieces without asking peers for them
    const layers = new Map<string, Buffer>();
    for (const [f, layer] of meta.v2?.layers ?? []) {
      const root = meta.v2?.roots[f];
      if (root) layers.set(root.toString('latin1'), layer);
    }
    const wrapper = { announce: this.init.tiers, urlList: this.init.webSeeds };
    return encodeTorrent(meta.infoBytes, wrapper, layers);
  }

  // ---- phases ---------------------------------------------------------------------------------

  protected get content(): TorrentContent | undefined {
    return contentOf(this.phase);
  }

  protected get live(): Live | undefined {
    return this.phase.name === 'live' ? this.phase.live : undefined;
  }

  /** What the resume record may be saved from: never a check's partial bitfield. */
  private savable(): TorrentContent | undefined {
    return this.phase.name === 'checking' ? undefined : this.content;
  }

  protected setPhase(p: Phase): void {
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
  protected async check(content: TorrentContent, seedMode: boolean, skipCheck: boolean) {
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
  protected activate(): void {
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
      wantsMore: () => {
        this.setState('downloading');
        if (this.webSeeds.busy()) this.timer?.wake();
      },
      fail: (err) => this.fail(err),
    });
    this.setPhase({ name: 'live', live });
    this.webSeeds.attach(content);
    if (this.webSeeds.busy()) this.timer?.wake();
  }

  /** Disconnects; the phase stays until the caller moves on (the run sees its peers close). */
  protected async deactivate(reason: string): Promise<void> {
    this.timer?.cancel();
    this.timer = undefined;
    this.webSeeds.detach();
    this.swarm.closeAll(reason);
    await this.sources.discovery.stop();
    await this.resumeSaver.save();
  }

  /**
   * True when idle: the ticker then skips it until the swarm has work (Swarm.onBusy), unless its
   * web seeds still fetch (they need no peer at all).
   */
  private tick(): boolean {
    this.webSeeds.fill();
    if (this.swarm.idle()) return !this.webSeeds.busy();
    const now = Date.now();
    this.live?.tick(now);
    this.swarm.maintain();
    this.metadata.tick(this.swarm.conns);
    this.content?.layers?.tick(this.swarm.conns);
    this.sources.pex.tick(this.swarm.conns, this.swarm.addresses(), now);
    return false;
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

  protected async stop(reason: string, deleteData: boolean): Promise<void> {
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

  protected fail(err: Error): void {
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
