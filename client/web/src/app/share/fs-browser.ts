import {
  ChangeDetectionStrategy,
  Component,
  inject,
  input,
  output,
  signal,
  OnInit,
} from '@angular/core';
import { ApiService } from '../api/api.service';
import { describeError } from '../api/errors';
import type { FsListing } from '../api/types';
import { Icon } from '../ui/icon';
import { BytesPipe } from '../util/format.pipes';

/** A small browser over the bridge's allowed folders: open folders, pick a file or folder. */
@Component({
  selector: 'ej-fs-browser',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [Icon, BytesPipe],
  template: `
    <div class="fs" role="group" aria-label="Choose a file or folder">
      <div class="bar-top">
        <button
          class="btn small ghost icon"
          type="button"
          [disabled]="!listing()?.parent"
          (click)="go(listing()?.parent)"
        >
          <ej-icon name="back" [size]="16" /><span class="sr-only">Up one folder</span>
        </button>
        <span class="mono here">{{ listing()?.path ?? '…' }}</span>
        <button
          class="btn small primary"
          type="button"
          [disabled]="!listing()"
          (click)="picked.emit(listing()!.path)"
        >
          Share this folder
        </button>
      </div>
      @if (error(); as e) {
        <div class="inline-error" role="alert"><ej-icon name="alert" />{{ e }}</div>
      }
      <ul>
        @for (e of listing()?.entries ?? []; track e.name) {
          <li>
            @if (e.dir) {
              <button type="button" class="entry" (click)="go(join(e.name))">
                <ej-icon name="folder" [size]="16" /><span class="n">{{ e.name }}</span>
                <ej-icon name="chevron" [size]="14" />
              </button>
            } @else {
              <button type="button" class="entry" (click)="picked.emit(join(e.name))">
                <ej-icon name="file" [size]="16" /><span class="n">{{ e.name }}</span>
                <span class="muted">{{ e.size | bytes }}</span>
              </button>
            }
          </li>
        } @empty {
          <li class="muted none">{{ listing() ? 'This folder is empty.' : 'Loading…' }}</li>
        }
      </ul>
    </div>
  `,
  styles: `
    .fs {
      border: 1px solid var(--border);
      border-radius: 10px;
      overflow: hidden;
      margin-bottom: 16px;
    }
    .bar-top {
      display: flex;
      align-items: center;
      gap: 8px;
      padding: 8px;
      background: var(--surface-2);
      border-bottom: 1px solid var(--border);
    }
    .here {
      flex: 1;
      overflow-wrap: anywhere;
      font-size: 0.85em;
    }
    ul {
      list-style: none;
      margin: 0;
      padding: 4px;
      max-height: 280px;
      overflow-y: auto;
    }
    .entry {
      display: flex;
      align-items: center;
      gap: 10px;
      width: 100%;
      padding: 8px 10px;
      border: none;
      border-radius: 6px;
      background: none;
      color: var(--text);
      font: inherit;
      text-align: left;
      cursor: pointer;
    }
    .entry:hover {
      background: var(--surface-2);
    }
    .n {
      flex: 1;
      overflow-wrap: anywhere;
    }
    .none {
      padding: 10px;
    }
    .inline-error {
      margin: 8px;
    }
  `,
})
export class FsBrowser implements OnInit {
  readonly start = input<string | undefined>(undefined);
  readonly picked = output<string>();
  protected readonly listing = signal<FsListing | undefined>(undefined);
  protected readonly error = signal<string | undefined>(undefined);
  private readonly api = inject(ApiService);

  ngOnInit(): void {
    void this.go(this.start() || undefined);
  }

  protected join(name: string): string {
    const base = this.listing()?.path ?? '';
    return base.endsWith('/') ? base + name : `${base}/${name}`;
  }

  protected async go(path: string | undefined): Promise<void> {
    try {
      this.listing.set(await this.api.fs(path));
      this.error.set(undefined);
    } catch (err) {
      this.error.set(describeError(err));
    }
  }
}
