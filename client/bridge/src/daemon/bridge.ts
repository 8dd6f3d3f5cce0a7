import { ProtocolError } from '@enjambre/bittorrent';
import type {
  AddOptions,
  FilePriority,
  FileStamps,
  SessionApi,
  TorrentSource,
} from '@enjambre/engine';
import { cp, mkdir, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Torrent } from '../engine';
import { AlreadyAdded, badRequest, conflict, HttpError, notFound } from './http-error';
import {
  BridgeState,
  effectiveLimits,
  type RateLimitFields,
  Settings,
  TorrentRecord,
} from './state';

export interface AddRequest {
  source: TorrentSource;
  downloadDir?: string;
  paused?: boolean;
  sequential?: boolean;
  /** The data is complete (a share): verify, seed and publish. */
  seedMode?: boolean;
  /** With seedMode: the files as the creator hashed them (not read again while unchanged). */
  verified?: FileStamps;
  /** Stored with the record (the remote-control APIs' categories and tags). */
  category?: string;
  tags?: string[];
}

/** What the remote-control APIs change on a record besides engine state. */
export type RecordLabels = Partial<Pick<TorrentRecord, 'category' | 'tags' | 'seedRatioLimit'>>;

/** Torrents re-added at once at start-up. */
const RESTORE_IN_FLIGHT = 16;

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/**
 * Keeps the engine's torrents and the bridge's LevelDB records in step: every change made through
 * the API is applied to the engine and written to the record before the API answers, so that a
 * restart (kill -9 included) re-adds each torrent as the user left it.
 */
export class Bridge {
  private readonly records = new Map<string, TorrentRecord>();

  constructor(
    readonly session: SessionApi,
    private readonly state: BridgeState,
    private settingsValue: Settings,
    private readonly log: Logger,
  ) {}

  get settings(): Settings {
    return this.settingsValue;
  }

  async setSettings(next: Settings): Promise<void> {
    await this.state.putSettings(next);
    this.settingsValue = next;
    this.session.setRateLimits({
      upload: next.uploadRateLimit,
      download: next.downloadRateLimit,
    });
  }

  /**
   * Re-adds every recorded torrent in its recorded state, RESTORE_IN_FLIGHT at a time (each
   * waits on its files' sizes and times and its resume record, not on the CPU); one bad record
   * does not stop the rest. The engine keeps them in the order of the records.
   */
  async restore(): Promise<void> {
    const records = await this.state.listTorrents();
    let next = 0;
    const worker = async () => {
      while (next < records.length) await this.restoreOne(records[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(RESTORE_IN_FLIGHT, records.length) }, worker));
  }

  private async restoreOne(record: TorrentRecord): Promise<void> {
    const source: TorrentSource | undefined = record.torrent
      ? { torrent: Buffer.from(record.torrent, 'base64') }
      : record.magnet
        ? { magnet: record.magnet }
        : undefined;
    if (!source) return;
    try {
      const t = await this.session.add(source, {
        downloadDir: record.downloadDir,
        paused: record.paused,
        sequential: record.sequential,
        seedMode: record.shared === true,
        ...(record.filePriorities
          ? { filePriorities: record.filePriorities as FilePriority[] }
          : {}),
      });
      this.records.set(t.infoHash, record);
      t.setRateLimits(effectiveLimits(record));
      if (record.superSeeding) t.setSuperSeeding(true);
      this.watch(t);
    } catch (err) {
      this.log.warn({ infoHash: record.infoHash, err: String(err) }, 'could not restore torrent');
    }
  }

  async add(req: AddRequest): Promise<Torrent> {
    const options: AddOptions = {
      downloadDir: req.downloadDir ?? this.settings.downloadDir,
      paused: req.paused ?? false,
      sequential: req.sequential ?? false,
      seedMode: req.seedMode ?? false,
      ...(req.verified ? { verified: req.verified } : {}),
    };
    // The session announces a torrent it creates before add() returns (SessionEvents.added): a
    // torrent that was not announced during our call was there already (or is being added by
    // a concurrent call), without listing all 10,000 torrents for every add.
    const created = new Set<string>();
    const onAdded = (x: Torrent) => created.add(x.infoHash);
    let t: Torrent;
    this.session.on('added', onAdded);
    try {
      const adding = this.session.add(req.source, options);
      this.session.off('added', onAdded);
      t = await adding;
    } catch (err) {
      throw asHttpError(err);
    } finally {
      this.session.off('added', onAdded);
    }
    if (!created.has(t.infoHash)) {
      throw new AlreadyAdded(t.infoHash, t.status().name || t.infoHash);
    }
    const status = t.status();
    const file = t.torrentFile();
    const record: TorrentRecord = {
      infoHash: t.infoHash,
      magnet: status.magnet,
      ...(file ? { torrent: Buffer.from(file).toString('base64') } : {}),
      downloadDir: options.downloadDir!,
      paused: options.paused!,
      sequential: options.sequential!,
      addedAt: status.addedAt || Date.now(),
      ...(req.seedMode ? { shared: true } : {}),
      ...(req.category ? { category: req.category } : {}),
      ...(req.tags && req.tags.length > 0 ? { tags: req.tags } : {}),
    };
    await this.state.putTorrent(record);
    this.records.set(t.infoHash, record);
    this.watch(t);
    return t;
  }

  get(id: string): Torrent {
    const t = /^[0-9a-fA-F]{40}$/.test(id) ? this.session.get(id.toLowerCase()) : undefined;
    if (!t) throw notFound(`no torrent with id ${id}`);
    return t;
  }

  async pause(id: string): Promise<Torrent> {
    const t = this.get(id);
    await t.pause();
    await this.update(t, { paused: true });
    return t;
  }

  async resume(id: string): Promise<Torrent> {
    const t = this.get(id);
    await t.resume();
    await this.update(t, { paused: false });
    return t;
  }

  async setSequential(id: string, on: boolean): Promise<Torrent> {
    const t = this.get(id);
    t.setSequential(on);
    await this.update(t, { sequential: on });
    return t;
  }

  async setFilePriority(id: string, index: number, priority: FilePriority): Promise<Torrent> {
    const t = this.get(id);
    const files = t.files();
    if (files.length === 0)
      throw conflict('the torrent has no file list yet (waiting for metadata)');
    if (!Number.isInteger(index) || index < 0 || index >= files.length) {
      throw notFound(`no file ${index} in this torrent (it has ${files.length})`);
    }
    t.setFilePriority(index, priority);
    await this.update(t, { filePriorities: t.files().map((f) => f.priority) });
    return t;
  }

  /** The stored record of a torrent (category, tags...); read-only, change it through the methods. */
  record(infoHash: string): Readonly<TorrentRecord> | undefined {
    return this.records.get(infoHash);
  }

  /** Sets (or with `undefined` values, clears) a torrent's category, tags or seed ratio limit. */
  async setLabels(id: string, change: RecordLabels): Promise<void> {
    const t = this.get(id);
    const record = this.records.get(t.infoHash);
    if (!record) return;
    for (const key of ['category', 'tags', 'seedRatioLimit'] as const) {
      if (!(key in change)) continue;
      if (change[key] === undefined) delete record[key];
      else Object.assign(record, { [key]: change[key] });
    }
    await this.state.putTorrent(record);
  }

  /** Sets a torrent's own speed limits (bytes per second), kept with its record. */
  async setRateLimits(id: string, change: RateLimitFields): Promise<void> {
    const t = this.get(id);
    const record = this.records.get(t.infoHash);
    if (!record) return;
    for (const key of [
      'uploadLimit',
      'uploadLimited',
      'downloadLimit',
      'downloadLimited',
    ] as const) {
      if (change[key] !== undefined) Object.assign(record, { [key]: change[key] });
    }
    t.setRateLimits(effectiveLimits(record));
    await this.state.putTorrent(record);
  }

  /** Turns BEP 16 super-seeding on or off, kept with the torrent's record. */
  async setSuperSeeding(id: string, on: boolean): Promise<void> {
    const t = this.get(id);
    t.setSuperSeeding(on);
    const record = this.records.get(t.infoHash);
    if (!record) return;
    if (on) record.superSeeding = true;
    else delete record.superSeeding;
    await this.state.putTorrent(record);
  }

  /**
   * Points a torrent at another folder: the engine drops it (keeping the data) and adds it again
   * there, so it re-checks what it finds. With `move`, the torrent's top-level file or folder is
   * renamed into the new folder first.
   */
  async relocate(id: string, downloadDir: string, move: boolean): Promise<Torrent> {
    const t = this.get(id);
    const record = this.records.get(t.infoHash);
    const file = t.torrentFile();
    if (!record || !file) throw conflict('the torrent has no metadata yet: it cannot be moved');
    const status = t.status();
    if (status.downloadDir === downloadDir) return t;
    await this.session.remove(t.infoHash, { deleteData: false });
    let target = downloadDir;
    if (move && status.name) {
      try {
        await moveInto(join(status.downloadDir, status.name), downloadDir);
      } catch (err) {
        // Nothing moved: the torrent goes back where its data is.
        this.log.warn({ infoHash: t.infoHash, err: String(err) }, 'could not move data');
        target = status.downloadDir;
      }
    }
    const next = await this.session.add(
      { torrent: file },
      {
        downloadDir: target,
        paused: record.paused,
        sequential: record.sequential,
        ...(record.filePriorities
          ? { filePriorities: record.filePriorities as FilePriority[] }
          : {}),
      },
    );
    record.downloadDir = target;
    await this.state.putTorrent(record);
    next.setRateLimits(effectiveLimits(record));
    if (record.superSeeding) next.setSuperSeeding(true);
    this.watch(next);
    if (target !== downloadDir) throw conflict(`could not move the data to ${downloadDir}`);
    return next;
  }

  /**
   * Removes a torrent. A share seeds from the user's own files, which enjambre did not download:
   * `deleteData` leaves them alone, and only `deleteOriginals` deletes them. A plain boolean is
   * `deleteData`, as callers wrote it before shares had originals.
   */
  async remove(
    id: string,
    how: boolean | { deleteData?: boolean; deleteOriginals?: boolean } = {},
  ): Promise<{ deletedData: boolean }> {
    const opts = typeof how === 'boolean' ? { deleteData: how } : how;
    const t = this.get(id);
    const shared = this.records.get(t.infoHash)?.shared === true;
    const deleteData = opts.deleteOriginals === true || (!shared && opts.deleteData === true);
    await this.session.remove(t.infoHash, { deleteData });
    await this.state.deleteTorrent(t.infoHash);
    this.records.delete(t.infoHash);
    return { deletedData: deleteData };
  }

  private async update(t: Torrent, change: Partial<TorrentRecord>): Promise<void> {
    const record = this.records.get(t.infoHash);
    if (!record) return;
    Object.assign(record, change);
    await this.state.putTorrent(record);
  }

  /** A magnet's metadata is stored once it arrives, so a restart need not fetch it again. */
  private watch(t: Torrent): void {
    t.on('error', (err) => {
      this.log.warn({ infoHash: t.infoHash, err: err.message }, 'torrent error');
    });
    t.on('metadata', () => {
      const record = this.records.get(t.infoHash);
      const file = t.torrentFile();
      if (!record || record.torrent || !file) return;
      record.torrent = Buffer.from(file).toString('base64');
      this.state.putTorrent(record).catch((err: unknown) => {
        this.log.warn({ infoHash: t.infoHash, err: String(err) }, 'could not store metadata');
      });
    });
  }
}

/**
 * Moves a file or folder into `dir` (created if missing), across file systems too; a source that
 * does not exist yet (nothing downloaded) is not an error.
 */
async function moveInto(from: string, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const to = join(dir, basename(from));
  try {
    await rename(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code !== 'EXDEV') throw err;
    await cp(from, to, { recursive: true, errorOnExist: true, force: false });
    await rm(from, { recursive: true, force: true });
  }
}

/** Parser errors become 400 with the parser's own words; a full disk is 507. */
export function asHttpError(err: unknown): Error {
  if (err instanceof HttpError) return err;
  if (err instanceof ProtocolError) return badRequest(err.message);
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC') return new HttpError(507, 'the disk is full');
  if (code === 'EACCES' || code === 'EPERM') {
    return new HttpError(403, `permission denied: ${(err as Error).message}`);
  }
  return err instanceof Error ? err : new Error(String(err));
}
