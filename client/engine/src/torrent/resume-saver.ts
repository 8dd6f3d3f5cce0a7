import type { EngineLogger } from '../api';
import type { ResumeDb } from '../resume/resume-db';
import type { TorrentContent } from './content';

/** After a verified piece the bitfield is saved this much later, so a burst makes one write. */
export const RESUME_SAVE_DELAY_MS = 2_000;

/**
 * Saves a torrent's verified pieces and its files' sizes and mtimes, batched: at most one save
 * pending, `schedule(0)` for now. `content` answers, when the save runs,
 * undefined while nothing may be saved (no metadata yet, or a check in progress whose bitfield
 * is partial).
 */
export class ResumeSaver {
  private timer?: NodeJS.Timeout;
  /** How many learned v2 piece layers the database has. */
  private savedLayers = 0;

  constructor(
    private readonly db: ResumeDb | undefined,
    private readonly infoHash: string,
    private readonly content: () => TorrentContent | undefined,
    private readonly logger?: EngineLogger,
  ) {}

  schedule(delay: number): void {
    if (!this.db) return;
    if (this.timer && delay > 0) return; // a save is already due
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.save();
    }, delay);
    this.timer.unref();
  }

  async save(): Promise<void> {
    this.cancel();
    const content = this.content();
    if (!this.db || !content) return;
    try {
      const files = await content.storage.fileStats();
      await this.db.save(this.infoHash, {
        bitfield: content.have.bytes,
        files,
        savedAt: Date.now(),
      });
      const layers = content.layers?.learned();
      if (layers && layers.size > this.savedLayers) {
        await this.db.saveLayers(this.infoHash, layers);
        this.savedLayers = layers.size;
      }
    } catch (err) {
      this.logger?.warn(
        { infoHash: this.infoHash, err: (err as Error).message },
        'resume save failed',
      );
    }
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
