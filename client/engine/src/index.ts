export * from './api';
export { Session } from './session';
export * from './create-from-path';
export * from './dht';
export * from './lsd';
