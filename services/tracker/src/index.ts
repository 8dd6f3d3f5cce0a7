export * from './store/types';
export { MemorySwarmStore, type MemoryStoreOptions } from './store/memory';
