// The DHT node lives in @enjambre/dht (the tracker runs one too); the engine re-exports it so its
// users need one import, and keeps here only the adapter to a torrent's peer sources.
export * from '@enjambre/dht';
export { dhtPeerSource, lsdPeerSource, DHT_ANNOUNCE_INTERVAL_MS } from './peer-source';
