import { fstat, type Stats } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import path from 'node:path';
import type { IoStats } from '../api';
import type { TorrentMeta } from '../meta';
import { timeIo } from '../util/io-stats';
import { pieceSize } from '../meta';
import { FdCache, readAt, truncateFd, writeAllAt } from './fd-cache';
import { FileMap } from './file-map';
import { joinInside, openInside, removeInside, statInside } from './safe-path';
import type { WriteTarget } from './hasher';
import type { TorrentStorage } from './storage';

export interface FileStorageOptions {
  /** Folder the torrent goes in (its name is a subfolder for multi-file torrents). */
  downloadDir: string;
  fds?: FdCache;
  /** Bytes of whole pieces kept in memory to serve uploads. Default 32 MiB. */
  readCacheBytes?: number;
  /** Where piece reads and writes are counted (the session's). */
  stats?: IoStats;
}

/**
 * Stores pieces in the torrent's real files. Files are created sparse (ftruncate to their length)
 * the first time a piece touching them is written; pad files are never created.
 */
export class FileStorage implements TorrentStorage {
  private readonly map: FileMap;
  /** Each file's path segments under the download folder (the torrent's name first if multi). */
  private readonly segments: string[][];
  private readonly paths: string[];
  private readonly prepared = new Map<number, Promise<void>>();
  private readonly fds: FdCache;
  private readonly ownFds: boolean;
  private readonly cache = new Map<number, Promise<Buffer>>();
  /** Resolved entries of `cache`, for the synchronous fast path. */
  private readonly ready = new Map<number, Buffer>();
  private cacheBytes = 0;
  private readonly cacheLimit: number;

  constructor(
    private readonly meta: TorrentMeta,
    private readonly opts: FileStorageOptions,
  ) {
    this.map = new FileMap(meta);
    this.segments = meta.files.map((f) => (meta.singleFile ? f.path : [meta.name, ...f.path]));
    this.paths = this.segments.map((s) => joinInside(opts.downloadDir, s));
    this.ownFds = !opts.fds;
    this.fds = opts.fds ?? new FdCache(64);
    this.cacheLimit = opts.readCacheBytes ?? 32 * 1024 * 1024;
  }

  filePath(index: number): string {
    return this.paths[index];
  }

  /** The block if its piece is already in the read cache (no promise, no I/O), else undefined. */
  cachedBlock(index: number, begin: number, length: number): Buffer | undefined {
    const piece = this.ready.get(index);
    if (!piece || begin + length > piece.length || !this.cache.has(index)) return undefined;
    return piece.subarray(begin, begin + length);
  }

  async readBlock(index: number, begin: number, length: number): Promise<Buffer> {
    let p = this.cache.get(index);
    if (p) {
      this.cache.delete(index); // LRU refresh
      this.cache.set(index, p);
    } else {
      p = this.readPiece(index);
      this.cache.set(index, p);
      const mine = p;
      p.then((buf) => this.cache.get(index) === mine && this.ready.set(index, buf)).catch(
        () => undefined,
      );
      this.cacheBytes += pieceSize(this.meta, index);
      p.catch(() => this.dropCached(index, p!));
      this.trimCache();
    }
    const piece = await p;
    if (begin + length > piece.length) throw new Error('block outside the piece');
    return piece.subarray(begin, begin + length);
  }

  readPiece(index: number): Promise<Buffer> {
    const size = pieceSize(this.meta, index);
    return timeIo(this.opts.stats?.diskRead, size, () => this.readPieceFromFiles(index, size));
  }

  private async readPieceFromFiles(index: number, size: number): Promise<Buffer> {
    // not zero-filled up front (the reads fill it); only bytes no read reached are zeroed
    const buf = Buffer.allocUnsafeSlow(size);
    await Promise.all(
      this.map.spans(index, 0, size).map(async (s) => {
        let done = 0;
        try {
          if (!this.meta.files[s.fileIndex].pad) {
            await this.use(s.fileIndex, false, async (fd) => {
              while (done < s.length) {
                const at = s.pieceOffset + done;
                const n = await readAt(fd, buf, at, s.length - done, s.fileOffset + done);
                if (n === 0) break; // short file
                done += n;
              }
            });
          }
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        } finally {
          if (done < s.length) buf.fill(0, s.pieceOffset + done, s.pieceOffset + s.length);
        }
      }),
    );
    return buf;
  }

  writePiece(index: number, data: Buffer): Promise<void> {
    return this.withWriteTargets(index, data.length, (targets) =>
      timeIo(this.opts.stats?.diskWrite, data.length, () =>
        Promise.all(targets.map((t) => writeAllAt(t.fd, data, t.offset, t.length, t.position))),
      ),
    ).then(() => undefined);
  }

  async withWriteTargets<T>(
    index: number,
    length: number,
    fn: (targets: WriteTarget[]) => Promise<T>,
  ): Promise<T> {
    const cached = this.cache.get(index);
    if (cached) this.dropCached(index, cached);
    const spans = this.map.spans(index, 0, length).filter((s) => !this.meta.files[s.fileIndex].pad);
    await Promise.all(spans.map((s) => this.prepare(s.fileIndex)));
    const targets: WriteTarget[] = [];
    // one fd held per span (a piece touches each file once) until `fn` is done with them all
    const hold = (i: number): Promise<T> => {
      if (i === spans.length) return fn(targets);
      const s = spans[i];
      return this.use(s.fileIndex, true, (fd) => {
        targets.push({ fd, offset: s.pieceOffset, length: s.length, position: s.fileOffset });
        return hold(i + 1);
      });
    };
    return hold(0);
  }

  async createEmptyFiles(wanted: (fileIndex: number) => boolean): Promise<void> {
    let first: unknown;
    // one unsafe path (a planted symlink) does not keep the others from being made
    for (const [i, f] of this.meta.files.entries()) {
      if (f.length === 0 && !f.pad && wanted(i)) {
        await this.prepare(i).catch((err: unknown) => (first ??= err));
      }
    }
    if (first !== undefined) throw first;
  }

  async fileStats(): Promise<Array<{ size: number; mtimeMs: number } | null>> {
    const seen = new Map<string, Promise<Stats | null>>(); // each folder lstat'ed once
    return Promise.all(
      this.meta.files.map(async (f, i) => {
        if (f.pad) return null;
        // a file that cannot be read safely counts as missing: its pieces get rechecked
        return statInside(this.opts.downloadDir, this.segments[i], seen).catch(() => null);
      }),
    );
  }

  async deleteData(): Promise<void> {
    for (const p of this.paths) this.fds.forget(p);
    this.cache.clear();
    this.ready.clear();
    this.cacheBytes = 0;
    // nothing is deleted through a symlinked folder (that would delete outside the folder)
    const removed = await Promise.all(
      this.segments.map((s) => removeInside(this.opts.downloadDir, s)),
    );
    if (!this.meta.singleFile) {
      // remove now-empty folders, deepest first, never above the torrent's own folder
      const top = joinInside(this.opts.downloadDir, [this.meta.name]);
      const dirs = new Set<string>();
      this.paths.forEach((p, i) => {
        if (!removed[i]) return;
        for (let d = path.dirname(p); d.startsWith(top); d = path.dirname(d)) dirs.add(d);
      });
      for (const d of [...dirs].sort((a, b) => b.length - a.length)) {
        await rmdir(d).catch(() => undefined);
      }
    }
    this.prepared.clear();
  }

  async close(): Promise<void> {
    this.cache.clear();
    this.ready.clear();
    this.cacheBytes = 0;
    if (this.ownFds) await this.fds.closeAll();
    else for (const p of this.paths) this.fds.forget(p);
  }

  /** Runs `fn` with a cached fd of file `fileIndex`, opened only through safe-path.ts. */
  private use<T>(fileIndex: number, write: boolean, fn: (fd: number) => Promise<T>): Promise<T> {
    const segments = this.segments[fileIndex];
    const open = (w: boolean) => openInside(this.opts.downloadDir, segments, w);
    return this.fds.use(this.paths[fileIndex], write, open, fn);
  }

  /** Once per file: create it (and its folders) safely, give it its length (sparse). */
  private prepare(fileIndex: number): Promise<void> {
    let p = this.prepared.get(fileIndex);
    if (!p) {
      p = this.use(fileIndex, true, async (fd) => {
        const size = await new Promise<number>((resolve, reject) =>
          fstat(fd, (err, st) => (err ? reject(err) : resolve(st.size))),
        );
        if (size < this.meta.files[fileIndex].length) {
          await truncateFd(fd, this.meta.files[fileIndex].length);
        }
      });
      this.prepared.set(fileIndex, p);
      p.catch(() => this.prepared.delete(fileIndex));
    }
    return p;
  }

  private dropCached(index: number, p: Promise<Buffer>): void {
    if (this.cache.get(index) === p) {
      this.cache.delete(index);
      this.ready.delete(index);
      this.cacheBytes -= pieceSize(this.meta, index);
    }
  }

  private trimCache(): void {
    for (const [index, p] of this.cache) {
      if (this.cacheBytes <= this.cacheLimit || this.cache.size <= 1) break;
      this.dropCached(index, p);
    }
  }
}
