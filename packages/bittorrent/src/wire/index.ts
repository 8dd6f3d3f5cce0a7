export * from './handshake';
export * from './messages';
export * from './decoder';
export * from './collect';
export * from './extensions';
