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

/** Resume records in LevelDB (classic-level), one key per info-hash. */
export class ResumeDb {
  private readonly db: ClassicLevel<string, string>;

  constructor(location: string) {
    this.db = new ClassicLevel<string, string>(location, { valueEncoding: 'utf8' });
  }

  open(): Promise<void> {
    return this.db.open();
  }

  async load(infoHash: string): Promise<ResumeData | undefined> {
    const raw = await this.db.get(`resume:${infoHash}`);
    if (raw === undefined) return undefined;
    try {
      const s = JSON.parse(raw) as Stored;
      return { bitfield: Buffer.from(s.bitfield, 'base64'), files: s.files, savedAt: s.savedAt };
    } catch {
      return undefined; // a damaged record only costs a recheck
    }
  }

  save(infoHash: string, data: ResumeData): Promise<void> {
    const s: Stored = {
      bitfield: Buffer.from(data.bitfield).toString('base64'),
      files: data.files,
      savedAt: data.savedAt,
    };
    return this.db.put(`resume:${infoHash}`, JSON.stringify(s));
  }

  delete(infoHash: string): Promise<void> {
    return this.db.del(`resume:${infoHash}`);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
