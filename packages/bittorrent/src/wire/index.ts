export * from './handshake';
export * from './messages';
export * from './decoder';
export * from './collect';
export * from './extensions';
export * from './allowed-fast';
export * from './hash-messages';
