/**
 * What the DHT node logs through: pino's call shape, so the engine's and the tracker's loggers
 * fit as they are. Silent when absent.
 */
export interface DhtLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}
