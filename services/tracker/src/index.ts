export * from './store/types';
export { MemorySwarmStore, type MemoryStoreOptions } from './store/memory';
export {
  describeSwarmStore,
  type StoreFactory,
  type StoreFactoryOptions,
} from './store/conformance';
export { PEER_ID_LENGTH } from './store/peer-table';
export { keyLength, recordLength } from './store/snapshot-record';
export {
  startTracker,
  type TrackerOptions,
  type TrackerPorts,
  type RunningTracker,
  type TrackerPlugin,
  type PluginContext,
  type PluginHandle,
  type TrackerInfo,
} from './tracker';
export { TrackerMetrics, type Protocol } from './metrics';
export { Persistence, encodeSnapshot, decodeSnapshot } from './persistence';
export { ConnectionIds } from './udp/connection-id';
export { ipToBytes, bytesToIp } from './net/ip';
export {
  replicationPlugin,
  loadReplicaId,
  type ReplicationPluginOptions,
} from './replication/plugin';
export { dhtPlugin, type DhtPluginOptions } from './dht/plugin';
export { Replicator, type ReplicatorOptions } from './replication/replicator';
export { parsePeersFile, type PeerAddress } from './replication/peers-file';
/** Helpers for tests that drive a real tracker over real sockets (see testing.ts). */
export * as testing from './testing';
