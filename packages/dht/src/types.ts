/** The DHT node's options, statistics and events (dht.ts). */
import type { NodeInfo, PeerAddress } from '@enjambre/bittorrent';
import type { SocketCounters } from './krpc-socket';
import type { DhtLogger } from './logger';

export interface DhtOptions {
  /** Address to bind. Default: dual-stack `::` if available, else `0.0.0.0`. */
  host?: string;
  /** UDP port; 0 picks one (see `port`). Default 0. */
  port?: number;
  /** Routers and known nodes to join through, as `host:port` (IPv6 as `[addr]:port`). */
  bootstrap?: string[];
  /** Folder of the LevelDB that keeps our id and routing table; nothing is saved without it. */
  dataDir?: string;
  /** Our node id; default the saved one, else BEP 42's for `externalIp`, else random. */
  nodeId?: Buffer;
  /** Our public IPv4/IPv6 address, if known: the node id is derived from it (BEP 42). */
  externalIp?: string;
  /** BEP 43: ask but never answer, and stay out of others' tables. Default false. */
  readOnly?: boolean;
  /** Refuse public nodes whose id breaks BEP 42. Default true. */
  enforceNodeId?: boolean;
  /** Ids one IP may place in one bucket. Default 2. */
  maxPerIpPerBucket?: number;
  /** Packets per second and burst accepted from one IP. Default 20/s, burst 100. */
  rateLimit?: { rate: number; burst: number };
  queryTimeoutMs?: number;
  /** Queries in flight per lookup. Default 3. */
  alpha?: number;
  /** Period of table upkeep (refresh, pings, saving). Default 60 s. */
  maintenanceMs?: number;
  logger?: DhtLogger;
}

export interface DhtStats {
  nodeId: string;
  port: number;
  nodes: number;
  nodes4: number;
  nodes6: number;
  goodNodes: number;
  storedTorrents: number;
  storedPeers: number;
  lookups: number;
  announces: number;
  counters: SocketCounters & { rejectedNodes: number; badTokens: number };
}

export interface DhtEvents {
  /** Peers found for a torrent, by a lookup or an announce. */
  peers: [infoHash: Buffer, peers: PeerAddress[]];
  /** Another node announced a peer to us. */
  announce: [infoHash: Buffer, peer: PeerAddress];
}

export interface SampleResult {
  samples: Buffer[];
  num?: number;
  interval?: number;
  nodes: NodeInfo[];
}
