import { createHash } from 'node:crypto';
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
  /** After preload(): the torrents that have saved piece layers (the rest need no get). */
  private withLayers?: Set<string>;
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
    const withLayers = new Set<string>();
    for await (const key of this.db.keys({ gte: 'layers:', lt: 'layers;' })) {
      withLayers.add(key.slice('layers:'.length));
    }
    this.preloaded = all;
    this.withLayers = withLayers;
    clearTimeout(this.preloadTimer);
    this.preloadTimer = setTimeout(() => {
      this.preloaded = undefined;
      this.withLayers = undefined;
    }, PRELOAD_KEEP_MS);
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
    this.withLayers?.add(infoHash);
    const s: Record<string, string> = {};
    for (const [root, layer] of layers) s[root] = layer.toString('base64');
    return this.db.put(`layers:${infoHash}`, JSON.stringify(s));
  }

  private async loadLayers(infoHash: string): Promise<Map<string, Buffer> | undefined> {
    if (this.withLayers && !this.withLayers.has(infoHash)) return undefined;
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
    this.withLayers?.delete(infoHash);
    return this.db.batch([
      { type: 'del', key: `resume:${infoHash}` },
      { type: 'del', key: `layers:${infoHash}` },
    ]);
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
