import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { Icon } from './icon';
import { ToastService } from './toast.service';

@Component({
  selector: 'ej-toasts',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [Icon],
  template: `
    <div class="toasts" aria-live="polite" aria-relevant="additions">
      @for (t of toasts.toasts(); track t.id) {
        <div class="toast" [class]="t.kind" [attr.role]="t.kind === 'error' ? 'alert' : 'status'">
          <ej-icon
            [name]="t.kind === 'error' ? 'alert' : t.kind === 'success' ? 'check' : 'info'"
          />
          <span class="text">{{ t.text }}</span>
          <button class="btn ghost small icon" type="button" (click)="toasts.dismiss(t.id)">
            <ej-icon name="close" [size]="16" /><span class="sr-only">Dismiss</span>
          </button>
        </div>
      }
    </div>
  `,
  styles: `
    .toasts {
      position: fixed;
      right: 16px;
      bottom: 16px;
      z-index: 50;
      display: flex;
      flex-direction: column;
      gap: 8px;
      width: min(420px, calc(100vw - 32px));
    }
    .toast {
      display: flex;
      align-items: flex-start;
      gap: 10px;
      padding: 12px 8px 12px 14px;
      border-radius: 10px;
      background: var(--surface);
      border: 1px solid var(--border);
      border-left: 4px solid var(--primary);
      box-shadow: var(--shadow);
    }
    .toast.error {
      border-left-color: var(--error);
      color: var(--error);
    }
    .toast.success {
      border-left-color: var(--seed);
    }
    .text {
      flex: 1;
      color: var(--text);
      padding-top: 1px;
    }
    @media (max-width: 720px) {
      .toasts {
        bottom: 80px;
        right: 16px;
      }
    }
  `,
})
export class Toasts {
  protected readonly toasts = inject(ToastService);
}
