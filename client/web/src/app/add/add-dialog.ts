import {
  AfterViewInit,
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  inject,
  input,
  output,
  signal,
  viewChild,
} from '@angular/core';
import { RouterLink } from '@angular/router';
import { ApiService } from '../api/api.service';
import { describeError } from '../api/errors';
import type { AddSource, TorrentStatus } from '../api/types';
import { TorrentStore } from '../state/torrent-store';
import { Icon } from '../ui/icon';
import { ToastService } from '../ui/toast.service';
import { BytesPipe } from '../util/format.pipes';
import { fileToBase64, magnetProblem, torrentFileProblem } from './validation';

type Mode = 'file' | 'magnet';

/** Add a torrent from a .torrent file (chosen or dropped) or a magnet link. */
@Component({
  selector: 'ej-add-dialog',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [Icon, BytesPipe, RouterLink],
  templateUrl: './add-dialog.html',
  styleUrl: './add-dialog.css',
})
export class AddDialog implements AfterViewInit {
  /** A file dropped on the list before the dialog opened. */
  readonly initialFile = input<File | undefined>(undefined);
  readonly closed = output<TorrentStatus | undefined>();

  protected readonly mode = signal<Mode>('file');
  protected readonly file = signal<File | undefined>(undefined);
  protected readonly magnet = signal('');
  protected readonly downloadDir = signal('');
  protected readonly paused = signal(false);
  protected readonly sequential = signal(false);
  protected readonly dragging = signal(false);
  protected readonly busy = signal(false);
  /** Problem with what the user gave, shown next to the field once they tried to submit. */
  protected readonly fieldError = signal<string | undefined>(undefined);
  /** What the bridge answered when adding failed. */
  protected readonly error = signal<string | undefined>(undefined);

  private readonly api = inject(ApiService);
  private readonly store = inject(TorrentStore);
  private readonly toasts = inject(ToastService);
  private readonly dialog = viewChild.required<ElementRef<HTMLDialogElement>>('dialog');
  private finished = false;

  ngAfterViewInit(): void {
    const initial = this.initialFile();
    if (initial) this.chooseFile(initial);
    const d = this.dialog().nativeElement;
    if (typeof d.showModal === 'function') d.showModal();
    else d.setAttribute('open', '');
  }

  protected setMode(mode: Mode): void {
    this.mode.set(mode);
    this.fieldError.set(undefined);
    this.error.set(undefined);
  }

  protected chooseFile(file: File | undefined): void {
    this.error.set(undefined);
    this.file.set(file);
    this.fieldError.set(file ? torrentFileProblem(file) : undefined);
  }

  protected onDrop(ev: DragEvent): void {
    ev.preventDefault();
    this.dragging.set(false);
    this.setMode('file');
    this.chooseFile(ev.dataTransfer?.files[0]);
  }

  protected onDragOver(ev: DragEvent): void {
    ev.preventDefault();
    this.dragging.set(true);
  }

  /** undefined when the form can be sent, else what to fix. */
  validate(): string | undefined {
    if (this.mode() === 'magnet') return magnetProblem(this.magnet());
    const f = this.file();
    return f ? torrentFileProblem(f) : 'Choose a .torrent file or drop one here.';
  }

  protected async submit(): Promise<void> {
    const problem = this.validate();
    this.fieldError.set(problem);
    this.error.set(undefined);
    if (problem) return;
    this.busy.set(true);
    try {
      let source: AddSource;
      if (this.mode() === 'magnet') source = { magnet: this.magnet().trim() };
      else source = { torrent: await fileToBase64(this.file()!) };
      const dir = this.downloadDir().trim();
      const added = await this.api.add(source, {
        ...(dir ? { downloadDir: dir } : {}),
        paused: this.paused(),
        sequential: this.sequential(),
      });
      this.store.upsert(added);
      this.toasts.success(`Added “${added.name}”.`);
      this.finish(added);
      this.dialog().nativeElement.close();
    } catch (err) {
      this.error.set(describeError(err));
    } finally {
      this.busy.set(false);
    }
  }

  protected finish(added: TorrentStatus | undefined): void {
    if (this.finished) return;
    this.finished = true;
    this.closed.emit(added);
  }

  protected close(): void {
    this.dialog().nativeElement.close();
    this.finish(undefined);
  }
}
