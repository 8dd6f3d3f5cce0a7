/**
 * Makes a .torrent from a file or a folder on disk: the I/O half of `createTorrent` in
 * @enjambre/bittorrent.
 *
 * - Folders are walked recursively in a deterministic order (names compared as UTF-8 bytes, as
 *   `LC_ALL=C ls` does), so the same tree always gives the same torrent.
 * - Nothing is skipped silently: hidden files are included; a name the torrent format cannot
 *   carry safely (see `unsafeComponentReason`), a symlink that leads outside the shared folder or
 *   to a folder, or a special file (FIFO, socket, device) stops the creation with an error that
 *   names the path. Empty folders cannot be expressed in a torrent and are left out.
 * - Files are read in large chunks aligned to pieces and hashed in place, or piece by piece into
 *   a worker pool: the session's (`Session.createTorrent`), else one made for the call
 *   (create-hash.ts).
 * - The result says how every file was (size, mtime) when its pieces were hashed, checked
 *   unchanged afterwards: seeding it (`AddOptions.verified`) needs no second read.
 */
import { open, lstat, readdir, realpath, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { hashFilesInPool, hashV2FilesInPool } from './create-hash';
import { WorkerHasher, type PieceHasher } from './storage/hasher';
import {
  CreatedTorrent,
  CreateFileEntry,
  CreateTorrentInput,
  DEFAULT_MAX_FILES,
  StreamingPieceHasher,
  StreamingV2Hasher,
  TorrentFormat,
  TorrentWrapper,
  buildTorrent,
  buildTorrentV2,
  planTorrent,
  planV2Pieces,
  unsafeComponentReason,
} from '@enjambre/bittorrent';

export interface CreateFromPathOptions extends TorrentWrapper {
  /** Torrent name; default the file's or folder's own name. */
  name?: string;
  pieceLength?: number;
  private?: boolean;
  source?: string;
  /** v1 (default), v2 or hybrid (BEP 52). */
  format?: TorrentFormat;
  /** Called as data is hashed. */
  onProgress?: (bytesHashed: number, totalBytes: number) => void;
  /** A worker pool to hash in (the session's); when given, `threads` is not used. */
  hasher?: PieceHasher;
  /**
   * Worker threads of a pool made for this call; 0 hashes on the calling thread. Default: the
   * number of CPUs (at most 4) for 64 MiB or more, else 0 (starting workers costs more than it
   * saves).
   */
  threads?: number;
  /** Bytes per read on the calling thread, rounded to whole pieces. Default 4 MiB. */
  readSize?: number;
  signal?: AbortSignal;
}

export interface CreatedFromPath extends CreatedTorrent {
  /** Folder that holds the shared file or folder: the download folder to seed it from. */
  dataDir: string;
  /** Each file's size and mtime while it was hashed, in the torrent's file order (the shape of
   * `FileStamps` in api.ts: pass it as `AddOptions.verified`). */
  verified: Array<{ size: number; mtimeMs: number } | null>;
}

interface Found {
  /** Components under the root (empty for a single-file torrent). */
  path: string[];
  /** Where to read the bytes (a symlink's target inside the root). */
  source: string;
  length: number;
  /** Modification time (whole ms, as resume data keeps it) before hashing. */
  mtimeMs: number;
}

export class CreateFromPathError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CreateFromPathError';
  }
}

function refuse(code: string, message: string): never {
  throw new CreateFromPathError(code, message);
}

function stamp(st: { size: number; mtimeMs: number }): { length: number; mtimeMs: number } {
  return { length: st.size, mtimeMs: Math.floor(st.mtimeMs) };
}

function byUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function inside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

async function walk(realRoot: string, dir: string, prefix: string[], out: Found[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => byUtf8(a.name, b.name));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    const why = unsafeComponentReason(entry.name);
    if (why !== undefined) {
      refuse('unsafe-name', `cannot share ${full}: the name ${why}, which torrents cannot carry`);
    }
    const rel = [...prefix, entry.name];
    if (entry.isDirectory()) {
      await walk(realRoot, full, rel, out);
    } else if (entry.isFile()) {
      out.push({ path: rel, source: full, ...stamp(await lstat(full)) });
    } else if (entry.isSymbolicLink()) {
      let target: string;
      try {
        target = await realpath(full);
      } catch {
        refuse('broken-symlink', `cannot share ${full}: it is a broken symbolic link`);
      }
      if (!inside(realRoot, target)) {
        refuse('symlink-escapes', `cannot share ${full}: it links outside the shared folder`);
      }
      const st = await stat(target);
      if (!st.isFile()) {
        refuse('symlink-not-file', `cannot share ${full}: it links to something not a file`);
      }
      out.push({ path: rel, source: target, ...stamp(st) });
    } else {
      refuse('special-file', `cannot share ${full}: not a regular file or folder`);
    }
    if (out.length > DEFAULT_MAX_FILES) {
      refuse('too-many-files', `more than ${DEFAULT_MAX_FILES} files under the shared folder`);
    }
  }
}

/** Reads every file in order into one reused buffer, in chunks ending on piece boundaries. */
async function* readAll(
  files: Found[],
  chunkSize: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<Buffer> {
  const buf = Buffer.allocUnsafe(chunkSize);
  let offset = 0; // in the torrent's concatenated data
  for (const f of files) {
    const fh = await open(f.source, 'r');
    try {
      let pos = 0;
      while (pos < f.length) {
        signal?.throwIfAborted();
        const want = Math.min(f.length - pos, chunkSize - (offset % chunkSize));
        let got = 0;
        while (got < want) {
          const { bytesRead } = await fh.read(buf, got, want - got, pos + got);
          if (bytesRead === 0) {
            refuse('file-changed', `${f.source} got shorter while it was being hashed`);
          }
          got += bytesRead;
        }
        pos += want;
        offset += want;
        yield buf.subarray(0, want); // hashed before the next read reuses it
      }
    } finally {
      await fh.close();
    }
  }
}

/** Hashes the file or folder at `target` into a .torrent. */
export async function createTorrentFromPath(
  target: string,
  options: CreateFromPathOptions = {},
): Promise<CreatedFromPath> {
  const resolved = path.resolve(target);
  const realRoot = await realpath(resolved);
  const rootStat = await stat(realRoot);
  const name = options.name ?? path.basename(resolved);
  const files: Found[] = [];
  if (rootStat.isDirectory()) {
    await walk(realRoot, realRoot, [], files);
    if (files.length === 0) refuse('empty', `${resolved} holds no files`);
  } else if (rootStat.isFile()) {
    files.push({ path: [], source: realRoot, ...stamp(rootStat) });
  } else {
    refuse('special-file', `cannot share ${resolved}: not a regular file or folder`);
  }

  const common = {
    name,
    pieceLength: options.pieceLength,
    private: options.private,
    source: options.source,
    announce: options.announce,
    urlList: options.urlList,
    comment: options.comment,
    createdBy: options.createdBy,
    creationDate: options.creationDate,
    format: options.format,
  };
  const input: CreateTorrentInput = rootStat.isDirectory()
    ? { ...common, files: files.map((f): CreateFileEntry => ({ path: f.path, length: f.length })) }
    : { ...common, length: files[0].length };
  // Names, lengths and piece length are checked before a byte is read.
  const { totalLength, pieceLength } = planTorrent(input);

  const format = options.format ?? 'v1';
  const jobs = format === 'v1' ? undefined : planV2Pieces(input, format);

  const readSize = options.readSize ?? 4 * 1024 * 1024;
  const threads =
    options.threads ?? (totalLength >= 64 * 1024 * 1024 ? Math.min(4, availableParallelism()) : 0);
  const chunkSize = Math.max(1, Math.round(readSize / pieceLength)) * pieceLength;
  const poolOptions = {
    onProgress: options.onProgress,
    signal: options.signal,
    shorter: (p: string) => refuse('file-changed', `${p} got shorter while it was being hashed`),
  };
  let created: CreatedTorrent;
  if (options.hasher || threads > 0) {
    const hasher = options.hasher ?? new WorkerHasher(threads);
    try {
      created = jobs
        ? buildTorrentV2(
            input,
            format as 'v2' | 'hybrid',
            await hashV2FilesInPool(hasher, files, jobs, totalLength, poolOptions),
          )
        : buildTorrent(
            input,
            await hashFilesInPool(hasher, files, totalLength, pieceLength, poolOptions),
          );
    } finally {
      if (hasher !== options.hasher) await hasher.close();
    }
  } else if (jobs) {
    let done = 0;
    const hasher = new StreamingV2Hasher(jobs, (n) => {
      done += n;
      options.onProgress?.(done, totalLength);
    });
    for await (const chunk of readAll(files, chunkSize, options.signal)) hasher.push(chunk);
    created = buildTorrentV2(input, format as 'v2' | 'hybrid', hasher.finish());
  } else {
    const hasher = new StreamingPieceHasher(totalLength, pieceLength, {
      onProgress: options.onProgress,
    });
    for await (const chunk of readAll(files, chunkSize, options.signal)) hasher.push(chunk);
    created = buildTorrent(input, hasher.finish());
  }
  for (const f of files) {
    const now = stamp(await stat(f.source));
    if (now.length !== f.length) {
      refuse('file-changed', `${f.source} changed size while it was being hashed`);
    }
    if (now.mtimeMs !== f.mtimeMs) {
      refuse('file-changed', `${f.source} was modified while it was being hashed`);
    }
  }
  // in the torrent's file order, null for the pad files of a hybrid's v1 part
  let next = 0;
  const verified = created.metainfo.files.map((f) => {
    if (f.pad) return null;
    const found = files[next++];
    return { size: found.length, mtimeMs: found.mtimeMs };
  });
  return { ...created, dataDir: path.dirname(resolved), verified };
}
