export * from './api';
export * from './create-from-path';
export { Session } from './session';
export { Torrent } from './torrent';
