import { createTorrentFromPath, Session } from '@enjambre/engine';
import type { FileStamps, SessionApi, SessionOptions } from '@enjambre/engine';
import type { TorrentFormat } from '@enjambre/bittorrent';

/** The engine as the bridge sees it: only through the contract in client/engine/src/api.ts. */
export type { Torrent } from '@enjambre/engine';

export function newSession(opts: SessionOptions): SessionApi {
  return new Session(opts);
}

/** Hashes a file or folder into a .torrent, reporting bytes hashed so far. */
export type TorrentCreator = (
  path: string,
  opts: {
    trackers: string[];
    private?: boolean;
    comment?: string;
    pieceLength?: number;
    /** BEP 19 web seeds (`url-list`). */
    webSeeds?: string[];
    /** v1, v2 or hybrid (BEP 52); default v1. */
    format?: TorrentFormat;
    onProgress: (hashed: number, total: number) => void;
  },
) => Promise<{
  torrent: Uint8Array;
  size: number;
  infoHash: string;
  /** The files as they were hashed: seed with `{ seedMode: true, verified }`, no second read. */
  verified: FileStamps;
}>;

/**
 * A `TorrentCreator` on `createTorrentFromPath`: in the session's hashing pool when given one
 * (the daemon), else in a pool made for each call (`enjambre create`, `seed`).
 */
export function torrentCreator(session?: SessionApi): TorrentCreator {
  return async (path, opts) => {
    const options = {
      announce: opts.trackers,
      ...(opts.private ? { private: true } : {}),
      ...(opts.comment ? { comment: opts.comment } : {}),
      ...(opts.pieceLength ? { pieceLength: opts.pieceLength } : {}),
      ...(opts.webSeeds?.length ? { urlList: opts.webSeeds } : {}),
      ...(opts.format ? { format: opts.format } : {}),
      createdBy: 'enjambre/0.1.0',
      onProgress: opts.onProgress,
    };
    const created = session
      ? await session.createTorrent(path, options)
      : await createTorrentFromPath(path, options);
    return {
      torrent: created.torrent,
      size: created.metainfo.totalLength,
      infoHash: created.metainfo.infoHash,
      verified: created.verified,
    };
  };
}

/** Hashes a file or folder into a .torrent without a session. */
export const createTorrent: TorrentCreator = torrentCreator();
