/**
 * Adapters from the session-wide DHT node and LSD socket to a torrent's peer-source seam
 * (torrent/peer-source.ts): the session registers `dhtPeerSource(dht)` and `lsdPeerSource(lsd)`
 * with `addPeerSource` when it starts them.
 */
import type { PeerAddress as WirePeer } from '@enjambre/bittorrent';
import type { Lsd } from '../lsd/lsd';
import type { DiscoveryMode, PeerAddress, PeerSourceFactory } from '../torrent/peer-source';
import type { Dht } from '@enjambre/dht';

/** How often a torrent looks itself up / announces on the DHT (BEP 5 clients use ~15 min). */
export const DHT_ANNOUNCE_INTERVAL_MS = 15 * 60_000;
/** After a lookup that found nobody, the next comes this much sooner, doubling up to the interval. */
export const DHT_EMPTY_RETRY_MS = 30_000;

const toSource = (peers: WirePeer[]): PeerAddress[] =>
  peers.map((p) => ({ host: p.ip, port: p.port }));

/**
 * The DHT as a torrent's peer source: get_peers lookups only while a magnet's privacy is unknown
 * (`lookup`), lookups with announce_peer once it is public (`announce`); at start and every
 * `intervalMs`. Peers stream in as the lookup finds them.
 */
export function dhtPeerSource(
  dht: Dht,
  intervalMs = DHT_ANNOUNCE_INTERVAL_MS,
  emptyRetryMs = DHT_EMPTY_RETRY_MS,
): PeerSourceFactory {
  return (target, found) => {
    let timer: NodeJS.Timeout | undefined;
    let retry: NodeJS.Timeout | undefined;
    let backoff = emptyRetryMs;
    let mode: DiscoveryMode | undefined;
    let running: Promise<unknown> = Promise.resolve();
    const onPeers = (h: Buffer, peers: WirePeer[]) => {
      if (mode && h.equals(target.infoHash)) found(toSource(peers));
    };
    const run = () => {
      const m = mode;
      if (!m) return;
      clearTimeout(retry);
      running = (
        m === 'announce'
          ? dht.announce(target.infoHash, target.port())
          : dht.lookup(target.infoHash)
      ).then(
        (r) => {
          // a magnet added a minute before its seeder announced would otherwise wait a whole
          // interval (15 min) for its next lookup
          if (r.peers.length > 0) backoff = emptyRetryMs;
          else if (mode && backoff < intervalMs) {
            retry = setTimeout(run, backoff);
            retry.unref();
            backoff *= 2;
          }
        },
        () => undefined,
      );
    };
    const stop = async () => {
      mode = undefined;
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
        if (!timer) {
          dht.on('peers', onPeers);
          timer = setInterval(run, intervalMs);
          timer.unref();
        }
        if (changed) run();
      },
      stop: async () => {
        dht.off('peers', onPeers);
        await stop();
      },
      close() {
        dht.off('peers', onPeers);
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
  return (target, found) => {
    const hex = target.infoHash.toString('hex');
    const onPeer = (h: string, peer: WirePeer) => {
      if (h === hex) found(toSource([peer]));
    };
    let on = false;
    const stop = () => {
      if (!on) return;
      on = false;
      lsd.off('peer', onPeer);
      lsd.remove(hex);
    };
    return {
      kind: 'lsd',
      publicOnly: true,
      start(mode) {
        if (mode !== 'announce' || on) return;
        on = true;
        lsd.on('peer', onPeer);
        lsd.announce(hex);
      },
      stop: async () => stop(),
      close: stop,
    };
  };
}
