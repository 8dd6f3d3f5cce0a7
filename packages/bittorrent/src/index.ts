export * from './errors';
export * from './bencode';
export * from './wire';
export * from './peer-id';
