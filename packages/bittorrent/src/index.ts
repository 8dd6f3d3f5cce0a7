export * from './errors';
export * from './bencode';
export * from './path-safety';
export * from './metainfo';
export * from './magnet';
export * from './create';
