/**
 * Adapters from the session-wide DHT node and LSD socket to a torrent's peer-source seam
 * (torrent/peer-source.ts): the session registers `dhtPeerSource(dht)` and `lsdPeerSource(lsd)`
 * with `addPeerSource` when it starts them.
 */
import type { PeerAddress as WirePeer } from '@enjambre/bittorrent';
import type { Lsd } from '../lsd/lsd';
import type { DiscoveryMode, PeerAddress, PeerSourceFactory } from '../torrent/peer-source';
import type { Dht } from '@enjambre/dht';
import { Pacer } from '../util/pacer';

/** How often a torrent looks itself up / announces on the DHT (BEP 5 clients use ~15 min). */
export const DHT_ANNOUNCE_INTERVAL_MS = 15 * 60_000;
/** After a lookup that found nobody, the next comes this much sooner, doubling up to the interval. */
export const DHT_EMPTY_RETRY_MS = 30_000;

const toSource = (peers: WirePeer[]): PeerAddress[] =>
  peers.map((p) => ({ host: p.ip, port: p.port }));

/**
 * Routes a session-wide source's peers to the torrent they are for by info-hash, through one
 * listener: a listener per torrent made each DHT answer or LSD datagram call 10,000 functions.
 */
class ByHash<P> {
  private readonly watchers = new Map<string, Set<(peers: P) => void>>();

  constructor(private readonly attach: (dispatch: (hex: string, peers: P) => void) => () => void) {}

  private detach?: () => void;

  watch(hex: string, fn: (peers: P) => void): () => void {
    let set = this.watchers.get(hex);
    if (!set) this.watchers.set(hex, (set = new Set()));
    set.add(fn);
    this.detach ??= this.attach((h, peers) => {
      const fns = this.watchers.get(h);
      if (fns) for (const f of fns) f(peers);
    });
    return () => {
      set.delete(fn);
      if (set.size === 0 && this.watchers.get(hex) === set) this.watchers.delete(hex);
      if (this.watchers.size === 0) {
        this.detach?.();
        this.detach = undefined;
      }
    };
  }
}

/** DHT lookups started per second at most, for all torrents together. */
export const DHT_LOOKUPS_PER_SECOND = 20;

/**
 * The DHT as a torrent's peer source: get_peers lookups only while a magnet's privacy is unknown
 * (`lookup`), lookups with announce_peer once it is public (`announce`); at start and every
 * `intervalMs`, paced (DHT_LOOKUPS_PER_SECOND for the session). Peers stream in as the lookup
 * finds them.
 */
export function dhtPeerSource(
  dht: Dht,
  intervalMs = DHT_ANNOUNCE_INTERVAL_MS,
  emptyRetryMs = DHT_EMPTY_RETRY_MS,
): PeerSourceFactory {
  const byHash = new ByHash<WirePeer[]>((dispatch) => {
    const on = (h: Buffer, peers: WirePeer[]) => dispatch(h.toString('hex'), peers);
    dht.on('peers', on);
    return () => dht.off('peers', on);
  });
  const pacer = new Pacer(DHT_LOOKUPS_PER_SECOND);
  return (target, found) => {
    const hex = target.infoHash.toString('hex');
    let timer: NodeJS.Timeout | undefined;
    let retry: NodeJS.Timeout | undefined;
    let backoff = emptyRetryMs;
    let mode: DiscoveryMode | undefined;
    let unwatch: (() => void) | undefined;
    let running: Promise<unknown> = Promise.resolve();
    const lookup = () => {
      const m = mode;
      if (!m) return; // stopped while it waited its turn
      clearTimeout(retry);
      running = (
        m === 'announce'
          ? dht.announce(target.infoHash, target.port())
          : dht.lookup(target.infoHash)
      ).then(
        (r) => {
          // a magnet added a minute before its seeder announced would otherwise wait a whole
          // interval (15 min) for its next lookup; torrents with metadata keep the interval, so
          // thousands of idle seeding torrents do not retry
          if (r.peers.length > 0) backoff = emptyRetryMs;
          else if (mode === 'lookup' && backoff < intervalMs) {
            retry = setTimeout(run, backoff);
            retry.unref();
            backoff *= 2;
          }
        },
        () => undefined,
      );
    };
    const run = () => pacer.run(lookup);
    const stop = async () => {
      mode = undefined;
      unwatch?.();
      unwatch = undefined;
      if (timer) clearInterval(timer);
      timer = undefined;
      clearTimeout(retry);
      await running;
    };
    return {
      kind: 'dht',
      publicOnly: true,
      lookupBeforeMetadata: true,
      start(m) {
        const changed = mode !== m;
        mode = m;
        unwatch ??= byHash.watch(hex, (peers) => {
          if (mode) found(toSource(peers));
        });
        if (!timer) {
          timer = setInterval(run, intervalMs);
          timer.unref();
        }
        if (changed) run();
      },
      stop,
      close() {
        void stop();
      },
    };
  };
}

/**
 * LSD as a torrent's peer source: announces the torrent on the LAN and takes the peers others
 * announce for it. Announcing tells the LAN we are in the swarm, so it runs only for torrents
 * known to be public (no `lookupBeforeMetadata`).
 */
export function lsdPeerSource(lsd: Lsd): PeerSourceFactory {
  const byHash = new ByHash<WirePeer>((dispatch) => {
    lsd.on('peer', dispatch);
    return () => lsd.off('peer', dispatch);
  });
  return (target, found) => {
    const hex = target.infoHash.toString('hex');
    let unwatch: (() => void) | undefined;
    const stop = () => {
      if (!unwatch) return;
      unwatch();
      unwatch = undefined;
      lsd.remove(hex);
    };
    return {
      kind: 'lsd',
      publicOnly: true,
      start(mode) {
        if (mode !== 'announce' || unwatch) return;
        unwatch = byHash.watch(hex, (peer) => found(toSource([peer])));
        lsd.announce(hex);
      },
      stop: async () => stop(),
      close: stop,
    };
  };
}
