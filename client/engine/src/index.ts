export * from './api';
export { Session } from './session';
export * from './create-from-path';
export * from './dht';
export type {
  DiscoveryMode,
  PeerAddress,
  PeerSource,
  PeerSourceFactory,
  PeerSourceTarget,
} from './torrent/peer-source';
export * from './lsd';
