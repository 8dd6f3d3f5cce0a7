import type { WebSocket } from 'ws';
import type { SessionApi, Torrent, TorrentStatus } from '@enjambre/engine';
import type { ShareJob, Shares } from './shares';

export type LiveMessage =
  | { type: 'torrents'; torrents: TorrentStatus[] }
  | { type: 'removed'; infoHash: string }
  | { type: 'share'; share: ShareJob }
  | { type: 'error'; infoHash: string; error: string };

const TICK_MS = 1000;
/** Every torrent is looked at again at least this often, for what changes without an event. */
const SWEEP_TICKS = 30;
/** A client that does not read what we send is dropped rather than buffered without bound. */
const MAX_BUFFERED = 8 * 1024 * 1024;

interface Seen {
  json: string;
  state: TorrentStatus['state'];
  /** Its status moves by itself (rates, peers, checking): look at it every tick. */
  hot: boolean;
}

/**
 * Pushes state to every connected GUI. A new client gets every torrent's status at once; after
 * that, once a second, only the torrents whose status changed (the GUI merges them into its
 * list), plus removals, share progress, and torrents entering the error state.
 *
 * Nothing is computed while no client is connected. With clients, a tick looks only at torrents
 * that told us something happened (state, piece, metadata), those whose status moves by itself
 * (transfers, peers, checking), and a slice of the rest (all of them every SWEEP_TICKS ticks, for
 * counts that change without an event, such as the tracker's swarm sizes) — not at all 10,000
 * torrents every second.
 */
export class LiveFeed {
  private readonly sockets = new Set<WebSocket>();
  private readonly seen = new Map<string, Seen>();
  private readonly dirty = new Set<string>();
  private readonly unwatch = new Map<string, () => void>();
  private sweepAt = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly session: SessionApi,
    private readonly shares: Shares,
  ) {
    session.on('added', this.onAdded);
    session.on('removed', this.onRemoved);
    shares.on('update', this.onShare);
    for (const t of session.list()) this.watch(t);
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
    // Bring the clients already connected up to date first, so the cache is the truth for all.
    if (this.sockets.size > 0) this.tick();
    else this.rebuild();
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.terminate());
    // The GUI sends nothing; anything it does send is ignored.
    socket.on('message', () => undefined);
    const all = [...this.seen.values()].map((s) => s.json).join(',');
    socket.send(`{"type":"torrents","torrents":[${all}]}`);
  }

  close(): void {
    clearInterval(this.timer);
    this.session.off('added', this.onAdded);
    this.session.off('removed', this.onRemoved);
    this.shares.off('update', this.onShare);
    for (const off of this.unwatch.values()) off();
    this.unwatch.clear();
    for (const s of this.sockets) s.close(1001, 'daemon stopping');
    this.sockets.clear();
  }

  /** Every torrent's status, read afresh (the first client after none were connected). */
  private rebuild(): void {
    this.seen.clear();
    this.dirty.clear();
    for (const t of this.session.list()) this.look(t.status());
  }

  /** Records a status; returns its JSON if it differs from what the clients last got. */
  private look(s: TorrentStatus): string | undefined {
    const json = JSON.stringify(s);
    const before = this.seen.get(s.infoHash);
    this.seen.set(s.infoHash, { json, state: s.state, hot: isHot(s) });
    return before?.json === json ? undefined : json;
  }

  private tick(): void {
    if (this.sockets.size === 0) return;
    const list = this.session.list();
    const look = new Set(this.dirty);
    this.dirty.clear();
    for (const [hash, s] of this.seen) if (s.hot) look.add(hash);
    const slice = Math.ceil(list.length / SWEEP_TICKS);
    if (this.sweepAt >= list.length) this.sweepAt = 0;
    for (let i = this.sweepAt; i < Math.min(list.length, this.sweepAt + slice); i++) {
      look.add(list[i].infoHash);
    }
    this.sweepAt += slice;

    const changed: string[] = [];
    for (const hash of look) {
      const t = this.session.get(hash);
      if (!t) continue;
      const s = t.status();
      const before = this.seen.get(hash)?.state;
      const json = this.look(s);
      if (json === undefined) continue;
      changed.push(json);
      if (s.state === 'error' && before !== 'error') {
        this.broadcast({ type: 'error', infoHash: hash, error: s.error ?? 'unknown error' });
      }
    }
    if (changed.length > 0) this.send(`{"type":"torrents","torrents":[${changed.join(',')}]}`);
  }

  private watch(t: Torrent): void {
    const hash = t.infoHash;
    const mark = () => this.dirty.add(hash);
    t.on('state', mark);
    t.on('metadata', mark);
    t.on('piece', mark);
    t.on('done', mark);
    this.unwatch.set(hash, () => {
      t.off('state', mark);
      t.off('metadata', mark);
      t.off('piece', mark);
      t.off('done', mark);
    });
    this.dirty.add(hash);
  }

  private readonly onAdded = (t: Torrent): void => {
    this.unwatch.get(t.infoHash)?.();
    this.watch(t);
  };

  private readonly onRemoved = (infoHash: string): void => {
    this.unwatch.get(infoHash)?.();
    this.unwatch.delete(infoHash);
    this.seen.delete(infoHash);
    this.dirty.delete(infoHash);
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

function isHot(s: TorrentStatus): boolean {
  return (
    s.downloadRate > 0 ||
    s.uploadRate > 0 ||
    s.seeders + s.leechers > 0 ||
    s.state === 'checking' ||
    s.state === 'metadata' ||
    s.state === 'downloading'
  );
}
