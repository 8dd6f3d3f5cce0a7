import {
  afterRenderEffect,
  ChangeDetectionStrategy,
  Component,
  computed,
  ElementRef,
  inject,
  signal,
  viewChild,
} from '@angular/core';
import { Router, RouterLink } from '@angular/router';
import { AddDialog } from '../add/add-dialog';
import type { TorrentStatus } from '../api/types';
import { TorrentStore } from '../state/torrent-store';
import { Icon } from '../ui/icon';
import { FORMAT_PIPES } from '../util/format.pipes';
import { LabelFilter } from './label-filter';
import { countByState, Sort, SortKey, StateFilter, toggleSort, viewTorrents } from './list-view';
import { RemoveDialog } from './remove-dialog';
import { TorrentActions } from './torrent-actions';
import { virtualWindow } from './virtual-window';

/** A row's height until one is measured (the desktop layout's). */
const DEFAULT_ROW_PX = 49;

export const STATE_LABELS: Record<TorrentStatus['state'], string> = {
  metadata: 'Getting info',
  checking: 'Checking',
  downloading: 'Downloading',
  seeding: 'Seeding',
  paused: 'Paused',
  error: 'Error',
};

@Component({
  selector: 'ej-torrent-list',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [RouterLink, Icon, AddDialog, RemoveDialog, LabelFilter, ...FORMAT_PIPES],
  templateUrl: './torrent-list.html',
  styleUrl: './torrent-list.css',
  host: {
    '(dragover)': 'onDragOver($event)',
    '(drop)': 'onDrop($event)',
    '(window:scroll)': 'onScroll()',
    '(window:resize)': 'onResize()',
  },
})
export class TorrentList {
  protected readonly store = inject(TorrentStore);
  protected readonly actions = inject(TorrentActions);
  private readonly router = inject(Router);

  protected readonly stateFilter = signal<StateFilter>('all');
  protected readonly text = signal('');
  protected readonly sort = signal<Sort>({ key: 'addedAt', dir: 'desc' });
  protected readonly adding = signal(false);
  protected readonly droppedFile = signal<File | undefined>(undefined);
  protected readonly removing = signal<TorrentStatus | undefined>(undefined);
  /** The torrents of the chosen category or tag chip; undefined = all. */
  protected readonly labelHashes = signal<ReadonlySet<string> | undefined>(undefined);

  protected readonly counts = computed(() => countByState(this.store.torrents()));
  protected readonly rows = computed(() =>
    viewTorrents(
      this.store.torrents().filter((t) => this.labelHashes()?.has(t.infoHash) ?? true),
      { state: this.stateFilter(), text: this.text() },
      this.sort(),
    ),
  );
  protected readonly labels = STATE_LABELS;

  /*
   * A virtual list: only the rows on screen (and a few more) are in the DOM, the rest are empty
   * space of the same height, so 10,000 torrents paint and scroll like 30.
   */
  private readonly table = viewChild<ElementRef<HTMLTableElement>>('table');
  private readonly rowHeight = signal(DEFAULT_ROW_PX);
  /** Where the first row starts in the document: measured when the list changes, not on scroll. */
  private readonly listDocTop = signal(0);
  private readonly scrollY = signal(0);
  private readonly viewportHeight = signal(
    typeof window === 'undefined' ? 800 : window.innerHeight,
  );
  protected readonly window = computed(
    () =>
      virtualWindow(
        this.rows().length,
        this.rowHeight(),
        this.listDocTop() - this.scrollY(),
        this.viewportHeight(),
      ),
    // a scroll inside the same rows re-renders nothing
    {
      equal: (a, b) =>
        a.start === b.start && a.end === b.end && a.before === b.before && a.after === b.after,
    },
  );
  protected readonly visibleRows = computed(() => {
    const w = this.window();
    return this.rows().slice(w.start, w.end);
  });

  constructor() {
    afterRenderEffect({
      read: () => {
        this.rows();
        this.measure();
      },
    });
  }

  /** Scrolling reads only the scroll position: no layout is forced while the user scrolls. */
  protected onScroll(): void {
    this.scrollY.set(window.scrollY);
  }

  protected onResize(): void {
    this.viewportHeight.set(window.innerHeight);
    this.measure();
  }

  private measure(): void {
    const table = this.table()?.nativeElement;
    if (!table) return;
    const head = table.tHead?.offsetHeight ?? 0;
    this.scrollY.set(window.scrollY);
    this.listDocTop.set(table.getBoundingClientRect().top + window.scrollY + head);
    const row = table.tBodies[0]?.querySelector<HTMLElement>('tr[data-hash]');
    const h = row?.offsetHeight ?? 0;
    if (h > 0 && Math.abs(h - this.rowHeight()) >= 1) this.rowHeight.set(h);
  }

  protected readonly chips: { value: StateFilter; label: string }[] = [
    { value: 'all', label: 'All' },
    { value: 'downloading', label: 'Downloading' },
    { value: 'seeding', label: 'Seeding' },
    { value: 'active', label: 'Active' },
    { value: 'paused', label: 'Paused' },
    { value: 'error', label: 'Errors' },
  ];

  protected readonly columns: { key: SortKey; label: string; num?: boolean }[] = [
    { key: 'name', label: 'Name' },
    { key: 'size', label: 'Size', num: true },
    { key: 'progress', label: 'Progress' },
    { key: 'state', label: 'State' },
    { key: 'downloadRate', label: 'Down', num: true },
    { key: 'uploadRate', label: 'Up', num: true },
    { key: 'eta', label: 'ETA', num: true },
    { key: 'peers', label: 'Seeds / peers', num: true },
    { key: 'ratio', label: 'Ratio', num: true },
  ];

  protected sortBy(key: SortKey): void {
    this.sort.update((s) => toggleSort(s, key));
  }

  protected ariaSort(key: SortKey): string | null {
    const s = this.sort();
    if (s.key !== key) return null;
    return s.dir === 'asc' ? 'ascending' : 'descending';
  }

  protected setSortFromSelect(value: string): void {
    const [key, dir] = value.split(':') as [SortKey, 'asc' | 'desc'];
    this.sort.set({ key, dir });
  }

  protected open(t: TorrentStatus): void {
    void this.router.navigate(['/torrents', t.infoHash]);
  }

  protected openAdd(file?: File): void {
    this.droppedFile.set(file);
    this.adding.set(true);
  }

  protected onDragOver(ev: DragEvent): void {
    if (ev.dataTransfer?.types.includes('Files')) ev.preventDefault();
  }

  protected onDrop(ev: DragEvent): void {
    const file = ev.dataTransfer?.files[0];
    if (!file || this.adding()) return;
    ev.preventDefault();
    this.openAdd(file);
  }
}
