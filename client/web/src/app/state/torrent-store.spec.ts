import { TestBed } from '@angular/core/testing';
import { torrent } from '../../testing/torrent-fixture';
import { backoffDelay } from './backoff';
import { SOCKET_FACTORY, SocketLike, TorrentStore, parse } from './torrent-store';

/** A socket the test opens, feeds and closes by hand. */
class TestSocket implements SocketLike {
  onopen: SocketLike['onopen'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;
  closed = false;
  constructor(readonly url: string) {}
  close(): void {
    this.closed = true;
  }
  open(): void {
    this.onopen?.(new Event('open'));
  }
  send(data: unknown): void {
    this.onmessage?.(new MessageEvent('message', { data: JSON.stringify(data) }));
  }
  drop(): void {
    this.onclose?.(new CloseEvent('close'));
  }
}

describe('TorrentStore', () => {
  let sockets: TestSocket[];
  let store: TorrentStore;

  beforeEach(() => {
    sessionStorage.clear();
    window.history.replaceState(null, '', '/?token=t%26k');
    sockets = [];
    TestBed.configureTestingModule({
      providers: [
        {
          provide: SOCKET_FACTORY,
          useValue: (url: string) => {
            const s = new TestSocket(url);
            sockets.push(s);
            return s;
          },
        },
      ],
    });
    store = TestBed.inject(TorrentStore);
  });

  afterEach(() => {
    store.disconnect();
    vi.useRealTimers();
  });

  it('opens /api/ws with the token and fills the list from the first message', () => {
    store.connect();
    expect(sockets).toHaveLength(1);
    expect(sockets[0].url).toBe(`ws://${window.location.host}/api/ws?token=t%26k`);
    expect(store.connection()).toBe('connecting');
    sockets[0].open();
    expect(store.connection()).toBe('open');
    expect(store.loading()).toBe(true);
    sockets[0].send({ type: 'torrents', torrents: [torrent()] });
    expect(store.loading()).toBe(false);
    expect(store.torrents().map((t) => t.name)).toEqual(['ubuntu.iso']);
    expect(store.totalDown()).toBe(100);
  });

  it('merges later updates, and removes on "removed"', () => {
    const b = 'b'.repeat(40);
    store.apply({ type: 'torrents', torrents: [torrent()] });
    store.apply({ type: 'torrents', torrents: [torrent({ infoHash: b, name: 'debian.iso' })] });
    expect(store.torrents()).toHaveLength(2);
    store.apply({ type: 'torrents', torrents: [torrent({ progress: 0.9 })] });
    expect(store.torrent('a'.repeat(40))?.progress).toBe(0.9);
    store.apply({ type: 'removed', infoHash: b });
    expect(store.torrents().map((t) => t.name)).toEqual(['ubuntu.iso']);
  });

  it('replaces the list after a reconnect, so torrents removed meanwhile disappear', () => {
    vi.useFakeTimers();
    store.connect();
    sockets[0].open();
    sockets[0].send({
      type: 'torrents',
      torrents: [torrent(), torrent({ infoHash: 'b'.repeat(40), name: 'gone' })],
    });
    sockets[0].drop();
    expect(store.connection()).toBe('closed');
    vi.advanceTimersByTime(backoffDelay(0));
    expect(sockets).toHaveLength(2);
    sockets[1].open();
    sockets[1].send({ type: 'torrents', torrents: [torrent()] });
    expect(store.torrents().map((t) => t.name)).toEqual(['ubuntu.iso']);
  });

  it('reconnects with growing delays and resets them once connected', () => {
    vi.useFakeTimers();
    store.connect();
    sockets[0].drop();
    expect(store.attempts()).toBe(1);
    vi.advanceTimersByTime(backoffDelay(0) - 1);
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(2);
    sockets[1].drop();
    vi.advanceTimersByTime(backoffDelay(1) - 1);
    expect(sockets).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(3);
    sockets[2].open();
    expect(store.attempts()).toBe(0);
  });

  it('stops reconnecting after disconnect()', () => {
    vi.useFakeTimers();
    store.connect();
    sockets[0].drop();
    store.disconnect();
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(1);
  });

  it('keeps share jobs and torrent errors', () => {
    store.apply({ type: 'torrents', torrents: [torrent()] });
    store.apply({
      type: 'share',
      share: { id: 'j1', path: '/x', state: 'hashing', progress: 0.3 },
    });
    expect(store.share('j1')?.progress).toBe(0.3);
    store.apply({ type: 'error', infoHash: 'a'.repeat(40), error: 'disk full' });
    expect(store.torrent('a'.repeat(40))?.state).toBe('error');
    expect(store.torrentErrors().map((e) => e.error)).toEqual(['disk full']);
  });

  it('records a speed history per torrent and in total, bounded', () => {
    for (let i = 0; i < 400; i++) {
      store.apply({ type: 'torrents', torrents: [torrent({ downloadRate: i })] }, 1000 * i);
    }
    const samples = store.speeds('a'.repeat(40));
    expect(samples).toHaveLength(300);
    expect(samples.at(-1)).toEqual({ t: 399_000, down: 399, up: 10 });
    expect(store.speeds('').at(-1)?.down).toBe(399);
  });

  it('ignores malformed frames', () => {
    store.connect();
    sockets[0].open();
    sockets[0].onmessage?.(new MessageEvent('message', { data: 'not json' }));
    sockets[0].send({ type: 'torrents', torrents: 'nope' });
    expect(store.loading()).toBe(true);
  });
});

describe('parse', () => {
  it('accepts the four message types and rejects anything else', () => {
    expect(parse(JSON.stringify({ type: 'removed', infoHash: 'x' }))).toEqual({
      type: 'removed',
      infoHash: 'x',
    });
    expect(parse(JSON.stringify({ type: 'error', infoHash: 'x', error: 'e' }))?.type).toBe('error');
    expect(parse(JSON.stringify({ type: 'share', share: {} }))?.type).toBe('share');
    expect(parse(JSON.stringify({ type: 'torrents', torrents: [] }))?.type).toBe('torrents');
    expect(parse(JSON.stringify({ type: 'hello' }))).toBeUndefined();
    expect(parse(JSON.stringify({ type: 'removed' }))).toBeUndefined();
    expect(parse('null')).toBeUndefined();
    expect(parse(new ArrayBuffer(2))).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  it('doubles from one second up to thirty', () => {
    expect([0, 1, 2, 3, 4, 5, 10].map(backoffDelay)).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000,
    ]);
  });
});
