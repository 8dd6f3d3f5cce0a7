import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  computed,
  inject,
  signal,
} from '@angular/core';
import { RouterLink } from '@angular/router';
import { parseTrackers, sharePathProblem } from '../add/validation';
import { ApiService } from '../api/api.service';
import { describeError } from '../api/errors';
import type { ShareJob } from '../api/types';
import { TorrentStore } from '../state/torrent-store';
import { Icon } from '../ui/icon';
import { ToastService } from '../ui/toast.service';
import { PercentPipe } from '../util/format.pipes';
import { FsBrowser } from './fs-browser';

/** Share a file or folder of this machine: hash it, seed it, publish it to the trackers. */
@Component({
  selector: 'ej-share',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [Icon, FsBrowser, PercentPipe, RouterLink],
  templateUrl: './share.html',
  styleUrl: './share.css',
})
export class Share {
  private readonly api = inject(ApiService);
  private readonly store = inject(TorrentStore);
  private readonly toasts = inject(ToastService);

  readonly path = signal('');
  readonly trackersText = signal('');
  readonly isPrivate = signal(false);
  readonly comment = signal('');
  readonly format = signal<'v1' | 'v2' | 'hybrid'>('hybrid');
  protected readonly browsing = signal(false);
  protected readonly submitted = signal(false);
  protected readonly busy = signal(false);
  protected readonly error = signal<string | undefined>(undefined);
  protected readonly jobId = signal<string | undefined>(undefined);
  private readonly polled = signal<ShareJob | undefined>(undefined);
  protected readonly copied = signal(false);

  readonly pathProblem = computed(() => sharePathProblem(this.path()));
  readonly trackersProblem = computed(() => parseTrackers(this.trackersText()).problem);
  /** The job as last heard of, from the WebSocket or from polling, whichever is newer. */
  protected readonly job = computed(() => {
    const id = this.jobId();
    if (!id) return undefined;
    const pushed = this.store.share(id);
    const polled = this.polled();
    if (!pushed) return polled;
    if (!polled) return pushed;
    const rank = (j: ShareJob) => (j.state === 'hashing' ? j.progress : 2);
    return rank(pushed) >= rank(polled) ? pushed : polled;
  });

  private timer?: ReturnType<typeof setInterval>;

  constructor() {
    this.api.settings().then(
      (s) => {
        if (this.trackersText() === '') this.trackersText.set(s.trackers.join('\n'));
      },
      () => undefined, // the form works without the defaults
    );
    inject(DestroyRef).onDestroy(() => clearInterval(this.timer));
  }

  /** true when the form may be sent (also marks the fields to show their problems). */
  valid(): boolean {
    this.submitted.set(true);
    return !this.pathProblem() && !this.trackersProblem();
  }

  protected pick(path: string): void {
    this.path.set(path);
    this.browsing.set(false);
  }

  protected async submit(): Promise<void> {
    this.error.set(undefined);
    if (!this.valid()) return;
    this.busy.set(true);
    try {
      const { urls } = parseTrackers(this.trackersText());
      const comment = this.comment().trim();
      const { id } = await this.api.share({
        path: this.path().trim(),
        trackers: urls,
        private: this.isPrivate(),
        ...(comment ? { comment } : {}),
        format: this.format(),
      });
      this.polled.set(undefined);
      this.jobId.set(id);
      this.poll(id);
    } catch (err) {
      this.error.set(describeError(err));
    } finally {
      this.busy.set(false);
    }
  }

  protected reset(): void {
    clearInterval(this.timer);
    this.jobId.set(undefined);
    this.polled.set(undefined);
    this.path.set('');
    this.comment.set('');
    this.submitted.set(false);
  }

  protected async copy(text: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(text);
      this.copied.set(true);
      setTimeout(() => this.copied.set(false), 2000);
    } catch {
      this.toasts.error('The browser did not allow copying. Select the link and copy it by hand.');
    }
  }

  protected torrentUrl(infoHash: string): string {
    return this.api.torrentFileUrl(infoHash);
  }

  /** Polls the job only while it hashes; the WebSocket's `share` messages may be faster. */
  private poll(id: string): void {
    clearInterval(this.timer);
    const tick = async () => {
      try {
        const job = await this.api.shareJob(id);
        this.polled.set(job);
        if (job.state !== 'hashing') clearInterval(this.timer);
        if (job.state === 'done') this.toasts.success(`Sharing “${job.name ?? job.path}”.`);
      } catch (err) {
        clearInterval(this.timer);
        this.error.set(describeError(err));
      }
    };
    this.timer = setInterval(() => void tick(), 1000);
    void tick();
  }
}
