import type { Dht } from '@enjambre/dht';
import type { DiscoveryStats } from './api';
import type { Lsd } from './lsd/lsd';

/** The session's DHT node and LSD as `SessionApi.discoveryStats` reports them. */
export function discoveryStats(dht: Dht | undefined, lsd: Lsd | undefined): DiscoveryStats {
  const out: DiscoveryStats = {};
  if (dht) {
    const s = dht.stats();
    out.dht = {
      port: s.port,
      nodeId: s.nodeId,
      nodes: s.nodes,
      goodNodes: s.goodNodes,
      bootstrap: [...dht.bootstrapNodes],
      storedPeers: s.storedPeers,
    };
  }
  if (lsd) {
    const s = lsd.stats();
    out.lsd = { announcesSent: s.announcesSent, announcesReceived: s.announcesReceived };
  }
  return out;
}
