import type { WriteTarget } from './hasher';

/** Where a torrent's verified pieces live. The engine only talks to storage through this. */
export interface TorrentStorage {
  /** Bytes of a verified piece, for uploading. */
  readBlock(index: number, begin: number, length: number): Promise<Buffer>;
  /** The block if it is in memory already (synchronous fast path for uploads), else undefined. */
  cachedBlock?(index: number, begin: number, length: number): Buffer | undefined;
  /** A whole piece as it is on disk (zeros where files are missing or short). */
  readPiece(index: number): Promise<Buffer>;
  /** Writes a complete, verified piece at its offsets (one write per file span). */
  writePiece(index: number, data: Buffer): Promise<void>;
  /**
   * Runs `fn` with where piece `index` (`length` bytes) goes: its files created, their fds open
   * until `fn` settles, and the piece dropped from the read cache. For writers on other threads.
   */
  withWriteTargets<T>(
    index: number,
    length: number,
    fn: (targets: WriteTarget[]) => Promise<T>,
  ): Promise<T>;
  /**
   * Creates the torrent's zero-length files for which `wanted` says yes (no piece ever writes
   * them), as safely as any other file.
   */
  createEmptyFiles(wanted: (fileIndex: number) => boolean): Promise<void>;
  /** Size and modification time of each file (null when missing, pad files included as null). */
  fileStats(): Promise<Array<{ size: number; mtimeMs: number } | null>>;
  /** Absolute path of file `index` on disk. */
  filePath(index: number): string;
  /** Deletes the torrent's files (and its folder when it becomes empty). */
  deleteData(): Promise<void>;
  close(): Promise<void>;
}
