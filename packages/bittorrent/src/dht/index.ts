export * from './node-id';
export * from './krpc';
