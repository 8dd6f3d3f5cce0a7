import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  computed,
  inject,
  output,
  signal,
} from '@angular/core';
import { ApiService } from '../api/api.service';
import type { Labels } from '../api/types';

/** A chosen category or tag; undefined = no label filter. */
export type LabelChoice = { kind: 'category' | 'tag'; name: string } | undefined;

/** Labels change through the remote-control APIs, outside the GUI: read them again this often. */
const REFRESH_MS = 5000;

/**
 * Filter chips for the categories and tags that tools like Sonarr set through the qBittorrent
 * or Transmission API. Emits the info-hashes the chosen chip covers (undefined: all).
 */
@Component({
  selector: 'ej-label-filter',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (labels(); as l) {
      @if (l.categories.length > 0 || l.tags.length > 0) {
        <div class="chips labels" role="group" aria-label="Categories and tags">
          @for (c of l.categories; track c.name) {
            <button
              type="button"
              class="chip"
              data-kind="category"
              [attr.aria-pressed]="isChosen('category', c.name)"
              (click)="choose('category', c.name)"
            >
              {{ c.name }} <span class="count">{{ count('category', c.name) }}</span>
            </button>
          }
          @for (t of l.tags; track t) {
            <button
              type="button"
              class="chip tag"
              data-kind="tag"
              [attr.aria-pressed]="isChosen('tag', t)"
              (click)="choose('tag', t)"
            >
              #{{ t }} <span class="count">{{ count('tag', t) }}</span>
            </button>
          }
        </div>
      }
    }
  `,
  styles: `
    .labels {
      margin-bottom: 14px;
    }
    .chip.tag {
      font-style: italic;
    }
  `,
})
export class LabelFilter {
  private readonly api = inject(ApiService);
  protected readonly labels = signal<Labels | undefined>(undefined);
  private readonly chosen = signal<LabelChoice>(undefined);
  readonly hashes = output<ReadonlySet<string> | undefined>();

  private readonly members = computed(() => {
    const out = new Map<string, Set<string>>();
    const add = (key: string, hash: string) => {
      let set = out.get(key);
      if (!set) out.set(key, (set = new Set()));
      set.add(hash);
    };
    for (const [hash, t] of Object.entries(this.labels()?.torrents ?? {})) {
      if (t.category) add(`category:${t.category}`, hash);
      for (const tag of t.tags ?? []) add(`tag:${tag}`, hash);
    }
    return out;
  });

  constructor() {
    void this.refresh();
    const timer = setInterval(() => void this.refresh(), REFRESH_MS);
    inject(DestroyRef).onDestroy(() => clearInterval(timer));
  }

  protected isChosen(kind: 'category' | 'tag', name: string): boolean {
    const c = this.chosen();
    return c !== undefined && c.kind === kind && c.name === name;
  }

  protected count(kind: 'category' | 'tag', name: string): number {
    return this.members().get(`${kind}:${name}`)?.size ?? 0;
  }

  protected choose(kind: 'category' | 'tag', name: string): void {
    this.chosen.set(this.isChosen(kind, name) ? undefined : { kind, name });
    this.emit();
  }

  private emit(): void {
    const c = this.chosen();
    this.hashes.emit(c ? (this.members().get(`${c.kind}:${c.name}`) ?? new Set()) : undefined);
  }

  private async refresh(): Promise<void> {
    try {
      this.labels.set(await this.api.labels());
      // A chip whose label is gone stops filtering.
      const c = this.chosen();
      const l = this.labels();
      if (
        c &&
        l &&
        !(c.kind === 'category'
          ? l.categories.some((x) => x.name === c.name)
          : l.tags.includes(c.name))
      ) {
        this.chosen.set(undefined);
      }
      this.emit();
    } catch {
      // An older bridge without /api/labels, or a moment offline: no chips, no filter.
    }
  }
}
