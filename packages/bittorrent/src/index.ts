export * from './errors';
export * from './bencode';
