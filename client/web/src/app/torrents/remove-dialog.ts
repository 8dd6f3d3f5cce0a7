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
import { describeError } from '../api/errors';
import type { TorrentStatus } from '../api/types';
import { Icon } from '../ui/icon';
import { BytesPipe } from '../util/format.pipes';
import { TorrentActions } from './torrent-actions';

/** "Remove this torrent?" with the choice to delete its files too. */
@Component({
  selector: 'ej-remove-dialog',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [Icon, BytesPipe],
  template: `
    <dialog
      #dialog
      class="dialog"
      aria-labelledby="remove-title"
      (close)="finish(false)"
      (cancel)="busy() && $event.preventDefault()"
    >
      <div class="dialog-head">
        <h2 id="remove-title">Remove torrent?</h2>
      </div>
      <div class="dialog-body">
        <p>
          <strong>{{ torrent().name }}</strong>
          <span class="muted"> · {{ torrent().size | bytes }}</span>
        </p>
        <label class="check">
          <input
            type="checkbox"
            [checked]="deleteData()"
            (change)="deleteData.set(box.checked)"
            #box
          />
          Also delete the downloaded files from disk
        </label>
        <p class="muted hint">
          @if (deleteData()) {
            Its files in <code>{{ torrent().downloadDir }}</code> are deleted. This cannot be
            undone.
          } @else {
            The files stay in <code>{{ torrent().downloadDir }}</code>; only the torrent is removed.
          }
        </p>
        @if (error(); as e) {
          <div class="inline-error" role="alert"><ej-icon name="alert" />{{ e }}</div>
        }
      </div>
      <div class="dialog-foot">
        <button class="btn" type="button" (click)="dialog.close()" [disabled]="busy()">
          Cancel
        </button>
        <button
          class="btn danger solid"
          type="button"
          (click)="confirm()"
          [disabled]="busy()"
          data-testid="confirm-remove"
        >
          <ej-icon name="trash" />{{ deleteData() ? 'Remove and delete files' : 'Remove' }}
        </button>
      </div>
    </dialog>
  `,
  styles: `
    .hint {
      margin: 10px 0 0;
      font-size: 0.9em;
    }
  `,
})
export class RemoveDialog implements AfterViewInit {
  readonly torrent = input.required<TorrentStatus>();
  /** Emits true when the torrent was removed, false when the user cancelled. */
  readonly closed = output<boolean>();
  protected readonly deleteData = signal(false);
  protected readonly busy = signal(false);
  protected readonly error = signal<string | undefined>(undefined);
  private finished = false;
  private readonly dialog = viewChild.required<ElementRef<HTMLDialogElement>>('dialog');
  private readonly actions = inject(TorrentActions);

  ngAfterViewInit(): void {
    const d = this.dialog().nativeElement;
    if (typeof d.showModal === 'function') d.showModal();
    else d.setAttribute('open', '');
  }

  /** Emits once, whether the dialog closed by Escape, Cancel or after removing. */
  protected finish(removed: boolean): void {
    if (this.finished) return;
    this.finished = true;
    this.closed.emit(removed);
  }

  protected async confirm(): Promise<void> {
    this.busy.set(true);
    this.error.set(undefined);
    try {
      await this.actions.remove(this.torrent(), this.deleteData());
      this.busy.set(false);
      this.finish(true);
      this.dialog().nativeElement.close();
    } catch (err) {
      this.busy.set(false);
      this.error.set(describeError(err));
    }
  }
}
