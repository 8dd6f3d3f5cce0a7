import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { ApiService } from '../api/api.service';
import { describeError } from '../api/errors';
import type { BridgeStatus, DiscoveryStatus, Settings, TrackerHealth } from '../api/types';
import { Icon } from '../ui/icon';
import { ToastService } from '../ui/toast.service';
import { FORMAT_PIPES } from '../util/format.pipes';
import { healthLabel } from './discovery-form';
import { RemoteControlCard } from './remote-control';
import { DraftProblems, SettingsDraft, fromDraft, toDraft } from './settings-form';

@Component({
  selector: 'ej-settings',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [Icon, RemoteControlCard, ...FORMAT_PIPES],
  templateUrl: './settings.html',
  styleUrl: './settings.css',
})
export class SettingsPage {
  private readonly api = inject(ApiService);
  private readonly toasts = inject(ToastService);

  protected readonly draft = signal<SettingsDraft | undefined>(undefined);
  protected readonly problems = signal<DraftProblems>({});
  protected readonly loadError = signal<string | undefined>(undefined);
  protected readonly saveError = signal<string | undefined>(undefined);
  protected readonly saving = signal(false);
  protected readonly trackers = signal<TrackerHealth[] | undefined>(undefined);
  protected readonly trackersError = signal<string | undefined>(undefined);
  protected readonly status = signal<BridgeStatus | undefined>(undefined);
  /** The DHT node and LSD as they run now. */
  protected readonly discovery = signal<DiscoveryStatus | undefined>(undefined);
  protected readonly discoveryError = signal<string | undefined>(undefined);
  /** The settings as stored (the draft may hold unsaved edits). */
  protected readonly saved = signal<Settings | undefined>(undefined);
  protected readonly healthLabel = healthLabel;
  /** Shown, not edited: only the command line or the config file sets them. */
  protected readonly folders = signal<readonly string[]>([]);

  constructor() {
    this.api.settings().then(
      (s) => {
        this.saved.set(s);
        this.draft.set(toDraft(s));
        this.folders.set(s.allowedFolders ?? []);
      },
      (err: unknown) => this.loadError.set(describeError(err)),
    );
    this.api.status().then(
      (s) => this.status.set(s),
      () => undefined,
    );
    void this.loadTrackers();
    void this.loadDiscovery();
  }

  protected edit<K extends keyof SettingsDraft>(field: K, value: SettingsDraft[K]): void {
    this.draft.update((d) => (d ? { ...d, [field]: value } : d));
    this.problems.update((p) => ({ ...p, [field]: undefined }));
  }

  protected async save(): Promise<void> {
    const d = this.draft();
    if (!d) return;
    const { settings, problems } = fromDraft(d);
    this.problems.set(problems);
    this.saveError.set(undefined);
    if (!settings) return;
    this.saving.set(true);
    try {
      const stored = await this.api.saveSettings(settings);
      this.saved.set(stored);
      this.draft.set(toDraft(stored));
      this.toasts.success('Settings saved.');
      void this.loadTrackers();
      void this.loadDiscovery();
    } catch (err) {
      this.saveError.set(describeError(err));
    } finally {
      this.saving.set(false);
    }
  }

  protected async loadTrackers(): Promise<void> {
    try {
      this.trackers.set(await this.api.trackerHealth());
      this.trackersError.set(undefined);
    } catch (err) {
      this.trackersError.set(describeError(err));
    }
  }

  protected async loadDiscovery(): Promise<void> {
    try {
      this.discovery.set(await this.api.discovery());
      this.discoveryError.set(undefined);
    } catch (err) {
      this.discoveryError.set(describeError(err));
    }
  }

  protected uptime(seconds: number): string {
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    return h > 0 ? `${h} h ${m} min` : `${m} min`;
  }
}
