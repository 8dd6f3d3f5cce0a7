import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { ApiService } from '../api/api.service';
import { describeError } from '../api/errors';
import type { RemoteControl } from '../api/types';
import { Icon } from '../ui/icon';
import { ToastService } from '../ui/toast.service';

/**
 * Where Sonarr, transmission-remote or a phone app connect (the Transmission RPC and the
 * qBittorrent WebAPI), and with which user name and password.
 */
@Component({
  selector: 'ej-remote-control',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [Icon],
  template: `
    <section class="card card-body" aria-labelledby="remote">
      <h2 id="remote">Remote control</h2>
      @if (info(); as r) {
        @if (r.port === 0) {
          <p class="muted">Off (start the bridge with <code>--rpc-port N</code> to turn it on).</p>
        } @else {
          <p class="muted small">
            Transmission clients:
            <span class="mono">http://{{ host }}:{{ r.port }}/transmission/rpc</span>; qBittorrent
            clients: <span class="mono">http://{{ host }}:{{ r.port }}</span
            >.
          </p>
        }
        <p data-testid="remote-user">
          @if (r.username) {
            User name <strong>{{ r.username }}</strong> and its password.
          } @else {
            Any user name, with the access token as the password.
          }
        </p>
        <form (submit)="$event.preventDefault(); save(f, u.value, p.value)" #f novalidate>
          <div class="field">
            <label for="rc-user">User name</label>
            <input id="rc-user" class="input" autocomplete="off" #u />
          </div>
          <div class="field">
            <label for="rc-pass">Password <span class="hint">8 characters or more</span></label>
            <input id="rc-pass" class="input" type="password" autocomplete="new-password" #p />
          </div>
          @if (error(); as e) {
            <div class="inline-error" role="alert"><ej-icon name="alert" />{{ e }}</div>
          }
          <div class="row">
            <button class="btn primary" type="submit" [disabled]="saving()">
              Set user and password
            </button>
            @if (r.username) {
              <button class="btn ghost" type="button" (click)="reset()" [disabled]="saving()">
                Use the token again
              </button>
            }
          </div>
        </form>
      }
    </section>
  `,
})
export class RemoteControlCard {
  private readonly api = inject(ApiService);
  private readonly toasts = inject(ToastService);
  protected readonly info = signal<RemoteControl | undefined>(undefined);
  protected readonly error = signal<string | undefined>(undefined);
  protected readonly saving = signal(false);
  protected readonly host = location.hostname.includes(':')
    ? `[${location.hostname}]`
    : location.hostname;

  constructor() {
    void this.load();
  }

  protected async save(form: HTMLFormElement, username: string, password: string): Promise<void> {
    if (username.trim() === '' || password.length < 8) {
      this.error.set('Give a user name and a password of 8 characters or more.');
      return;
    }
    // The password never stays on screen once set.
    if (await this.apply({ username: username.trim(), password })) form.reset();
  }

  protected async reset(): Promise<void> {
    await this.apply(undefined);
  }

  private async apply(c: { username: string; password: string } | undefined): Promise<boolean> {
    this.saving.set(true);
    this.error.set(undefined);
    try {
      await this.api.setRemoteCredentials(c);
      this.toasts.success(
        c ? 'Remote-control user and password set.' : 'Back to the access token.',
      );
      await this.load();
      return true;
    } catch (err) {
      this.error.set(describeError(err));
      return false;
    } finally {
      this.saving.set(false);
    }
  }

  private async load(): Promise<void> {
    try {
      this.info.set(await this.api.remoteControl());
    } catch {
      // An older bridge without remote control: no card content.
    }
  }
}
