import type { EventEmitter } from 'node:events';
import type { TorrentEvents } from '../api';

type Events = EventEmitter<TorrentEvents>;

/** Resolves at the torrent's next `done`, rejects at its next `error`. */
export function whenDone(t: Events): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDone = () => {
      t.off('error', onError);
      resolve();
    };
    const onError = (err: Error) => {
      t.off('done', onDone);
      reject(err);
    };
    t.once('done', onDone);
    t.once('error', onError);
  });
}

/** Resolves when piece `p` is verified, rejects at the torrent's next `error`. */
export function waitForPiece(t: Events, p: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onPiece = (i: number) => {
      if (i !== p) return;
      cleanup();
      resolve();
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      t.off('piece', onPiece);
      t.off('error', onError);
    };
    t.on('piece', onPiece);
    t.on('error', onError);
  });
}

/** A disk error in words a user understands. */
export function describeError(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  const path = (err as NodeJS.ErrnoException).path;
  if (code === 'ENOSPC') return `disk full while writing${path ? ` ${path}` : ''}`;
  if (code === 'EACCES' || code === 'EPERM')
    return `permission denied: cannot write ${path ?? 'a file'}`;
  if (code === 'EROFS') return `read-only file system: cannot write ${path ?? 'a file'}`;
  if (code === 'ENOTDIR') return `a file is in the way of a folder: ${path ?? ''}`.trim();
  return err.message;
}
