import { constants } from 'node:fs';
import { access, lstat, readdir, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { badRequest, forbidden, notFound } from './http-error';

/** True when `path` is `root` or below it (both absolute and normalized). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel));
}

function requireAbsolute(path: string): void {
  if (!isAbsolute(path) || path.includes('\0')) throw badRequest(`not an absolute path: ${path}`);
}

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/**
 * Where a path leads, as the kernel would take it: each existing component is resolved with
 * realpath (so a symlink counts as where it points and a later `..` climbs from there), and the
 * part that does not exist yet is kept as written, with its `.` and `..` applied, the way
 * `mkdir -p` would create it. So `root/missing/../../outside` is `outside`, and the result is the
 * path to create or open, never the string that was checked.
 */
export async function resolvePath(path: string): Promise<{ path: string; exists: boolean }> {
  requireAbsolute(path);
  let base = '/';
  const tail: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (tail.length > 0) tail.pop();
      else base = dirname(base);
      continue;
    }
    if (tail.length > 0) {
      tail.push(part);
      continue;
    }
    const next = join(base, part);
    try {
      base = await realpath(next);
      continue;
    } catch (err) {
      if (code(err) === 'EACCES') throw forbidden(`not readable: ${path}`);
      if (code(err) === 'ENOTDIR') throw badRequest(`not a folder: ${base}`);
      if (code(err) !== 'ENOENT') throw err;
    }
    // A link to nowhere: whatever is created through it would land where it points.
    if (
      await lstat(next).then(
        (s) => s.isSymbolicLink(),
        () => false,
      )
    ) {
      throw forbidden(`a link that leads nowhere: ${next}`);
    }
    tail.push(part);
  }
  return { path: join(base, ...tail), exists: tail.length === 0 };
}

export interface AllowedFoldersOptions {
  /** The folders the API may read, share from and download into. */
  folders: readonly string[];
  /** The daemon's data folder: its token and state are never browsed, shared or written. */
  dataDir: string;
}

/**
 * The folders the API may touch, fixed when the daemon starts (command line or config file) and
 * never changed through the API. Every check resolves the path first (resolvePath) and answers
 * with the resolved path, which is the one to use.
 */
export class AllowedFolders {
  private constructor(
    /** As the user gave them (for display). */
    readonly folders: readonly string[],
    private readonly real: readonly string[],
    private readonly dataDir: string,
  ) {}

  /** Resolves each folder once; a folder that does not exist (yet) is kept by its resolved name. */
  static async create(opts: AllowedFoldersOptions): Promise<AllowedFolders> {
    const real: string[] = [];
    for (const f of opts.folders) real.push((await resolvePath(f)).path);
    const dataDir = (await resolvePath(opts.dataDir)).path;
    return new AllowedFolders([...opts.folders], real, dataDir);
  }

  /** The allowed folder a resolved path lies in, if any. */
  private rootOf(path: string): string | undefined {
    return this.real
      .filter((r) => isInside(r, path))
      .sort((a, b) => b.length - a.length)
      .at(0);
  }

  /**
   * Whether a resolved path is the daemon's own (token, state, logs): inside the data folder and
   * not inside an allowed folder that itself lies within it (a download folder there is fine).
   */
  private isDaemonsOwn(path: string, root: string): boolean {
    const rootWithin = root !== this.dataDir && isInside(this.dataDir, root);
    return isInside(this.dataDir, path) && !rootWithin;
  }

  private async inside(path: string): Promise<{ path: string; exists: boolean; root: string }> {
    const r = await resolvePath(path);
    const root = this.rootOf(r.path);
    if (root === undefined) throw forbidden(`outside the allowed folders: ${path}`);
    if (this.isDaemonsOwn(r.path, root)) {
      throw forbidden(`the daemon's own data folder is off limits: ${path}`);
    }
    return { ...r, root };
  }

  /** A folder to download into: it may not exist yet; it must not hold the daemon's data. */
  async downloadFolder(path: string): Promise<string> {
    const r = await this.inside(path);
    if (isInside(r.path, this.dataDir)) {
      throw forbidden(`a download folder cannot hold the daemon's data folder: ${path}`);
    }
    return r.path;
  }

  /**
   * A file or folder to share: it must exist, be a regular file or a folder, be readable, and not
   * hold the daemon's data folder (its token would be published).
   */
  async shareSource(path: string): Promise<string> {
    const r = await this.inside(path);
    if (!r.exists) throw notFound(`no such file or folder: ${path}`);
    if (isInside(r.path, this.dataDir)) {
      throw forbidden(`this folder holds the daemon's data folder: ${path}`);
    }
    const st = await stat(r.path);
    if (!st.isFile() && !st.isDirectory()) throw badRequest(`not a file or folder: ${path}`);
    try {
      await access(r.path, constants.R_OK | (st.isDirectory() ? constants.X_OK : 0));
    } catch {
      throw forbidden(`not readable: ${path}`);
    }
    return r.path;
  }

  /**
   * Lists a folder for the share picker. Dot-files and dot-folders (keys, settings) are neither
   * listed nor opened unless `hidden` asks for them; links that lead out are never listed.
   */
  async browse(path: string, opts: { hidden?: boolean } = {}): Promise<FsListing> {
    const r = await this.inside(path);
    if (!r.exists) throw notFound(`no such file or folder: ${path}`);
    if (!opts.hidden && relative(r.root, r.path).split(sep).some(isHiddenName)) {
      throw forbidden(`a hidden folder (ask for hidden entries to open it): ${path}`);
    }
    const dir = r.path;
    if (!(await stat(dir)).isDirectory()) throw badRequest(`not a folder: ${path}`);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      throw forbidden(`not readable: ${path}`);
    }
    const entries: FsEntry[] = [];
    for (const name of names.sort()) {
      if (entries.length >= MAX_ENTRIES) break;
      if (!opts.hidden && isHiddenName(name)) continue;
      try {
        const full = join(dir, name);
        // A link that leads out of the folders is not offered: it could not be opened anyway.
        if ((await lstat(full)).isSymbolicLink()) await this.inside(full);
        else if (this.isDaemonsOwn(full, r.root)) continue;
        const s = await stat(full);
        if (s.isDirectory() || s.isFile()) {
          entries.push({ name, dir: s.isDirectory(), size: s.isDirectory() ? 0 : s.size });
        }
      } catch {
        // Dangling links, links out of the folders and unreadable entries are not offered.
      }
    }
    entries.sort((a, b) => Number(b.dir) - Number(a.dir) || a.name.localeCompare(b.name));
    const up = dirname(dir);
    const parent = up !== dir && this.rootOf(up) !== undefined ? up : undefined;
    return parent === undefined ? { path: dir, entries } : { path: dir, parent, entries };
  }
}

function isHiddenName(name: string): boolean {
  return name.startsWith('.') && name !== '.' && name !== '..';
}

export interface FsEntry {
  name: string;
  dir: boolean;
  size: number;
}

export interface FsListing {
  path: string;
  parent?: string;
  entries: FsEntry[];
}

const MAX_ENTRIES = 5000;
