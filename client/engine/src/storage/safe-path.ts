import { lstat, mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';

/**
 * Builds the on-disk path of a torrent file from validated path segments, and refuses anything
 * that would land outside `root`: hostile segments, and symlinks (in folders the torrent owns)
 * that point elsewhere.
 */
export function joinInside(root: string, segments: readonly string[]): string {
  for (const s of segments) {
    if (s === '' || s === '.' || s === '..' || /[/\\\0]/.test(s)) {
      throw new Error(`unsafe path segment ${JSON.stringify(s)}`);
    }
  }
  const base = path.resolve(root);
  const full = path.resolve(base, ...segments);
  if (full !== base && !full.startsWith(base + path.sep)) {
    throw new Error(`path ${JSON.stringify(segments.join('/'))} escapes the download folder`);
  }
  return full;
}

/**
 * Creates the parent folders of `file` (inside `root`) and checks that, once symlinks are
 * resolved, the parent folder and the file (if it exists) are still inside `root`.
 */
export async function prepareInside(root: string, file: string, create: boolean): Promise<void> {
  const dir = path.dirname(file);
  if (create) await mkdir(dir, { recursive: true });
  const realRoot = await realpath(root);
  const realDir = await realpath(dir);
  if (realDir !== realRoot && !realDir.startsWith(realRoot + path.sep)) {
    throw new Error(`folder ${dir} resolves outside the download folder`);
  }
  try {
    const st = await lstat(file);
    if (st.isSymbolicLink()) {
      const target = await realpath(file);
      if (!target.startsWith(realRoot + path.sep)) {
        throw new Error(`file ${file} is a symlink that leaves the download folder`);
      }
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
