import { createTorrentFromPath, Session } from '@enjambre/engine';
import type { TorrentCreator } from './daemon/shares';
import type { SessionApi, SessionOptions } from '@enjambre/engine';

/** The engine as the bridge sees it: only through the contract in client/engine/src/api.ts. */
export type { Torrent } from '@enjambre/engine';

export function newSession(opts: SessionOptions): SessionApi {
  return new Session(opts);
}

/** Hashes a file or folder into a .torrent (`createTorrentFromPath`), in the shape shares use. */
export const createTorrent: TorrentCreator = async (path, opts) => {
  const created = await createTorrentFromPath(path, {
    announce: opts.trackers,
    ...(opts.private ? { private: true } : {}),
    ...(opts.comment ? { comment: opts.comment } : {}),
    ...(opts.pieceLength ? { pieceLength: opts.pieceLength } : {}),
    createdBy: 'enjambre/0.1.0',
    onProgress: opts.onProgress,
  });
  return {
    torrent: created.torrent,
    size: created.metainfo.totalLength,
    infoHash: created.metainfo.infoHash,
  };
};
