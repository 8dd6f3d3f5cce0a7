/**
 * How a torrent takes peers from several sources: trackers today, the DHT and LSD (issue 12) and
 * PEX beside them. A source finds addresses; the torrent's `Discovery` (discovery.ts) decides
 * which sources may run, hands what they find to the swarm and counts it per source.
 *
 * A session-wide service (the DHT node, the LSD socket) plugs in with a `PeerSourceFactory`
 * registered on the session (`Session.addPeerSource`); the session calls it once per torrent.
 */
import type { PeerSourceKind } from '../api';

/** Where a peer address came from. `manual`: `Torrent.addPeer`, a magnet's `x.pe`, tests. */
export type { PeerSourceKind };

export interface PeerAddress {
  host: string;
  port: number;
}

/**
 * What a source may do for a torrent right now.
 * - `lookup`: ask for peers without telling anybody we are in the swarm (a magnet whose metadata
 *   has not arrived: it may turn out to be private). A source that cannot find peers without
 *   announcing (LSD, PEX sending) does nothing in this mode.
 * - `announce`: ask for peers and announce ourselves (a torrent known to be public).
 */
export type DiscoveryMode = 'lookup' | 'announce';

/** The torrent as a source sees it. */
export interface PeerSourceTarget {
  /** 20-byte info-hash. */
  readonly infoHash: Buffer;
  /** Our listen port, to announce. */
  port(): number;
  /** Transfer totals, for announces that carry them. `left` is 16 KiB while only a magnet. */
  stats(): { uploaded: number; downloaded: number; left: number };
}

/** One source of peers for one torrent. */
export interface PeerSource {
  readonly kind: PeerSourceKind;
  /**
   * BEP 27: a private torrent's peers come only from its trackers. Sources with this set (DHT,
   * LSD, PEX) are never started for a private torrent, nor for a magnet before its metadata says
   * it is public, except in `lookup` mode when `lookupBeforeMetadata` is also set.
   */
  readonly publicOnly: boolean;
  /** May run in `lookup` mode while a magnet's privacy is unknown (the DHT's get_peers). */
  readonly lookupBeforeMetadata?: boolean;
  /** Start or change mode (called again with `announce` once a magnet proves public). */
  start(mode: DiscoveryMode): void;
  /** The download completed (trackers send `completed`). */
  completed?(): void;
  /** Stop finding and announcing (a tracker sends `stopped`); `start` may follow. */
  stop(): Promise<void>;
  /** The torrent is gone: release everything. */
  close(): void;
}

/**
 * Builds a session-wide service's source for one torrent; `found` takes the addresses it finds
 * (any number of times, any thread of work; the swarm dedups and bounds them). Return undefined
 * when the service has nothing to offer this torrent.
 */
export type PeerSourceFactory = (
  target: PeerSourceTarget,
  found: (peers: PeerAddress[]) => void,
) => PeerSource | undefined;

/** Addresses each source gave that were new to the torrent's swarm, since the torrent was added. */
export type PeersFound = Record<PeerSourceKind, number>;
