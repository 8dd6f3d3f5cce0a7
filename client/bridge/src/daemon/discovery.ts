/**
 * Trackerless discovery in the bridge: the DHT and LSD settings (stored with the others, applied
 * when the engine starts, since the session's DHT node and LSD socket are bound once), the
 * engine's options built from them, and `GET /api/discovery`, which reports what actually runs.
 *
 * Bootstrap nodes: none by default (nothing public is reachable from every network; the usual
 * public routers are in the README). Besides those the user names, the enjambre trackers the
 * bridge knows tell their DHT port when they run one (`--dht-port`), and the node joins through
 * them (tracker-nodes.ts): a closed network needs no bootstrap setting at all. The embedded
 * tracker (`start --with-tracker`) runs no DHT node: it listens on 127.0.0.1 only, so its node
 * could know nobody but this engine; the engine's own node, on the peer port, is the one other
 * users of the LAN bootstrap from.
 */
import type { FastifyInstance } from 'fastify';
import { isIP } from 'node:net';
import type { SessionApi, SessionOptions } from '@enjambre/engine';
import { badRequest } from './http-error';
import type { Settings } from './state';

export type DiscoverySettings = Pick<
  Settings,
  'dhtEnabled' | 'dhtPort' | 'dhtBootstrap' | 'lsdEnabled'
>;

/** Bootstrap nodes kept at most: a few stable nodes are enough to join. */
export const MAX_BOOTSTRAP_NODES = 32;

/** A DNS name (letters, digits, dots, dashes) or an IP address; IPv6 in brackets. */
const HOST_PORT =
  /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)):(\d{1,5})$/;

/** Throws a 400 unless `s` is `host:port` with a real port (1-65535) and a plain host. */
export function checkHostPort(s: string): void {
  const m = HOST_PORT.exec(s);
  const port = m ? Number(m[3]) : 0;
  if (!m || port < 1 || port > 65535 || (m[1] !== undefined && isIP(m[1]) !== 6)) {
    throw badRequest(`not a DHT node as host:port (IPv6 as [addr]:port): ${JSON.stringify(s)}`);
  }
}

/** Throws a 400 for discovery settings the daemon would not run with. */
export function checkDiscoverySettings(s: DiscoverySettings): void {
  // ports below 1024 need privileges the daemon must not have; 0 means the peer port
  if (s.dhtPort !== 0 && (s.dhtPort < 1024 || s.dhtPort > 65535)) {
    throw badRequest('dhtPort must be 0 (the peer port) or 1024-65535');
  }
  if (s.dhtBootstrap.length > MAX_BOOTSTRAP_NODES) {
    throw badRequest(`at most ${MAX_BOOTSTRAP_NODES} DHT bootstrap nodes`);
  }
  for (const n of s.dhtBootstrap) checkHostPort(n);
}

/** Settings fields of the API (merged into S.settingsBody). */
export const discoverySettingsSchema = {
  dhtEnabled: { type: 'boolean' },
  dhtPort: { type: 'integer', minimum: 0, maximum: 65535 },
  dhtBootstrap: {
    type: 'array',
    items: { type: 'string', minLength: 3, maxLength: 261 },
    maxItems: MAX_BOOTSTRAP_NODES,
  },
  lsdEnabled: { type: 'boolean' },
} as const;

/** The engine's `dht` / `lsd` options for these settings. */
export function engineDiscovery(s: DiscoverySettings): Pick<SessionOptions, 'dht' | 'lsd'> {
  return {
    // the port is left out when 0, so the session puts the node on its peer port
    ...(s.dhtEnabled && {
      dht: { ...(s.dhtPort !== 0 && { port: s.dhtPort }), bootstrap: [...s.dhtBootstrap] },
    }),
    ...(s.lsdEnabled && { lsd: true }),
  };
}

/** How the DHT is doing, in one word for the GUI. */
export type DhtHealth = 'off' | 'no-nodes' | 'few-nodes' | 'ok';

/** Good nodes from which a node is well connected: one full bucket (k = 8). */
const WELL_CONNECTED = 8;

export function dhtHealth(running: boolean, goodNodes: number): DhtHealth {
  if (!running) return 'off';
  if (goodNodes === 0) return 'no-nodes';
  return goodNodes < WELL_CONNECTED ? 'few-nodes' : 'ok';
}

export interface DiscoveryRoutesDeps {
  session: SessionApi;
  /** DHT nodes of the enjambre trackers the bridge knows (tracker-nodes.ts). */
  trackerNodes: () => string[];
  settings: () => Settings;
  /** The settings the engine was started with. */
  started: DiscoverySettings;
}

const discoveryStatus = {
  type: 'object',
  properties: {
    dht: {
      type: 'object',
      properties: {
        enabled: { type: 'boolean', description: 'a DHT node runs now' },
        port: { type: 'integer' },
        nodes: { type: 'integer' },
        goodNodes: { type: 'integer', description: 'answered within 15 minutes' },
        health: { type: 'string', enum: ['off', 'no-nodes', 'few-nodes', 'ok'] },
        bootstrap: { type: 'array', items: { type: 'string' } },
        trackerNodes: {
          type: 'array',
          items: { type: 'string' },
          description: 'DHT nodes of known enjambre trackers (--dht-port) that answered',
        },
        storedPeers: { type: 'integer' },
      },
    },
    lsd: {
      type: 'object',
      properties: {
        enabled: { type: 'boolean', description: 'Local Service Discovery runs now' },
        announcesSent: { type: 'integer' },
        announcesReceived: { type: 'integer' },
      },
    },
    restartRequired: {
      type: 'boolean',
      description: 'the stored settings differ from those the engine started with',
    },
  },
} as const;

export function discoveryRoutes(app: FastifyInstance, deps: DiscoveryRoutesDeps): void {
  app.get(
    '/api/discovery',
    { schema: { tags: ['settings'], response: { 200: discoveryStatus } } },
    async () => {
      const { dht, lsd } = deps.session.discoveryStats();
      return {
        dht: {
          enabled: dht !== undefined,
          port: dht?.port ?? 0,
          nodes: dht?.nodes ?? 0,
          goodNodes: dht?.goodNodes ?? 0,
          health: dhtHealth(dht !== undefined, dht?.goodNodes ?? 0),
          bootstrap: dht?.bootstrap ?? [],
          trackerNodes: deps.trackerNodes(),
          storedPeers: dht?.storedPeers ?? 0,
        },
        lsd: {
          enabled: lsd !== undefined,
          announcesSent: lsd?.announcesSent ?? 0,
          announcesReceived: lsd?.announcesReceived ?? 0,
        },
        restartRequired: differs(deps.started, deps.settings()),
      };
    },
  );
}

function differs(a: DiscoverySettings, b: DiscoverySettings): boolean {
  return (
    a.dhtEnabled !== b.dhtEnabled ||
    a.lsdEnabled !== b.lsdEnabled ||
    (b.dhtEnabled &&
      (a.dhtPort !== b.dhtPort || a.dhtBootstrap.join(',') !== b.dhtBootstrap.join(',')))
  );
}
