import { createTorrentFromPath, Session } from '@enjambre/engine';
import type { TorrentCreator } from './daemon/shares';
import type { SessionApi, SessionOptions } from '@enjambre/engine';

/**
 * The engine as the bridge sees it: only through the contract in client/engine/src/api.ts.
 * (The package index exports the `Torrent` class under the same name as the contract's
 * interface, so the interface is named here from what `SessionApi.add` returns.)
 */
export type Torrent = Awaited<ReturnType<SessionApi['add']>>;

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
