import type { FileStamps } from '../api';
import type { ResumeData } from '../resume/resume-db';
import type { PieceHasher } from '../storage/hasher';
import { Bitfield } from '../util/bitfield';
import { checkPieces } from './checker';
import type { TorrentContent } from './content';

export type { FileStamps };

export interface StartupCheckOptions {
  hasher: PieceHasher;
  /** The resume record saved for this torrent, if any. */
  resume?: ResumeData;
  /**
   * The data is meant to be complete (a share): anything short of every piece is an error.
   * Resume data, or `verified`, still spares rereading files that did not change.
   */
  seedMode: boolean;
  /**
   * The files as they were when every piece was last verified (the creator hashed them just
   * now): files whose size and mtime still match keep all their pieces without a reread.
   */
  verified?: FileStamps;
  /** Skip hashing existing files when there is no resume record (new, empty folders). */
  skipCheck: boolean;
  cancelled: () => boolean;
}

/**
 * What a torrent has on disk when it starts: the resume record's pieces for files whose size and
 * mtime still match it, plus a hash check of every other piece that might be there. Marks the
 * good pieces on `content`; throws (seed mode) when pieces are missing. True when the resume record
 * matched every file (so it need not be saved again).
 */
export async function startupCheck(
  content: TorrentContent,
  o: StartupCheckOptions,
): Promise<boolean> {
  const meta = content.meta;
  // a v2 magnet's piece layers from the last run: its pieces can be checked and served at once
  if (o.resume?.layers) content.layers?.restore(o.resume.layers);
  const stats = await content.storage.fileStats();
  const record = usable(o.resume, meta.pieceCount) ?? fromVerified(o.verified, meta.pieceCount);
  let toCheck: number[] = [];
  let unchanged = false;
  if (record) {
    const saved = new Bitfield(meta.pieceCount, record.bitfield);
    const recheck = new Set<number>();
    const changed = content.fileTable.changedFiles(record.files, stats);
    unchanged = changed.length === 0;
    for (const f of changed) {
      const { first, last } = content.fileTable.map.pieceRange(f);
      for (let p = first; p <= last; p++) recheck.add(p);
    }
    for (let p = 0; p < meta.pieceCount; p++)
      if (saved.get(p) && !recheck.has(p)) content.markHave(p);
    const anyFile = stats.some((s) => s !== null);
    toCheck = [...recheck].filter((p) => anyFile && !content.have.get(p));
  } else if (o.seedMode || (!o.skipCheck && stats.some((s) => s !== null && s.size > 0))) {
    toCheck = range(meta.pieceCount);
  }
  if (toCheck.length > 0) {
    const good = await checkPieces(
      meta,
      content.storage,
      o.hasher,
      toCheck,
      undefined,
      o.cancelled,
    );
    for (const p of toCheck) if (good.get(p)) content.markHave(p);
  }
  if (o.seedMode && !content.done && !o.cancelled()) {
    const missing = meta.pieceCount - content.have.cardinality;
    throw new Error(`seed mode: ${missing} of ${meta.pieceCount} pieces are missing or damaged`);
  }
  return unchanged;
}

/** `recheck()`: hashes every piece again; pieces that fail are no longer had. */
export async function fullCheck(content: TorrentContent, hasher: PieceHasher): Promise<void> {
  const meta = content.meta;
  const good = await checkPieces(meta, content.storage, hasher, range(meta.pieceCount));
  for (let p = 0; p < meta.pieceCount; p++) {
    if (good.get(p)) content.markHave(p);
    else content.clearHave(p);
  }
}

function usable(r: ResumeData | undefined, pieceCount: number): ResumeData | undefined {
  return r && r.bitfield.length === Math.ceil(pieceCount / 8) ? r : undefined;
}

function fromVerified(files: FileStamps | undefined, pieceCount: number) {
  if (!files) return undefined;
  const all = new Bitfield(pieceCount);
  for (let p = 0; p < pieceCount; p++) all.set(p);
  return { bitfield: all.bytes, files };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
