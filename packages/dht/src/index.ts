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
export { AddressLimiter } from './address-limiter';
export type { DhtLogger } from './logger';
