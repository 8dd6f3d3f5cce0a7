import fs from 'node:fs';

interface Entry {
  fd: Promise<number>;
  writable: boolean;
  users: number;
}

/**
 * A bounded LRU of open file descriptors, so reads and writes reuse fds instead of opening and
 * closing a file per block. An fd in use by a pending operation is never closed; the cache may
 * exceed its bound while every fd is busy.
 */
export class FdCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly max = 64) {}

  /**
   * Runs `fn` with an fd of `file`, opened by `open` (for writing when `write`) unless one is
   * cached. The opener decides how the path is reached (safe-path.ts's `openInside`).
   */
  async use<T>(
    file: string,
    write: boolean,
    open: (write: boolean) => Promise<number>,
    fn: (fd: number) => Promise<T>,
  ): Promise<T> {
    let e = this.entries.get(file);
    if (e && write && !e.writable) {
      this.drop(file, e);
      e = undefined;
    }
    if (!e) {
      e = { fd: open(write), writable: write, users: 0 };
      this.entries.set(file, e);
      e.fd.catch(() => this.entries.get(file) === e && this.entries.delete(file));
      this.evict();
    } else {
      // refresh LRU position
      this.entries.delete(file);
      this.entries.set(file, e);
    }
    e.users++;
    try {
      return await fn(await e.fd);
    } finally {
      e.users--;
      if (this.entries.get(file) !== e && e.users === 0) closeEntry(e);
    }
  }

  /** Closes the fds of `file` (e.g. before deleting or truncating it). */
  forget(file: string): void {
    const e = this.entries.get(file);
    if (e) this.drop(file, e);
  }

  async closeAll(): Promise<void> {
    const all = [...this.entries.entries()];
    this.entries.clear();
    await Promise.all(all.map(([, e]) => (e.users === 0 ? closeEntry(e) : undefined)));
  }

  private drop(file: string, e: Entry): void {
    this.entries.delete(file);
    if (e.users === 0) void closeEntry(e);
  }

  private evict(): void {
    if (this.entries.size <= this.max) return;
    for (const [file, e] of this.entries) {
      if (this.entries.size <= this.max) break;
      if (e.users === 0) this.drop(file, e);
    }
  }
}

async function closeEntry(e: Entry): Promise<void> {
  try {
    const fd = await e.fd;
    await new Promise<void>((resolve) => fs.close(fd, () => resolve()));
  } catch {
    // the open failed: nothing to close
  }
}

export function readAt(
  fd: number,
  buf: Buffer,
  off: number,
  len: number,
  pos: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.read(fd, buf, off, len, pos, (err, n) => (err ? reject(err) : resolve(n)));
  });
}

export async function writeAllAt(
  fd: number,
  buf: Buffer,
  off: number,
  len: number,
  pos: number,
): Promise<void> {
  while (len > 0) {
    const n = await new Promise<number>((resolve, reject) => {
      fs.write(fd, buf, off, len, pos, (err, w) => (err ? reject(err) : resolve(w)));
    });
    off += n;
    len -= n;
    pos += n;
  }
}

export function truncateFd(fd: number, len: number): Promise<void> {
  return new Promise((resolve, reject) =>
    fs.ftruncate(fd, len, (err) => (err ? reject(err) : resolve())),
  );
}
