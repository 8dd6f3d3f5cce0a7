import { Injectable, InjectionToken, computed, inject, signal } from '@angular/core';
import { TokenService } from '../api/token';
import type { ServerMessage, ShareJob, TorrentStatus } from '../api/types';
import { backoffDelay } from './backoff';
import { SpeedHistory, SpeedSample } from './speed-history';

/** The part of the browser's WebSocket the store uses (so tests can hand it a socket). */
export interface SocketLike {
  onopen: ((ev: Event) => unknown) | null;
  onmessage: ((ev: MessageEvent) => unknown) | null;
  onclose: ((ev: CloseEvent) => unknown) | null;
  onerror: ((ev: Event) => unknown) | null;
  close(): void;
}

export const SOCKET_FACTORY = new InjectionToken<(url: string) => SocketLike>('SOCKET_FACTORY', {
  providedIn: 'root',
  factory: () => (url: string) => new WebSocket(url),
});

export type Connection = 'connecting' | 'open' | 'closed';

/**
 * Live state pushed by the bridge over `/api/ws`: every torrent's status, share jobs, and a speed
 * history for the charts. Reconnects with exponential backoff; the first `torrents` message after
 * each (re)connect replaces the list, so torrents removed while disconnected disappear.
 */
@Injectable({ providedIn: 'root' })
export class TorrentStore {
  private readonly tokens = inject(TokenService);
  private readonly socketFactory = inject(SOCKET_FACTORY);

  private readonly byHash = signal<ReadonlyMap<string, TorrentStatus>>(new Map());
  private readonly shareJobs = signal<ReadonlyMap<string, ShareJob>>(new Map());
  private readonly historyVersion = signal(0);
  private readonly history = new SpeedHistory();

  readonly connection = signal<Connection>('closed');
  /** True until the first `torrents` message: the list is not known yet. */
  readonly loading = signal(true);
  /** Failed reconnects in a row (the banner says when it tries again). */
  readonly attempts = signal(0);
  /** Torrent errors pushed by the bridge, newest last; the shell shows them as toasts. */
  readonly torrentErrors = signal<{ infoHash: string; error: string; at: number }[]>([]);

  readonly torrents = computed(() => [...this.byHash().values()]);
  readonly totalDown = computed(() => this.torrents().reduce((s, t) => s + t.downloadRate, 0));
  readonly totalUp = computed(() => this.torrents().reduce((s, t) => s + t.uploadRate, 0));

  private socket?: SocketLike;
  private replaceNext = true;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private stopped = true;

  torrent(infoHash: string): TorrentStatus | undefined {
    return this.byHash().get(infoHash);
  }

  share(id: string): ShareJob | undefined {
    return this.shareJobs().get(id);
  }

  /** Speed samples of one torrent ('' = all torrents together); reactive. */
  speeds(infoHash: string): readonly SpeedSample[] {
    this.historyVersion();
    return [...this.history.get(infoHash)];
  }

  connect(): void {
    this.stopped = false;
    this.open();
  }

  disconnect(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const s = this.socket;
    this.socket = undefined;
    if (s) {
      s.onclose = null;
      s.close();
    }
    this.connection.set('closed');
  }

  /** Applies what an API call answered, without waiting for the next push. */
  upsert(status: TorrentStatus): void {
    this.byHash.update((m) => new Map(m).set(status.infoHash, status));
  }

  forget(infoHash: string): void {
    this.byHash.update((m) => {
      const next = new Map(m);
      next.delete(infoHash);
      return next;
    });
    this.history.delete(infoHash);
  }

  /** Handles one message from the bridge. Public so tests can drive it directly. */
  apply(message: ServerMessage, now = Date.now()): void {
    switch (message.type) {
      case 'torrents': {
        const next = new Map(this.replaceNext ? [] : this.byHash());
        this.replaceNext = false;
        let down = 0;
        let up = 0;
        for (const t of message.torrents) {
          next.set(t.infoHash, t);
          this.history.add(t.infoHash, { t: now, down: t.downloadRate, up: t.uploadRate });
        }
        for (const t of next.values()) {
          down += t.downloadRate;
          up += t.uploadRate;
        }
        this.history.add('', { t: now, down, up });
        this.byHash.set(next);
        this.historyVersion.update((v) => v + 1);
        this.loading.set(false);
        break;
      }
      case 'removed':
        this.forget(message.infoHash);
        break;
      case 'share':
        this.shareJobs.update((m) => new Map(m).set(message.share.id, message.share));
        break;
      case 'error': {
        const t = this.byHash().get(message.infoHash);
        if (t) this.upsert({ ...t, state: 'error', error: message.error });
        this.torrentErrors.update((list) =>
          [...list, { infoHash: message.infoHash, error: message.error, at: now }].slice(-20),
        );
        break;
      }
    }
  }

  private open(): void {
    const token = this.tokens.token();
    if (this.stopped || token === undefined) return;
    const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = `${proto}//${window.location.host}/api/ws?token=${encodeURIComponent(token)}`;
    this.connection.set('connecting');
    const socket = this.socketFactory(url);
    this.socket = socket;
    socket.onopen = () => {
      this.connection.set('open');
      this.attempts.set(0);
      this.replaceNext = true;
    };
    socket.onmessage = (ev) => {
      const message = parse(ev.data);
      if (message) this.apply(message);
    };
    socket.onerror = () => undefined; // onclose follows and schedules the retry
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.connection.set('closed');
      if (this.stopped) return;
      const delay = backoffDelay(this.attempts());
      this.attempts.update((n) => n + 1);
      this.retryTimer = setTimeout(() => this.open(), delay);
    };
  }
}

/** Accepts only well-formed messages: a bad frame must not break the list. */
export function parse(data: unknown): ServerMessage | undefined {
  if (typeof data !== 'string') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object') return undefined;
  const m = value as Record<string, unknown>;
  switch (m['type']) {
    case 'torrents':
      return Array.isArray(m['torrents']) ? (m as unknown as ServerMessage) : undefined;
    case 'removed':
      return typeof m['infoHash'] === 'string' ? (m as unknown as ServerMessage) : undefined;
    case 'share':
      return m['share'] && typeof m['share'] === 'object'
        ? (m as unknown as ServerMessage)
        : undefined;
    case 'error':
      return typeof m['infoHash'] === 'string' && typeof m['error'] === 'string'
        ? (m as unknown as ServerMessage)
        : undefined;
  }
  return undefined;
}
