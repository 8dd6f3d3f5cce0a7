export * from './types';
export * from './compact';
export * from './udp';
export * from './http';
