export * from './api';
export { Session } from './session';
export { Torrent } from './torrent';
export * from './create-from-path';
