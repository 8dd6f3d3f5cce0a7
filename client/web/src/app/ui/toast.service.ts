import { Injectable, signal } from '@angular/core';

export interface Toast {
  id: number;
  kind: 'error' | 'info' | 'success';
  text: string;
}

/** Short messages about things that happened away from where the user is looking. */
@Injectable({ providedIn: 'root' })
export class ToastService {
  readonly toasts = signal<Toast[]>([]);
  private nextId = 1;

  error(text: string): void {
    this.push('error', text, 10_000);
  }

  info(text: string): void {
    this.push('info', text, 5_000);
  }

  success(text: string): void {
    this.push('success', text, 5_000);
  }

  dismiss(id: number): void {
    this.toasts.update((list) => list.filter((t) => t.id !== id));
  }

  private push(kind: Toast['kind'], text: string, ttl: number): void {
    const id = this.nextId++;
    this.toasts.update((list) => [...list.slice(-4), { id, kind, text }]);
    setTimeout(() => this.dismiss(id), ttl);
  }
}
