import fs from 'node:fs';
import { lstat, mkdir, readlink, realpath, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * Every file of a torrent is reached from the download folder (trusted: the user chose it) down
 * through the torrent's own names (untrusted). Nothing below the download folder is followed if it
 * is a symlink, so whatever a torrent names and whatever someone left in the folder, no byte is
 * written outside it and no folder is created outside it:
 * - folders are created one level at a time, each `lstat`ed before the next is made under it, and
 *   refused when it is a symlink or not a folder;
 * - files are opened with `O_NOFOLLOW` (a symlink at the file's own path is refused, dangling or
 *   not) and must be regular files (a FIFO would block a thread, a device would be read);
 * - on Linux, the opened descriptor's real path (`/proc/self/fd`) is checked to be inside the
 *   download folder, which closes the race of a folder swapped for a symlink between the walk and
 *   the open.
 * The one symlink followed is on reads, a file symlinked to another file inside the torrent's own
 * folder: a share may contain those (see create-from-path.ts) and seeds from them.
 */

/** A path a torrent names that would lead outside its folder, or that is not a plain file. */
export class UnsafePathError extends Error {
  readonly code = 'EUNSAFEPATH';
  constructor(message: string) {
    super(message);
    this.name = 'UnsafePathError';
  }
}

/** Builds the on-disk path of a torrent file from its path segments, refusing hostile ones. */
export function joinInside(root: string, segments: readonly string[]): string {
  if (segments.length === 0) throw new UnsafePathError('empty path');
  for (const s of segments) {
    if (s === '' || s === '.' || s === '..' || /[/\\\0]/.test(s)) {
      throw new UnsafePathError(`unsafe path segment ${JSON.stringify(s)}`);
    }
  }
  const base = path.resolve(root);
  const full = path.resolve(base, ...segments);
  if (!isInside(base, full)) {
    throw new UnsafePathError(
      `path ${JSON.stringify(segments.join('/'))} escapes the download folder`,
    );
  }
  return full;
}

function isInside(base: string, p: string): boolean {
  return p.startsWith(base.endsWith(path.sep) ? base : base + path.sep);
}

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

async function lstatOrNull(p: string): Promise<fs.Stats | null> {
  try {
    return await lstat(p);
  } catch (err) {
    if (code(err) === 'ENOENT') return null;
    throw err;
  }
}

function checkFolder(p: string, st: fs.Stats): void {
  if (st.isSymbolicLink()) throw new UnsafePathError(`${p} is a symbolic link; not followed`);
  if (!st.isDirectory()) throw new UnsafePathError(`${p} is not a folder`);
}

/**
 * Walks the parent folders of `segments` under `root`, creating missing ones when `create`.
 * Returns the file's full path, or null when a folder is missing (and not created).
 */
async function walkParents(
  root: string,
  segments: readonly string[],
  create: boolean,
  seen?: Map<string, Promise<fs.Stats | null>>,
): Promise<string | null> {
  const full = joinInside(root, segments);
  let dir = path.resolve(root);
  if (create) await mkdir(dir, { recursive: true }); // the download folder itself is the user's
  for (const seg of segments.slice(0, -1)) {
    dir = path.join(dir, seg);
    let st: fs.Stats | null;
    if (seen) {
      // one lstat per folder for a whole pass over the torrent's files
      let p = seen.get(dir);
      if (!p) seen.set(dir, (p = lstatOrNull(dir)));
      st = await p;
    } else {
      st = await lstatOrNull(dir);
    }
    if (!st) {
      if (!create) return null;
      // not recursive: the level above was just checked, so this creates exactly one folder there
      await mkdir(dir).catch((err) => {
        if (code(err) !== 'EEXIST') throw err;
      });
      st = await lstat(dir);
    }
    checkFolder(dir, st);
  }
  return full;
}

const { O_RDONLY, O_RDWR, O_CREAT, O_NOFOLLOW, O_NONBLOCK } = fs.constants;

// Raw fds, not FileHandles: the fd cache owns them, and a FileHandle closes its fd when collected.
const openFd = promisify(fs.open);
const fstatFd = promisify(fs.fstat);
const closeFd = promisify(fs.close);

/** Linux's view of where an open descriptor really is, or undefined where /proc is missing. */
async function realPathOfFd(fd: number): Promise<string | undefined> {
  if (process.platform !== 'linux') return undefined;
  try {
    return await readlink(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

/**
 * Opens torrent file `segments` under `root` for reading, or for writing (created if missing,
 * existing data kept) with its folders created. Returns an fd the caller closes. Throws
 * UnsafePathError for a symlink or a non-file on the way, an ENOENT error when a read finds the
 * file or a folder missing.
 */
export async function openInside(
  root: string,
  segments: readonly string[],
  write: boolean,
): Promise<number> {
  const file = await walkParents(root, segments, write);
  if (file === null) {
    throw Object.assign(new Error(`${segments.join('/')} is missing`), { code: 'ENOENT' });
  }
  // Windows has no O_NOFOLLOW (nor O_NONBLOCK): there the file itself is lstat'ed first
  if (O_NOFOLLOW === undefined && (await lstatOrNull(file))?.isSymbolicLink()) {
    throw new UnsafePathError(`${file} is a symbolic link; not followed`);
  }
  const flags = (write ? O_RDWR | O_CREAT : O_RDONLY) | (O_NOFOLLOW ?? 0) | (O_NONBLOCK ?? 0);
  let fd: number;
  try {
    fd = await openFd(file, flags, 0o644);
  } catch (err) {
    if (code(err) !== 'ELOOP' && code(err) !== 'EMLINK') throw err;
    if (write) throw new UnsafePathError(`${file} is a symbolic link; not followed`);
    fd = await openLinkedInside(root, segments, file);
  }
  try {
    const st = await fstatFd(fd);
    if (!st.isFile()) throw new UnsafePathError(`${file} is not a regular file`);
    const real = await realPathOfFd(fd);
    if (real !== undefined && !isInside(await realpath(root), real)) {
      throw new UnsafePathError(`${file} leads outside the download folder (to ${real})`);
    }
  } catch (err) {
    await closeFd(fd).catch(() => undefined);
    throw err;
  }
  return fd;
}

/** A symlinked file of a multi-file torrent, read only when it points into the torrent's folder. */
async function openLinkedInside(
  root: string,
  segments: readonly string[],
  file: string,
): Promise<number> {
  if (segments.length < 2) {
    throw new UnsafePathError(`${file} is a symbolic link; not followed`);
  }
  const top = await realpath(joinInside(root, segments.slice(0, 1)));
  let target: string;
  try {
    target = await realpath(file);
  } catch {
    throw new UnsafePathError(`${file} is a dangling symbolic link; not followed`);
  }
  if (!isInside(top, target)) {
    throw new UnsafePathError(`${file} is a symbolic link that leaves the torrent's folder`);
  }
  return openFd(target, O_RDONLY | (O_NOFOLLOW ?? 0) | (O_NONBLOCK ?? 0));
}

/**
 * Size and mtime of torrent file `segments`, or null when it is missing. Takes the same walk as a
 * read without opening anything (resume stats every file at start): a symlink is followed only
 * to a file inside the torrent's folder, else UnsafePathError as a read would throw. Calls of one pass
 * over the files share `seen`, so each folder is lstat'ed once.
 */
export async function statInside(
  root: string,
  segments: readonly string[],
  seen?: Map<string, Promise<fs.Stats | null>>,
): Promise<{ size: number; mtimeMs: number } | null> {
  const file = await walkParents(root, segments, false, seen);
  if (file === null) return null;
  let st = await lstatOrNull(file);
  if (st === null) return null;
  if (st.isSymbolicLink()) {
    const fd = await openLinkedInside(root, segments, file);
    try {
      st = await fstatFd(fd);
    } finally {
      await closeFd(fd).catch(() => undefined);
    }
  }
  if (!st.isFile()) throw new UnsafePathError(`${file} is not a regular file`);
  return { size: st.size, mtimeMs: Math.floor(st.mtimeMs) };
}

/**
 * Deletes torrent file `segments` (a symlink at its path is removed, never what it points to).
 * Returns false, deleting nothing, when a folder on the way is a symlink or missing.
 */
export async function removeInside(root: string, segments: readonly string[]): Promise<boolean> {
  let file: string | null;
  try {
    file = await walkParents(root, segments, false);
  } catch (err) {
    if (err instanceof UnsafePathError) return false;
    throw err;
  }
  if (file === null) return false;
  await rm(file, { force: true });
  return true;
}

/** Walks the parents the same way without creating anything: true when they are all folders. */
export async function parentsInside(root: string, segments: readonly string[]): Promise<boolean> {
  try {
    return (await walkParents(root, segments, false)) !== null;
  } catch (err) {
    if (err instanceof UnsafePathError) return false;
    throw err;
  }
}
