import { ChangeDetectionStrategy, Component, input } from '@angular/core';
import { Icon } from './icon';

/** What a user sees without a valid token: how to get the URL with one. */
@Component({
  selector: 'ej-token-screen',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [Icon],
  template: `
    <main class="wrap">
      <section class="card card-body" aria-labelledby="token-title">
        <div class="art"><ej-icon name="key" [size]="30" /></div>
        <h1 id="token-title">
          {{ rejected() ? 'This link has expired' : 'Open the URL the bridge printed' }}
        </h1>
        @if (rejected()) {
          <p>
            The bridge did not accept the access token this page was opened with. It changes when
            the bridge starts with another data folder.
          </p>
        } @else {
          <p>For your safety the enjambre bridge only answers pages that carry its access token.</p>
        }
        <p>When it starts, <code>enjambre start</code> prints a line like this one:</p>
        <pre><code>http://127.0.0.1:9080/?token=3f9c…</code></pre>
        <p class="muted">
          Open that address in this browser. The token is kept for this tab only and removed from
          the address bar.
        </p>
      </section>
    </main>
  `,
  styles: `
    .wrap {
      min-height: 100vh;
      display: grid;
      place-items: center;
      padding: 24px;
    }
    section {
      max-width: 520px;
      text-align: center;
    }
    .art {
      display: inline-grid;
      place-items: center;
      width: 64px;
      height: 64px;
      border-radius: 50%;
      background: var(--primary-soft);
      color: var(--primary);
      margin-bottom: 12px;
    }
    h1 {
      margin-bottom: 12px;
    }
    pre {
      text-align: left;
      padding: 12px 14px;
      border-radius: 8px;
      background: var(--surface-2);
      overflow-x: auto;
    }
  `,
})
export class TokenScreen {
  readonly rejected = input(false);
}
