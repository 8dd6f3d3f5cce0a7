import { ClassicLevel } from 'classic-level';

/** What is saved per torrent so a restart (even after kill -9) need not recheck everything. */
export interface ResumeData {
  /** Verified pieces, as a bitfield (MSB first). */
  bitfield: Uint8Array;
  /** Size and mtime (ms) of each file when the bitfield was saved; null for missing/pad files. */
  files: Array<{ size: number; mtimeMs: number } | null>;
  savedAt: number;
  /**
   * BEP 52 piece layers a v2 torrent learned from peers (a magnet has none of its own), by pieces
   * root (hex); the torrent checks each against its root before it trusts it.
   */
  layers?: Map<string, Buffer>;
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
      const layers = await this.loadLayers(infoHash);
      return {
        bitfield: Buffer.from(s.bitfield, 'base64'),
        files: s.files,
        savedAt: s.savedAt,
        ...(layers && { layers }),
      };
    } catch {
      return undefined; // a damaged record only costs a recheck
    }
  }

  /**
   * Piece layers live under a key of their own, written only when a layer arrives: they can be
   * megabytes, and the bitfield beside them is saved after every few verified pieces.
   */
  saveLayers(infoHash: string, layers: ReadonlyMap<string, Buffer>): Promise<void> {
    const s: Record<string, string> = {};
    for (const [root, layer] of layers) s[root] = layer.toString('base64');
    return this.db.put(`layers:${infoHash}`, JSON.stringify(s));
  }

  private async loadLayers(infoHash: string): Promise<Map<string, Buffer> | undefined> {
    const raw = await this.db.get(`layers:${infoHash}`);
    if (raw === undefined) return undefined;
    try {
      const s = JSON.parse(raw) as unknown;
      if (typeof s !== 'object' || s === null) return undefined;
      const out = new Map<string, Buffer>();
      for (const [root, b64] of Object.entries(s)) {
        if (typeof b64 === 'string') out.set(root, Buffer.from(b64, 'base64'));
      }
      return out;
    } catch {
      return undefined; // damaged: fetched from peers again
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
    return this.db.batch([
      { type: 'del', key: `resume:${infoHash}` },
      { type: 'del', key: `layers:${infoHash}` },
    ]);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
