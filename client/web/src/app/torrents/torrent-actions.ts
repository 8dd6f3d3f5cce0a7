import { Injectable, inject } from '@angular/core';
import { ApiService } from '../api/api.service';
import { describeError } from '../api/errors';
import type { TorrentStatus } from '../api/types';
import { TorrentStore } from '../state/torrent-store';
import { ToastService } from '../ui/toast.service';

/**
 * The actions on a torrent, shared by the list and the detail page: call the bridge, apply its
 * answer to the store at once, and say what failed in a toast.
 */
@Injectable({ providedIn: 'root' })
export class TorrentActions {
  private readonly api = inject(ApiService);
  private readonly store = inject(TorrentStore);
  private readonly toasts = inject(ToastService);

  async toggle(t: TorrentStatus): Promise<void> {
    await this.run(t, () => (t.paused ? this.api.resume(t.infoHash) : this.api.pause(t.infoHash)));
  }

  async recheck(t: TorrentStatus): Promise<void> {
    await this.run(t, () => this.api.recheck(t.infoHash));
  }

  async setSequential(t: TorrentStatus, on: boolean): Promise<void> {
    await this.run(t, () => this.api.setSequential(t.infoHash, on));
  }

  /** Resolves true when removed; the error is left to the caller's dialog to show. */
  async remove(t: TorrentStatus, deleteData: boolean): Promise<void> {
    await this.api.remove(t.infoHash, deleteData);
    this.store.forget(t.infoHash);
    this.toasts.success(
      deleteData ? `Removed “${t.name}” and its files.` : `Removed “${t.name}”; files kept.`,
    );
  }

  private async run(t: TorrentStatus, call: () => Promise<TorrentStatus>): Promise<void> {
    try {
      this.store.upsert(await call());
    } catch (err) {
      this.toasts.error(`${t.name}: ${describeError(err)}`);
    }
  }
}
