import type { EngineLogger, IoStats } from './api';
import type { ResumeDb } from './resume/resume-db';
import type { FdCache } from './storage/fd-cache';
import type { PieceHasher } from './storage/hasher';
import type { AnnounceQueue } from './tracker/announce-queue';
import type { TrackerClient } from './tracker/client';
import type { Ticker } from './util/ticker';
import type { TokenBucket } from './util/token-bucket';
import type { PeerSourceFactory } from './torrent/peer-source';

/** What a torrent borrows from its session (shared pools, limits, identity). */
export interface SessionContext {
  peerId: Buffer;
  port(): number;
  hasher: PieceHasher;
  /** Hashing and disk counters, shared by every torrent of the session. */
  stats: IoStats;
  fds: FdCache;
  resume?: ResumeDb;
  uploadBucket: TokenBucket;
  downloadBucket: TokenBucket;
  maxPeersPerTorrent: number;
  uploadSlots: number;
  chokeIntervalMs: number;
  /** Reserves room for one more connection in the session; false when full. */
  sessionRoom(): boolean;
  /** A torrent's connected peers grew or shrank by `delta` (the session's count, kept, not summed). */
  peersChanged(delta: number): void;
  /** Our own listen addresses ("127.0.0.1:port"), never dialled. */
  selfAddresses(): Set<string>;
  trackerClient(url: string): TrackerClient | undefined;
  /** Session-wide peer sources (DHT, LSD): each torrent asks every one for its own source. */
  peerSources(): readonly PeerSourceFactory[];
  /** Every tracker announce of the session waits its turn here (bounded in flight). */
  announces: AnnounceQueue;
  /** The once-a-second timer every active torrent's tick shares. */
  ticker: Ticker;
  logger?: EngineLogger;
}
