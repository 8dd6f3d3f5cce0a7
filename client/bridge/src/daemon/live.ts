import type { WebSocket } from 'ws';
import type { SessionApi, TorrentStatus } from '@enjambre/engine';
import type { ShareJob, Shares } from './shares';

export type LiveMessage =
  | { type: 'torrents'; torrents: TorrentStatus[] }
  | { type: 'removed'; infoHash: string }
  | { type: 'share'; share: ShareJob }
  | { type: 'error'; infoHash: string; error: string };

const TICK_MS = 1000;
/** A client that does not read what we send is dropped rather than buffered without bound. */
const MAX_BUFFERED = 8 * 1024 * 1024;

/**
 * Pushes state to every connected GUI: the torrent list once a second when it changed (and at
 * once to a new client), removals, share progress, and torrents entering the error state.
 */
export class LiveFeed {
  private readonly sockets = new Set<WebSocket>();
  private readonly lastState = new Map<string, string>();
  private lastTorrents = '';
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly session: SessionApi,
    shares: Shares,
  ) {
    session.on('removed', this.onRemoved);
    shares.on('update', this.onShare);
    this.timer = setInterval(() => {
      try {
        this.tick();
      } catch {
        // A torrent removed mid-tick: the next tick sees the new list.
      }
    }, TICK_MS);
    this.timer.unref();
  }

  attach(socket: WebSocket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.terminate());
    // The GUI sends nothing; anything it does send is ignored.
    socket.on('message', () => undefined);
    socket.send(JSON.stringify(this.snapshot()));
  }

  close(): void {
    clearInterval(this.timer);
    this.session.off('removed', this.onRemoved);
    for (const s of this.sockets) s.close(1001, 'daemon stopping');
    this.sockets.clear();
  }

  private snapshot(): LiveMessage {
    return { type: 'torrents', torrents: this.session.list().map((t) => t.status()) };
  }

  private tick(): void {
    const msg = this.snapshot();
    if (msg.type !== 'torrents') return;
    for (const t of msg.torrents) {
      const before = this.lastState.get(t.infoHash);
      if (t.state === 'error' && before !== 'error') {
        this.broadcast({ type: 'error', infoHash: t.infoHash, error: t.error ?? 'unknown error' });
      }
      this.lastState.set(t.infoHash, t.state);
    }
    const json = JSON.stringify(msg);
    if (json === this.lastTorrents) return;
    this.lastTorrents = json;
    this.send(json);
  }

  private readonly onRemoved = (infoHash: string): void => {
    this.lastState.delete(infoHash);
    this.broadcast({ type: 'removed', infoHash });
  };

  private readonly onShare = (share: ShareJob): void => {
    this.broadcast({ type: 'share', share });
  };

  private broadcast(msg: LiveMessage): void {
    this.send(JSON.stringify(msg));
  }

  private send(json: string): void {
    for (const s of this.sockets) {
      if (s.readyState !== s.OPEN) continue;
      if (s.bufferedAmount > MAX_BUFFERED) {
        s.terminate();
        continue;
      }
      s.send(json);
    }
  }
}
