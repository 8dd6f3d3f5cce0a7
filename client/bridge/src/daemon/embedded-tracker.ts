import type { Logger } from 'pino';
import type { EmbeddedTrackerUrls } from './routes-app';

export interface EmbeddedTracker {
  urls: EmbeddedTrackerUrls;
  close(): Promise<void>;
}

/** Runs an enjambre tracker inside the daemon, on 127.0.0.1, with its state in `dir`. */
export async function startEmbeddedTracker(_dir: string, _log: Logger): Promise<EmbeddedTracker> {
  throw new Error('this build of enjambre has no embedded tracker');
}
