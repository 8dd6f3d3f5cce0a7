export * from './errors';
export * from './bencode';
export * from './wire';
export * from './peer-id';
export * from './path-safety';
export * from './metainfo';
export * from './magnet';
export * from './create';
