import * as engine from '@enjambre/engine';
import type { SessionApi, SessionOptions } from '@enjambre/engine';
import type { TorrentCreator } from './daemon/shares';

/** The engine's implementation, looked up by name so the bridge builds against the contract alone. */
type EngineModule = {
  Session?: new (opts: SessionOptions) => SessionApi;
  createTorrentFromPath?: unknown;
};

export class EngineMissing extends Error {}

export function newSession(opts: SessionOptions): SessionApi {
  const Session = (engine as EngineModule).Session;
  if (!Session) throw new EngineMissing('this build of enjambre has no BitTorrent engine');
  return new Session(opts);
}

export const createTorrent: TorrentCreator = async () => {
  throw new EngineMissing('this build of enjambre cannot create torrents yet');
};
