import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  computed,
  effect,
  inject,
  input,
  signal,
  untracked,
} from '@angular/core';
import { Router, RouterLink } from '@angular/router';
import { ApiService } from '../api/api.service';
import { describeError } from '../api/errors';
import type {
  FilePriority,
  FileStatus,
  PeerStatus,
  PieceMap as PieceMapData,
  TorrentStatus,
  TrackerStatus,
  WebSeedStatus,
} from '../api/types';
import { TorrentStore } from '../state/torrent-store';
import { RemoveDialog } from '../torrents/remove-dialog';
import { TorrentActions } from '../torrents/torrent-actions';
import { STATE_LABELS } from '../torrents/torrent-list';
import { Icon } from '../ui/icon';
import { ToastService } from '../ui/toast.service';
import { FORMAT_PIPES } from '../util/format.pipes';
import { PeerTable } from './peer-table';
import { PieceMap } from './piece-map';
import { SpeedChart } from './speed-chart';

type Tab = 'overview' | 'files' | 'peers' | 'trackers';

const VIDEO = /\.(mp4|m4v|webm|mov|ogv|mkv)$/i;
const AUDIO = /\.(mp3|m4a|aac|ogg|oga|opus|flac|wav)$/i;

/** How a file can be shown in the browser while it downloads. */
export function mediaKind(path: string): 'video' | 'audio' | undefined {
  if (VIDEO.test(path)) return 'video';
  if (AUDIO.test(path)) return 'audio';
  return undefined;
}

/** A web seed's state in words; a seed backing off says when it is tried again. */
export function webSeedLabel(w: WebSeedStatus, now: number): string {
  switch (w.state) {
    case 'failed':
      return 'dropped';
    case 'backoff': {
      const s = Math.max(0, Math.ceil(((w.retryAt ?? now) - now) / 1000));
      return s < 60 ? `retry in ${s} s` : `retry in ${Math.ceil(s / 60)} min`;
    }
    default:
      return w.state;
  }
}

@Component({
  selector: 'ej-torrent-detail',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [RouterLink, Icon, PieceMap, PeerTable, SpeedChart, RemoveDialog, ...FORMAT_PIPES],
  templateUrl: './torrent-detail.html',
  styleUrl: './torrent-detail.css',
})
export class TorrentDetail {
  /** The info-hash, from the route. */
  readonly id = input.required<string>();

  protected readonly store = inject(TorrentStore);
  protected readonly actions = inject(TorrentActions);
  protected readonly api = inject(ApiService);
  private readonly toasts = inject(ToastService);
  private readonly router = inject(Router);

  protected readonly tab = signal<Tab>('overview');
  protected readonly fetched = signal<TorrentStatus | undefined>(undefined);
  protected readonly notFound = signal<string | undefined>(undefined);
  protected readonly files = signal<FileStatus[] | undefined>(undefined);
  protected readonly peers = signal<PeerStatus[] | undefined>(undefined);
  protected readonly trackers = signal<TrackerStatus[] | undefined>(undefined);
  protected readonly pieces = signal<PieceMapData | undefined>(undefined);
  protected readonly tabError = signal<string | undefined>(undefined);
  protected readonly removing = signal(false);
  protected readonly playing = signal<FileStatus | undefined>(undefined);
  protected readonly copied = signal(false);

  protected readonly labels = STATE_LABELS;
  protected readonly mediaKind = mediaKind;
  protected readonly webSeedLabel = webSeedLabel;
  /** The clock the web seeds' retry times are shown against (ticks with the tab's refresh). */
  protected readonly now = signal(Date.now());
  protected readonly tabs: { value: Tab; label: string }[] = [
    { value: 'overview', label: 'Overview' },
    { value: 'files', label: 'Files' },
    { value: 'peers', label: 'Peers' },
    { value: 'trackers', label: 'Trackers' },
  ];

  /** Live status from the WebSocket, or what GET answered before the first push. */
  protected readonly torrent = computed(() => this.store.torrent(this.id()) ?? this.fetched());
  protected readonly speeds = computed(() => this.store.speeds(this.id()));
  /** BEP 19 web seeds, shown above the peers (a listing with `fields=` may leave them out). */
  protected readonly webSeeds = computed(() => this.torrent()?.webSeeds ?? []);

  constructor() {
    effect(() => {
      const id = this.id();
      untracked(() => this.loadStatus(id));
    });
    effect(() => {
      this.tab();
      this.id();
      untracked(() => void this.refresh());
    });
    const timer = setInterval(() => {
      this.now.set(Date.now());
      void this.refresh();
    }, 2000);
    inject(DestroyRef).onDestroy(() => clearInterval(timer));
  }

  protected async setPriority(file: FileStatus, priority: FilePriority): Promise<void> {
    try {
      const updated = await this.api.setFilePriority(this.id(), file.index, priority);
      this.files.update((list) => list?.map((f) => (f.index === updated.index ? updated : f)));
    } catch (err) {
      this.toasts.error(`${file.path}: ${describeError(err)}`);
    }
  }

  protected async copyMagnet(magnet: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(magnet);
      this.copied.set(true);
      setTimeout(() => this.copied.set(false), 2000);
    } catch {
      this.toasts.error('The browser did not allow copying. Select the link and copy it by hand.');
    }
  }

  protected onRemoved(removed: boolean): void {
    this.removing.set(false);
    if (removed) void this.router.navigate(['/torrents']);
  }

  protected fileProgress(f: FileStatus): number {
    return f.length === 0 ? 1 : f.downloaded / f.length;
  }

  private async loadStatus(id: string): Promise<void> {
    try {
      this.fetched.set(await this.api.torrent(id));
      this.notFound.set(undefined);
    } catch (err) {
      if (!this.store.torrent(id)) this.notFound.set(describeError(err));
    }
  }

  /** Loads what the open tab shows: the WebSocket carries only the torrents' summaries. */
  private async refresh(): Promise<void> {
    const id = this.id();
    const tab = this.tab();
    if (this.notFound()) return;
    try {
      switch (tab) {
        case 'overview':
          this.pieces.set(await this.api.pieces(id));
          break;
        case 'files':
          this.files.set(await this.api.files(id));
          break;
        case 'peers':
          this.peers.set(await this.api.peers(id));
          break;
        case 'trackers':
          this.trackers.set(await this.api.trackers(id));
          break;
      }
      this.tabError.set(undefined);
    } catch (err) {
      this.tabError.set(describeError(err));
    }
  }
}
