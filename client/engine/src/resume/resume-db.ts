import { createHash } from 'node:crypto';
import { ClassicLevel } from 'classic-level';

/** What is saved per torrent so a restart (even after kill -9) need not recheck everything. */
export interface ResumeData {
  /** Verified pieces, as a bitfield (MSB first). */
  bitfield: Uint8Array;
  /** Size and mtime (ms) of each file when the bitfield was saved; null for missing/pad files. */
  files: Array<{ size: number; mtimeMs: number } | null>;
  savedAt: number;
}

interface Stored {
  bitfield: string;
  files: Array<{ size: number; mtimeMs: number } | null>;
  savedAt: number;
}

/** Preloaded records not asked for by then are dropped (torrents that were not restored). */
const PRELOAD_KEEP_MS = 120_000;

/**
 * Resume records in LevelDB (classic-level), one key per info-hash. `preload()` reads them all
 * in one scan at start-up (10,000 torrents restoring did 10,000 gets); a save whose pieces and
 * files did not change since the record was read or written is not written again (every
 * torrent saves when it stops).
 */
export class ResumeDb {
  private readonly db: ClassicLevel<string, string>;
  private preloaded?: Map<string, string>;
  private preloadTimer?: NodeJS.Timeout;
  /** Per info-hash: the record as stored, without its time. */
  private readonly stored = new Map<string, string>();

  constructor(location: string) {
    this.db = new ClassicLevel<string, string>(location, { valueEncoding: 'utf8' });
  }

  open(): Promise<void> {
    return this.db.open();
  }

  /** Reads every record in one scan; load() takes them from memory (each once). */
  async preload(): Promise<void> {
    const all = new Map<string, string>();
    for await (const [key, value] of this.db.iterator({ gte: 'resume:', lt: 'resume;' })) {
      all.set(key.slice('resume:'.length), value);
    }
    this.preloaded = all;
    clearTimeout(this.preloadTimer);
    this.preloadTimer = setTimeout(() => (this.preloaded = undefined), PRELOAD_KEEP_MS);
    this.preloadTimer.unref();
  }

  async load(infoHash: string): Promise<ResumeData | undefined> {
    let raw = this.preloaded?.get(infoHash);
    if (raw !== undefined) this.preloaded!.delete(infoHash);
    else raw = await this.db.get(`resume:${infoHash}`);
    if (raw === undefined) return undefined;
    try {
      const s = JSON.parse(raw) as Stored;
      this.stored.set(infoHash, contentKey(s.bitfield, s.files));
      return { bitfield: Buffer.from(s.bitfield, 'base64'), files: s.files, savedAt: s.savedAt };
    } catch {
      return undefined; // a damaged record only costs a recheck
    }
  }

  async save(infoHash: string, data: ResumeData): Promise<void> {
    const s: Stored = {
      bitfield: Buffer.from(data.bitfield).toString('base64'),
      files: data.files,
      savedAt: data.savedAt,
    };
    const key = contentKey(s.bitfield, s.files);
    if (this.stored.get(infoHash) === key) return;
    await this.db.put(`resume:${infoHash}`, JSON.stringify(s));
    this.stored.set(infoHash, key);
  }

  delete(infoHash: string): Promise<void> {
    this.stored.delete(infoHash);
    this.preloaded?.delete(infoHash);
    return this.db.del(`resume:${infoHash}`);
  }

  close(): Promise<void> {
    clearTimeout(this.preloadTimer);
    this.preloaded = undefined;
    return this.db.close();
  }
}

/** A digest, not the record: a large torrent's bitfield would be kept twice otherwise. */
function contentKey(bitfield: string, files: Stored['files']): string {
  return createHash('sha1').update(bitfield).update(JSON.stringify(files)).digest('base64');
}
