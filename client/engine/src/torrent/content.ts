import type { FilePriority, FileStatus } from '../api';
import type { SessionContext } from '../context';
import { pieceCheck, pieceSize, type TorrentMeta } from '../meta';
import { PiecePicker } from '../picker/picker';
import { FileStorage } from '../storage/file-storage';
import type { TorrentStorage } from '../storage/storage';
import { Bitfield } from '../util/bitfield';
import { Downloader, type DownloaderEvents } from './downloader';
import { FileTable } from './files';
import { PieceLayers } from './piece-layers';

/**
 * What a torrent holds once its metadata is known: the files on disk, the verified pieces, the
 * file priorities, the picker that mirrors them and the downloader's partial pieces. Checking,
 * live, paused and error states share one, because all of it outlives a pause: a piece half
 * received before a pause is finished after it, and one being verified at the pause still counts.
 */
export class TorrentContent {
  readonly storage: TorrentStorage;
  readonly fileTable: FileTable;
  readonly picker: PiecePicker;
  readonly have: Bitfield;
  readonly downloader: Downloader;
  /** Verified bytes of wanted files. */
  private wanted = 0;

  constructor(
    readonly meta: TorrentMeta,
    ctx: Pick<SessionContext, 'fds' | 'stats' | 'hasher'>,
    o: {
      downloadDir: string;
      priorities?: FilePriority[];
      sequential: boolean;
      downloaded: DownloaderEvents;
      /** A v2 piece layer arrived from a peer (worth saving for the next run). */
      layerArrived?: () => void;
    },
  ) {
    const { downloadDir, priorities, sequential } = o;
    this.storage = new FileStorage(meta, { downloadDir, fds: ctx.fds, stats: ctx.stats });
    this.fileTable = new FileTable(meta, priorities);
    this.picker = new PiecePicker(
      meta.pieceCount,
      meta.pieceLength,
      pieceSize(meta, meta.pieceCount - 1),
    );
    const v2 = meta.v2;
    // pieces are asked for only once they can be checked (their piece layer is known)
    if (v2) {
      this.layers = new PieceLayers({ ...meta, v2 }, () => {
        this.applyPriorities();
        o.layerArrived?.();
      });
    }
    this.applyPriorities();
    this.picker.setSequential(sequential);
    this.have = new Bitfield(meta.pieceCount);
    this.downloader = new Downloader(meta, this.picker, this.storage, ctx.hasher, o.downloaded);
  }

  /** The files' priorities on the picker, pieces without a known v2 check held back. */
  private applyPriorities(): void {
    const prio = this.fileTable.piecePriorities();
    this.heldBack = [];
    if (this.layers && !this.layers.complete) {
      for (let p = 0; p < prio.length; p++) {
        if (prio[p] > 0 && !pieceCheck(this.meta, p)) {
          prio[p] = 0;
          this.heldBack.push(p);
        }
      }
    }
    this.picker.setPriorities(prio);
  }

  /** Wanted pieces the picker does not offer until their v2 piece layer is known. */
  private heldBack: number[] = [];

  /** v2-only torrents: piece layers asked from and served to peers (BEP 52 hash messages). */
  readonly layers?: PieceLayers;

  /** The torrent is removed or the session closes. */
  async close(): Promise<void> {
    this.downloader.stop();
    await this.storage.close();
  }

  /** A piece passed its hash check (and is on disk). */
  /** As libtorrent does on completion: the wanted empty files, which no piece ever writes. */
  createEmptyFiles(): Promise<void> {
    return this.storage.createEmptyFiles((i) => this.fileTable.priorities[i] > 0);
  }

  markHave(p: number): void {
    if (this.have.set(p)) {
      this.picker.setHave(p);
      this.wanted += this.fileTable.wantedBytesIn(p);
    }
  }

  /** A recheck found piece `p` bad. */
  clearHave(p: number): void {
    if (this.have.clear(p)) {
      this.picker.unsetHave(p);
      this.wanted -= this.fileTable.wantedBytesIn(p);
    }
  }

  setPriority(fileIndex: number, priority: FilePriority): void {
    if (fileIndex < 0 || fileIndex >= this.meta.files.length) throw new Error('no such file');
    this.fileTable.priorities[fileIndex] = priority;
    this.applyPriorities();
    let n = 0;
    for (let p = 0; p < this.meta.pieceCount; p++)
      if (this.have.get(p)) n += this.fileTable.wantedBytesIn(p);
    this.wanted = n;
  }

  /** Every wanted piece is verified. */
  get done(): boolean {
    // held-back pieces already verified (resume data) do not wait for their layer
    return this.picker.missingWanted === 0 && this.heldBack.every((p) => this.have.get(p));
  }

  get wantedVerified(): number {
    return this.wanted;
  }

  wantedSize(): number {
    return this.fileTable.wantedSize();
  }

  left(): number {
    return Math.max(0, this.wantedSize() - this.wanted);
  }

  files(): FileStatus[] {
    const done = this.fileTable.downloaded(this.have);
    const out: FileStatus[] = [];
    this.meta.files.forEach((f, i) => {
      if (f.pad) return;
      out.push({
        index: i,
        path: f.path.join('/'),
        length: f.length,
        downloaded: done[i],
        priority: this.fileTable.priorities[i],
      });
    });
    return out;
  }
}
