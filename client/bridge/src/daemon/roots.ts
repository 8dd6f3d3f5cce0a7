import { constants } from 'node:fs';
import { access, lstat, readdir, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { badRequest, forbidden, notFound } from './http-error';

/** True when `path` is `root` or below it (both absolute and normalized). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel));
}

/** The real path (symlinks resolved), so a link inside a root cannot lead outside it. */
async function real(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw notFound(`no such file or folder: ${path}`);
    if (code === 'EACCES') throw forbidden(`not readable: ${path}`);
    throw err;
  }
}

function requireAbsolute(path: string): void {
  if (!isAbsolute(path) || path.includes('\0')) throw badRequest(`not an absolute path: ${path}`);
}

/** Resolves a path the API was given and refuses it unless it lies inside one of the roots. */
export async function resolveInsideRoots(roots: readonly string[], path: string): Promise<string> {
  requireAbsolute(path);
  const p = await real(path);
  for (const root of roots) {
    let r: string;
    try {
      r = await realpath(root);
    } catch {
      continue;
    }
    if (isInside(r, p)) return p;
  }
  throw forbidden(`outside the allowed folders: ${path}`);
}

/** Like resolveInsideRoots, for a folder that may not exist yet (a download folder). */
export async function checkFolderInsideRoots(
  roots: readonly string[],
  path: string,
): Promise<string> {
  requireAbsolute(path);
  // Walk up to the nearest existing ancestor: that is what the folder would be created under.
  let existing = path;
  for (;;) {
    try {
      await stat(existing);
      break;
    } catch {
      const up = dirname(existing);
      if (up === existing) break;
      existing = up;
    }
  }
  const base = await resolveInsideRoots(roots, existing);
  return join(base, relative(existing, path));
}

/**
 * A share path is what the user typed, so it may lie outside the roots; it must exist, be a
 * regular file or a folder, and be readable by the daemon.
 */
export async function checkSharePath(path: string): Promise<string> {
  requireAbsolute(path);
  const p = await real(path);
  const st = await stat(p);
  if (!st.isFile() && !st.isDirectory()) throw badRequest(`not a file or folder: ${path}`);
  try {
    await access(p, constants.R_OK | (st.isDirectory() ? constants.X_OK : 0));
  } catch {
    throw forbidden(`not readable: ${path}`);
  }
  return p;
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

/** Lists a folder for the share picker; never a folder outside the roots. */
export async function browse(roots: readonly string[], path: string): Promise<FsListing> {
  const dir = await resolveInsideRoots(roots, path);
  const st = await stat(dir);
  if (!st.isDirectory()) throw badRequest(`not a folder: ${path}`);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    throw forbidden(`not readable: ${path}`);
  }
  const entries: FsEntry[] = [];
  for (const name of names.sort().slice(0, MAX_ENTRIES)) {
    try {
      const full = join(dir, name);
      // A link that leads out of the roots is not offered: it could not be opened anyway.
      if ((await lstat(full)).isSymbolicLink()) await resolveInsideRoots(roots, full);
      const s = await stat(full);
      if (s.isDirectory() || s.isFile()) {
        entries.push({ name, dir: s.isDirectory(), size: s.isDirectory() ? 0 : s.size });
      }
    } catch {
      // Dangling links, links out of the roots and unreadable entries are not offered.
    }
  }
  entries.sort((a, b) => Number(b.dir) - Number(a.dir) || a.name.localeCompare(b.name));
  const up = dirname(dir);
  let parent: string | undefined;
  if (up !== dir) {
    try {
      parent = await resolveInsideRoots(roots, up);
    } catch {
      parent = undefined;
    }
  }
  return parent === undefined ? { path: dir, entries } : { path: dir, parent, entries };
}
