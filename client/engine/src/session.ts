import { EventEmitter } from 'node:events';
import type { KeyObject } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { createPeerId, parseMagnet, parseTorrent, type Handshake } from '@enjambre/bittorrent';
import type {
  AddOptions,
  DiscoveryStats,
  IoStats,
  SessionApi,
  SessionEvents,
  SessionOptions,
  TorrentSource,
} from './api';
import type { SessionContext } from './context';
import {
  createTorrentFromPath,
  type CreateFromPathOptions,
  type CreatedFromPath,
} from './create-from-path';
import { fromMetainfo } from './metainfo-adapter';
import { PeerConnection, type PeerHandler } from './peer/connection';
import { ResumeDb } from './resume/resume-db';
import { FdCache } from './storage/fd-cache';
import { TimedHasher, WorkerHasher, type PieceHasher } from './storage/hasher';
import { createIoStats } from './util/io-stats';
import { CHOKE_INTERVAL_MS } from './choker/choker';
import { Torrent, type TorrentInit } from './torrent';
import { formatAddress } from './torrent/swarm';
import { loadPublisherKey } from './publisher-key';
import { AnnounceQueue } from './tracker/announce-queue';
import { TrackerBreaker } from './tracker/breaker';
import { createTrackerClient } from './tracker/factory';
import type { TrackerClient } from './tracker/client';
import type { PeerSourceFactory } from './torrent/peer-source';
import { Ticker } from './util/ticker';
import { TokenBucket } from './util/token-bucket';
import { Dht } from '@enjambre/dht';
import { dhtPeerSource, lsdPeerSource } from './dht/peer-source';
import { Lsd } from './lsd/lsd';
import { discoveryStats } from './discovery-stats';

const TORRENT_TICK_MS = 1_000;

/**
 * The engine's entry point: one listen socket, one resume database, one hashing pool and one
 * set of rate limits shared by every torrent.
 */
export class Session extends EventEmitter<SessionEvents> implements SessionApi {
  private readonly opts: Required<Omit<SessionOptions, 'logger' | 'peerId' | 'dht' | 'lsd'>> &
    Pick<SessionOptions, 'logger' | 'dht' | 'lsd'>;
  private _dht?: Dht;
  private _lsd?: Lsd;
  readonly peerId: Buffer;
  private readonly torrents = new Map<string, Torrent>();
  private server?: net.Server;
  private boundPort = 0;
  private resume?: ResumeDb;
  private hasher?: PieceHasher;
  private readonly stats = createIoStats();
  private readonly fds = new FdCache(128);
  private readonly uploadBucket: TokenBucket;
  private readonly downloadBucket: TokenBucket;
  private readonly trackerClients = new Map<string, TrackerClient>();
  private readonly incoming = new Set<PeerConnection>();
  /** Signs catalog publishes (see publisher-key.ts); loaded at start. */
  private publisherKey?: KeyObject;
  private readonly peerSourceFactories: PeerSourceFactory[] = [];
  private readonly announces = new AnnounceQueue();
  /** Hybrid torrents by their other info-hash (hex; see `wireHashes`) -> their key (hex). */
  private readonly v2Aliases = new Map<string, string>();
  private readonly ticker = new Ticker(TORRENT_TICK_MS);
  /** Peers connected to all torrents together (each swarm reports its changes). */
  private torrentPeers = 0;
  private ctx?: SessionContext;
  private closed = false;

  constructor(options: SessionOptions) {
    super();
    this.opts = {
      dataDir: options.dataDir,
      downloadDir: options.downloadDir,
      listenPort: options.listenPort ?? 0,
      listenHost: options.listenHost ?? '0.0.0.0',
      maxPeersPerTorrent: options.maxPeersPerTorrent ?? 50,
      maxPeers: options.maxPeers ?? 200,
      uploadRateLimit: options.uploadRateLimit ?? 0,
      downloadRateLimit: options.downloadRateLimit ?? 0,
      uploadSlots: options.uploadSlots ?? 4,
      chokeIntervalMs: options.chokeIntervalMs ?? CHOKE_INTERVAL_MS,
      defaultTrackers: options.defaultTrackers ?? [],
      logger: options.logger,
      dht: options.dht,
      lsd: options.lsd,
    };
    this.peerId = options.peerId ?? createPeerId();
    if (this.peerId.length !== 20) throw new Error('peerId must be 20 bytes');
    this.uploadBucket = new TokenBucket(this.opts.uploadRateLimit);
    this.downloadBucket = new TokenBucket(this.opts.downloadRateLimit);
  }

  get port(): number {
    return this.boundPort;
  }

  /** The DHT node, when `SessionOptions.dht` asked for one (after `start`). */
  get dht(): Dht | undefined {
    return this._dht;
  }

  /** Local Service Discovery, when `SessionOptions.lsd` asked for it (after `start`). */
  get lsd(): Lsd | undefined {
    return this._lsd;
  }

  async start(): Promise<void> {
    if (this.ctx) return;
    await mkdir(this.opts.dataDir, { recursive: true });
    await mkdir(this.opts.downloadDir, { recursive: true });
    this.publisherKey = await loadPublisherKey(this.opts.dataDir);
    this.resume = new ResumeDb(path.join(this.opts.dataDir, 'resume'));
    await this.resume.open();
    await this.resume.preload();
    this.hasher = new TimedHasher(new WorkerHasher(), this.stats);
    const server = (this.server = net.createServer((socket) => this.onIncoming(socket)));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.listenPort, this.opts.listenHost, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) =>
      this.opts.logger?.error({ err: err.message }, 'listen socket error'),
    );
    this.boundPort = (server.address() as net.AddressInfo).port;
    await this.startDiscovery();
    const opts = this.opts;
    this.ctx = {
      peerId: this.peerId,
      port: () => this.boundPort,
      hasher: this.hasher,
      stats: this.stats,
      fds: this.fds,
      resume: this.resume,
      uploadBucket: this.uploadBucket,
      downloadBucket: this.downloadBucket,
      get maxPeersPerTorrent() {
        return opts.maxPeersPerTorrent;
      },
      get uploadSlots() {
        return opts.uploadSlots;
      },
      chokeIntervalMs: opts.chokeIntervalMs,
      sessionRoom: () => this.connectionCount() < this.opts.maxPeers,
      peersChanged: (delta) => {
        this.torrentPeers += delta;
      },
      selfAddresses: () =>
        new Set([
          formatAddress('127.0.0.1', this.boundPort),
          formatAddress(this.opts.listenHost, this.boundPort),
        ]),
      trackerClient: (url) => this.trackerClient(url),
      peerSources: () => this.peerSourceFactories,
      announces: this.announces,
      ticker: this.ticker,
      logger: this.opts.logger,
    };
  }

  async add(source: TorrentSource, options: AddOptions = {}): Promise<Torrent> {
    if (!this.ctx) throw new Error('session not started');
    if (this.closed) throw new Error('session closed');
    const init = this.toInit(source, options);
    const hex = init.infoHash.toString('hex');
    const existing = this.torrents.get(hex);
    if (existing) return existing;
    const t = new Torrent(this.ctx, init);
    this.torrents.set(hex, t);
    // BEP 52: a hybrid's peers may greet us with its other hash (v1, or v2 truncated); a
    // magnet's metadata may be what tells us it is a hybrid
    const alias = () => {
      const other = t.otherInfoHash;
      if (other && this.torrents.get(hex) === t) this.v2Aliases.set(other, hex);
    };
    alias();
    t.on('metadata', alias);
    t.on('error', () => undefined); // state 'error' carries it; callers may listen too
    this.emit('added', t);
    await t.start();
    return t;
  }

  /**
   * Plugs a session-wide peer source (the DHT node, LSD) into every torrent: those added later
   * and those already here. Private torrents never use a `publicOnly` source.
   */
  addPeerSource(factory: PeerSourceFactory): void {
    this.peerSourceFactories.push(factory);
    for (const t of this.torrents.values()) t.addPeerSource(factory);
  }

  get(infoHash: string): Torrent | undefined {
    return this.torrents.get(infoHash.toLowerCase());
  }

  list(): Torrent[] {
    return [...this.torrents.values()];
  }

  async remove(infoHash: string, opts: { deleteData?: boolean } = {}): Promise<void> {
    const key = infoHash.toLowerCase();
    const t = this.torrents.get(key);
    if (!t) return;
    this.torrents.delete(key);
    for (const [alias, of] of this.v2Aliases) if (of === key) this.v2Aliases.delete(alias);
    await t.destroy(opts.deleteData ?? false);
    if (!opts.deleteData) await this.resume?.delete(key).catch(() => undefined);
    this.emit('removed', key);
  }

  setRateLimits(limits: { upload?: number; download?: number }): void {
    if (limits.upload !== undefined) this.uploadBucket.setRate(limits.upload);
    if (limits.download !== undefined) this.downloadBucket.setRate(limits.download);
  }

  createTorrent(target: string, options: CreateFromPathOptions = {}): Promise<CreatedFromPath> {
    if (!this.hasher) throw new Error('session not started');
    return createTorrentFromPath(target, { ...options, hasher: this.hasher });
  }

  ioStats(): Readonly<IoStats> {
    return this.stats;
  }

  discoveryStats(): DiscoveryStats {
    return discoveryStats(this._dht, this._lsd);
  }

  async addDhtNode(host: string, port: number): Promise<boolean> {
    return (await this._dht?.addNode(host, port).catch(() => false)) ?? false;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.torrents.values()].map((t) => t.close()));
    this.torrents.clear();
    this.announces.close();
    this.ticker.stop();
    for (const c of this.incoming) c.close('session closed');
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
    for (const c of this.trackerClients.values()) c.close?.();
    await this._dht?.close();
    await this._lsd?.close();
    await this.hasher?.close();
    await this.fds.closeAll();
    await this.resume?.close();
  }

  /**
   * DHT and LSD are session-wide; torrents take their peers through dht/peer-source.ts. Like an
   * unreachable tracker, a discovery that cannot start (UDP port taken, no multicast) is logged
   * and the session runs without it (`session.dht` / `session.lsd` stay undefined).
   */
  private async startDiscovery(): Promise<void> {
    const { dht, lsd, logger } = this.opts;
    if (dht) {
      this._dht = await this.startOrSkip(
        'DHT',
        new Dht({
          port: this.boundPort,
          // a session bound to one address keeps its DHT there too (tests, multi-homed hosts)
          ...(!['0.0.0.0', '::'].includes(this.opts.listenHost) && { host: this.opts.listenHost }),
          dataDir: path.join(this.opts.dataDir, 'dht'),
          logger,
          ...(dht === true ? {} : dht),
        }),
      );
    }
    if (lsd) {
      const l = new Lsd({ logger, ...(lsd === true ? {} : lsd), peerPort: this.boundPort });
      this._lsd = await this.startOrSkip('LSD', l);
    }
    // every torrent, present and future, takes peers from them (public torrents only: the seam
    // keeps private ones and magnets of unknown privacy off them)
    if (this._dht) this.addPeerSource(dhtPeerSource(this._dht));
    if (this._lsd) this.addPeerSource(lsdPeerSource(this._lsd));
  }

  private async startOrSkip<T extends { start(): Promise<void>; close(): Promise<void> }>(
    what: string,
    service: T,
  ): Promise<T | undefined> {
    try {
      await service.start();
      return service;
    } catch (err) {
      await service.close().catch(() => undefined);
      this.opts.logger?.warn({ err: (err as Error).message }, `${what} not started`);
      return undefined;
    }
  }

  /** Summing every torrent's peers on each dial cost O(torrents) per connection attempt. */
  private connectionCount(): number {
    return this.incoming.size + this.torrentPeers;
  }

  private trackerClient(url: string): TrackerClient | undefined {
    let c = this.trackerClients.get(url);
    if (!c) {
      const inner = createTrackerClient(url, {
        logger: this.opts.logger,
        publisherKey: this.publisherKey,
      });
      c = inner && new TrackerBreaker(inner);
      if (c) this.trackerClients.set(url, c);
    }
    return c;
  }

  private toInit(source: TorrentSource, o: AddOptions): TorrentInit {
    const base = {
      downloadDir: path.resolve(o.downloadDir ?? this.opts.downloadDir),
      paused: o.paused ?? false,
      filePriorities: o.filePriorities,
      sequential: o.sequential ?? false,
      seedMode: o.seedMode ?? false,
      skipCheck: o.skipCheck ?? false,
      verified: o.verified,
    };
    const withDefaults = (tiers: string[][]) => {
      const t = tiers.map((x) => [...x]);
      if (o.trackers?.length) t.push([...o.trackers]);
      if (t.length === 0 && this.opts.defaultTrackers.length > 0)
        t.push([...this.opts.defaultTrackers]);
      return t;
    };
    if ('torrent' in source) {
      const metainfo = parseTorrent(source.torrent);
      const meta = fromMetainfo(metainfo);
      if (o.filePriorities && o.filePriorities.length > meta.files.length) {
        throw new Error('more file priorities than files');
      }
      return {
        ...base,
        infoHash: meta.infoHash,
        meta,
        name: meta.name,
        tiers: withDefaults(meta.announce),
        webSeeds: metainfo.urlList,
      };
    }
    if ('magnet' in source) {
      const m = parseMagnet(source.magnet);
      return {
        ...base,
        infoHash: m.infoHashBuffer,
        infoHashV2: m.infoHashV2,
        name: m.name,
        tiers: withDefaults(m.trackers.length ? [m.trackers] : []),
        peers: m.peers,
        webSeeds: m.webSeeds,
      };
    }
    if (!/^[0-9a-fA-F]{40}$/.test(source.infoHash))
      throw new Error('infoHash must be 40 hex characters');
    return {
      ...base,
      infoHash: Buffer.from(source.infoHash, 'hex'),
      name: source.name,
      tiers: withDefaults(source.trackers?.length ? [source.trackers] : []),
      webSeeds: [],
    };
  }

  private onIncoming(socket: net.Socket): void {
    if (this.closed || this.connectionCount() >= this.opts.maxPeers) {
      socket.destroy();
      return;
    }
    const address = formatAddress(socket.remoteAddress ?? '?', socket.remotePort ?? 0);
    const router: PeerHandler = {
      onHandshake: (conn: PeerConnection, hs: Handshake) => {
        this.incoming.delete(conn);
        const hex = hs.infoHash.toString('hex');
        const t = this.torrents.get(hex) ?? this.torrents.get(this.v2Aliases.get(hex) ?? '');
        return t !== undefined && t.acceptIncoming(conn, hs);
      },
      onClose: (conn: PeerConnection) => {
        this.incoming.delete(conn);
      },
      onAvailability: () => undefined,
      onChokeChange: () => undefined,
      onInterestChange: () => undefined,
      onBlock: () => undefined,
      onRequest: () => undefined,
      onCancel: () => undefined,
      onRequestsDropped: () => undefined,
      onHashMessage: () => undefined,
      onExtended: () => undefined,
      onAllowedFast: () => undefined,
    };
    const conn = new PeerConnection({
      socket,
      incoming: true,
      peerId: this.peerId,
      handler: router,
      address,
    });
    this.incoming.add(conn);
  }
}
