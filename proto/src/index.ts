// The generated modules each declare helpers with the same names (DeepPartial, MessageFns,
// protobufPackage), so only the tracker's client API is re-exported flat; other services
// (e.g. replication) are best re-exported as a namespace: `export * as replication from ...`.
export * from './gen/enjambre/tracker/v1/tracker';
export * as replication from './gen/enjambre/tracker/v1/replication';
export * from './signing';
