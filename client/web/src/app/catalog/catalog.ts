import { ChangeDetectionStrategy, Component, DestroyRef, inject, signal } from '@angular/core';
import { RouterLink } from '@angular/router';
import { ApiService } from '../api/api.service';
import { describeError } from '../api/errors';
import type { CatalogEntry, CatalogTracker } from '../api/types';
import { TorrentStore } from '../state/torrent-store';
import { Icon } from '../ui/icon';
import { ToastService } from '../ui/toast.service';
import { BytesPipe } from '../util/format.pipes';

/** What the trackers publish: browse, search, and download with one click. */
@Component({
  selector: 'ej-catalog',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [Icon, BytesPipe, RouterLink],
  templateUrl: './catalog.html',
  styleUrl: './catalog.css',
})
export class Catalog {
  private readonly api = inject(ApiService);
  protected readonly store = inject(TorrentStore);
  private readonly toasts = inject(ToastService);

  protected readonly search = signal('');
  protected readonly trackers = signal<CatalogTracker[] | undefined>(undefined);
  protected readonly error = signal<string | undefined>(undefined);
  protected readonly loading = signal(false);
  /** Info-hash → what adding it answered, shown on its row. */
  protected readonly adding = signal<ReadonlySet<string>>(new Set());
  protected readonly rowErrors = signal<ReadonlyMap<string, string>>(new Map());
  private debounce?: ReturnType<typeof setTimeout>;
  private generation = 0;

  constructor() {
    void this.load();
    inject(DestroyRef).onDestroy(() => clearTimeout(this.debounce));
  }

  protected onSearch(text: string): void {
    this.search.set(text);
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.load(), 300);
  }

  protected async load(): Promise<void> {
    const gen = ++this.generation;
    this.loading.set(true);
    try {
      const answer = await this.api.catalog({ search: this.search().trim() });
      if (gen !== this.generation) return; // a newer search answered already
      this.trackers.set(answer.trackers);
      this.error.set(undefined);
    } catch (err) {
      if (gen === this.generation) this.error.set(describeError(err));
    } finally {
      if (gen === this.generation) this.loading.set(false);
    }
  }

  protected async more(tracker: CatalogTracker): Promise<void> {
    if (!tracker.nextPageToken) return;
    try {
      const answer = await this.api.catalog({
        tracker: tracker.url,
        search: this.search().trim(),
        pageToken: tracker.nextPageToken,
      });
      const page = answer.trackers.find((t) => t.url === tracker.url);
      if (!page) return;
      this.trackers.update((list) =>
        list?.map((t) =>
          t.url === tracker.url ? { ...page, torrents: [...t.torrents, ...page.torrents] } : t,
        ),
      );
    } catch (err) {
      this.toasts.error(describeError(err));
    }
  }

  protected async download(entry: CatalogEntry, tracker: CatalogTracker): Promise<void> {
    this.adding.update((s) => new Set(s).add(entry.infoHash));
    this.rowErrors.update((m) => {
      const next = new Map(m);
      next.delete(entry.infoHash);
      return next;
    });
    try {
      const added = await this.api.add({
        infoHash: entry.infoHash,
        name: entry.name,
        trackers: [tracker.url],
      });
      this.store.upsert(added);
      this.toasts.success(`Downloading “${entry.name}”.`);
    } catch (err) {
      this.rowErrors.update((m) => new Map(m).set(entry.infoHash, describeError(err)));
    } finally {
      this.adding.update((s) => {
        const next = new Set(s);
        next.delete(entry.infoHash);
        return next;
      });
    }
  }
}
