export {
  Dht,
  parseHostPort,
  type DhtOptions,
  type DhtStats,
  type DhtEvents,
  type SampleResult,
} from './dht';
export type { LookupResult, ClosestNode } from './lookup';
export type { SocketCounters } from './krpc-socket';
export { dhtPeerSource, lsdPeerSource, DHT_ANNOUNCE_INTERVAL_MS } from './peer-source';
