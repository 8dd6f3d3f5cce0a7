import { randomBytes } from 'node:crypto';
import type { AllowedFolders } from '../daemon/roots';
import type { Bridge, Logger } from '../daemon/bridge';
import type { RpcAuth } from './auth';
import type { Labels } from './labels';
import { MetaCache } from './torrent-view';
import type { TorrentIds } from './torrent-ids';

/** What both remote-control APIs work on: the bridge's state, never a copy of it. */
export interface RpcContext {
  bridge: Bridge;
  ids: TorrentIds;
  meta: MetaCache;
  labels: Labels;
  auth: RpcAuth;
  /** Folders a download may go in or a .torrent be read from (fixed at start). */
  folders: AllowedFolders;
  version: string;
  dataDir: string;
  startedAt: number;
  /** Transmission's X-Transmission-Session-Id, new at each start. */
  trSessionId: string;
  log: Logger;
  /** Stops torrents that reached their seed ratio limit. */
  enforceRatios: () => void;
}

export function newTrSessionId(): string {
  return randomBytes(24).toString('base64url');
}

/** Pauses every seeding torrent whose ratio reached its limit (Transmission and qBittorrent do). */
export function ratioEnforcer(bridge: Bridge, log: Logger): () => void {
  return () => {
    for (const t of bridge.session.list()) {
      const limit = bridge.record(t.infoHash)?.seedRatioLimit;
      if (limit === undefined) continue;
      const s = t.status();
      if (s.state === 'seeding' && s.ratio >= limit) {
        bridge.pause(t.infoHash).catch((err: unknown) => {
          log.warn({ infoHash: t.infoHash, err: String(err) }, 'could not stop at the ratio limit');
        });
      }
    }
  };
}
