/**
 * A Mainline DHT node as a tracker plugin (`--dht-port`): in a network without Internet access
 * the tracker replicas are the stable, well-known addresses, so clients bootstrap their DHT from
 * them and keep finding each other when every tracker later goes away. The node is an ordinary
 * DHT node (it stores announces and answers lookups); it does not feed the tracker's swarms.
 */
import * as path from 'node:path';
import { Dht } from '@enjambre/dht';
import { Counter, Gauge } from 'prom-client';
import type { PluginContext, PluginHandle, TrackerPlugin } from '../tracker';

export interface DhtPluginOptions {
  /** UDP port of the node; 0 picks a free one. */
  port: number;
  /** Other nodes to join through, `host:port` (e.g. the other replicas). */
  bootstrap?: string[];
  /** Table upkeep period; tests shorten it. */
  maintenanceMs?: number;
}

const DHT_NODES_METRIC = 'enjambre_tracker_dht_nodes';
const DHT_QUERIES_METRIC = 'enjambre_tracker_dht_queries_total';
const DHT_DROPPED_METRIC = 'enjambre_tracker_dht_dropped_total';

/** Where the node's LevelDB goes, inside the tracker's data directory. */
export const DHT_DATA_SUBDIR = 'dht';

export function dhtPlugin(pluginOptions: DhtPluginOptions): TrackerPlugin {
  return async (ctx: PluginContext): Promise<PluginHandle> => {
    const { options } = ctx;
    const log = ctx.logger.child({ component: 'dht' });
    const ip = options.ip ?? '127.0.0.1';
    const dht = new Dht({
      // a wildcard address: let the node take the dual-stack socket when the system has one
      ...(!['0.0.0.0', '::'].includes(ip) && { host: ip }),
      port: pluginOptions.port,
      bootstrap: pluginOptions.bootstrap,
      maintenanceMs: pluginOptions.maintenanceMs,
      dataDir:
        options.dataDir !== undefined ? path.join(options.dataDir, DHT_DATA_SUBDIR) : undefined,
      logger: log,
    });
    // bind now, so a taken port fails the start like any other port of the tracker
    await dht.listen();
    // clients learn it from ListTorrents (the bridge bootstraps from the trackers it knows)
    ctx.info.dhtPort = dht.port;
    new Gauge({
      name: DHT_NODES_METRIC,
      help: "Nodes in the tracker's DHT routing table (state: all, or good = answered lately)",
      labelNames: ['state'],
      registers: [ctx.metrics.registry],
      collect() {
        const s = dht.stats();
        this.set({ state: 'all' }, s.nodes);
        this.set({ state: 'good' }, s.goodNodes);
      },
    });
    // the node keeps its own counters; these read them at each scrape
    new Counter({
      name: DHT_QUERIES_METRIC,
      help: "DHT queries answered (in) and sent (out) by the tracker's node",
      labelNames: ['direction'],
      registers: [ctx.metrics.registry],
      collect() {
        const c = dht.stats().counters;
        this.reset();
        this.inc({ direction: 'in' }, c.queriesIn);
        this.inc({ direction: 'out' }, c.queriesOut);
      },
    });
    new Counter({
      name: DHT_DROPPED_METRIC,
      help: "DHT packets and nodes the tracker's node refused, by reason (hostile or broken input)",
      labelNames: ['reason'],
      registers: [ctx.metrics.registry],
      collect() {
        const c = dht.stats().counters;
        this.reset();
        this.inc({ reason: 'malformed' }, c.droppedMalformed);
        this.inc({ reason: 'rate-limited' }, c.droppedRateLimited);
        this.inc({ reason: 'unknown-transaction' }, c.droppedUnknownTransaction);
        this.inc({ reason: 'busy' }, c.droppedBusy);
        this.inc({ reason: 'rejected-node' }, c.rejectedNodes);
        this.inc({ reason: 'bad-token' }, c.badTokens);
      },
    });
    return {
      started: async () => {
        log.info({ port: dht.port, bootstrap: pluginOptions.bootstrap ?? [] }, 'dht node up');
        // joining needs answers that may never come; the tracker is ready without them
        dht.start().then(
          () => log.info({ nodes: dht.nodeCount }, 'dht bootstrap done'),
          (err: unknown) => log.warn({ err: (err as Error).message }, 'dht bootstrap failed'),
        );
      },
      health: () => {
        const s = dht.stats();
        return [`dht udp ${s.port}: ${s.nodes} nodes, ${s.goodNodes} good`];
      },
      close: async () => {
        ctx.info.dhtPort = 0;
        for (const name of [DHT_NODES_METRIC, DHT_QUERIES_METRIC, DHT_DROPPED_METRIC])
          ctx.metrics.registry.removeSingleMetric(name);
        await dht.close();
      },
    };
  };
}
