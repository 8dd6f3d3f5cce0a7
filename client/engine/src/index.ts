export * from './api';
export * from './create-from-path';
