import { formatMagnet, type Handshake } from '@enjambre/bittorrent';
import type {
  FilePriority,
  FileStatus,
  PeerStatus,
  Torrent as TorrentApi,
  TorrentStatus,
  TrackerStatus,
} from './api';
import { wireHashes } from './meta';
import type { PeerConnection } from './peer/connection';
import type { TorrentInit } from './torrent/init';
import { TorrentLifecycle } from './torrent/lifecycle';
import type { PeerSourceFactory } from './torrent/peer-source';
import { fullCheck } from './torrent/startup-check';
import { peerStatus, torrentStatus } from './torrent/status';
import { fileReadStream } from './torrent/stream';
import { parseAddress } from './torrent/swarm';
import { waitForPiece, whenDone } from './torrent/waits';

export type { TorrentInit };

/**
 * One torrent: its public API over its lifecycle (torrent/lifecycle.ts: the phases and the moves
 * between them). The work is done by the parts: content (storage, picker, downloader), the live
 * run (uploader, choker, availability), swarm, discovery (trackers, PEX, DHT/LSD), metadata
 * exchange, resume.
 */
export class Torrent extends TorrentLifecycle implements TorrentApi {
  /** BEP 52: a hybrid's other info-hash (hex, 40; see `wireHashes`), peers may greet it with. */
  get otherInfoHash(): string | undefined {
    const meta = this.content?.meta ?? this.init.meta;
    return wireHashes(this.infoHashBuf, meta, this.init.infoHashV2).other?.toString('hex');
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
      webSeeds: this.webSeeds.status(),
      magnet: this.magnet(),
    });
  }

  private magnetLink?: { name: string | undefined; link: string };

  /** The magnet link, formatted again only when the name changes (the metadata arrived). */
  private magnet(): string {
    const name = this.content?.meta.name ?? this.init.name;
    if (!this.magnetLink || this.magnetLink.name !== name) {
      const meta = this.content?.meta;
      // BEP 52: a v2-only torrent's link has only urn:btmh, a hybrid's both hashes
      const link = formatMagnet({
        infoHash: this.infoHash,
        infoHashV2: meta?.infoHashV2,
        v2Only: meta?.v2 !== undefined,
        name,
        trackers: this.init.tiers.flat(),
      });
      this.magnetLink = { name, link };
    }
    return this.magnetLink.link;
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
}
