import {
  ChangeDetectionStrategy,
  Component,
  effect,
  inject,
  OnDestroy,
  signal,
} from '@angular/core';
import { RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { ApiService } from './api/api.service';
import { describeError } from './api/errors';
import { TokenService } from './api/token';
import { TorrentStore } from './state/torrent-store';
import { Icon } from './ui/icon';
import { Toasts } from './ui/toasts';
import { ToastService } from './ui/toast.service';
import { TokenScreen } from './ui/token-screen';
import { RatePipe } from './util/format.pipes';

@Component({
  selector: 'ej-root',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [RouterOutlet, RouterLink, RouterLinkActive, Icon, Toasts, TokenScreen, RatePipe],
  templateUrl: './app.html',
  styleUrl: './app.css',
})
export class App implements OnDestroy {
  protected readonly tokens = inject(TokenService);
  protected readonly store = inject(TorrentStore);
  private readonly api = inject(ApiService);
  private readonly toasts = inject(ToastService);
  protected readonly version = signal<string | undefined>(undefined);
  private seenErrors = 0;

  protected readonly nav = [
    { path: '/torrents', label: 'Torrents', icon: 'list' },
    { path: '/catalog', label: 'Catalog', icon: 'catalog' },
    { path: '/share', label: 'Share', icon: 'share' },
    { path: '/settings', label: 'Settings', icon: 'settings' },
  ];

  constructor() {
    if (this.tokens.token() !== undefined) {
      this.store.connect();
      this.api.status().then(
        (s) => this.version.set(s.version),
        (err: unknown) => {
          if (!this.tokens.rejected()) this.toasts.error(describeError(err));
        },
      );
    }
    // A torrent that fails while the user looks elsewhere still gets noticed.
    effect(() => {
      const errors = this.store.torrentErrors();
      for (const e of errors.slice(this.seenErrors)) {
        const name = this.store.torrent(e.infoHash)?.name ?? e.infoHash.slice(0, 8);
        this.toasts.error(`${name}: ${e.error}`);
      }
      this.seenErrors = errors.length;
    });
    effect(() => {
      if (this.tokens.rejected()) this.store.disconnect();
    });
  }

  ngOnDestroy(): void {
    this.store.disconnect();
  }
}
