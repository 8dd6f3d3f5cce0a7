import { Injectable, signal } from '@angular/core';

const STORAGE_KEY = 'enjambre.token';

/**
 * Splits an access token off a URL. The bridge prints `http://127.0.0.1:PORT/?token=…`; the token
 * must not stay in the address bar (history, bookmarks, screenshots), so the GUI takes it once.
 */
export function takeTokenFromUrl(href: string): { token?: string; cleanUrl: string } {
  const url = new URL(href);
  const token = url.searchParams.get('token') ?? undefined;
  url.searchParams.delete('token');
  const cleanUrl = url.pathname + url.search + url.hash;
  return { token: token && token.trim() !== '' ? token.trim() : undefined, cleanUrl };
}

/** The bridge's access token: taken from the URL once, then kept in sessionStorage. */
@Injectable({ providedIn: 'root' })
export class TokenService {
  /** The token, or undefined when the user opened the GUI without one. */
  readonly token = signal<string | undefined>(undefined);
  /** Set when the bridge answered 401: the token is wrong (e.g. from an older data dir). */
  readonly rejected = signal(false);

  constructor() {
    this.load(window.location.href);
  }

  /** Reads the token from `href` (and strips it from the address bar) or from sessionStorage. */
  load(href: string): void {
    const { token, cleanUrl } = takeTokenFromUrl(href);
    if (token !== undefined) {
      sessionStorage.setItem(STORAGE_KEY, token);
      window.history.replaceState(window.history.state, '', cleanUrl);
      this.rejected.set(false);
    }
    this.token.set(token ?? sessionStorage.getItem(STORAGE_KEY) ?? undefined);
  }

  markRejected(): void {
    this.rejected.set(true);
  }

  /** A URL the browser opens itself (file links, streams), where no header can be set. */
  withToken(path: string): string {
    const t = this.token();
    if (t === undefined) return path;
    return `${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(t)}`;
  }
}
