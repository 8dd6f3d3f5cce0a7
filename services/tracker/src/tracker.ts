import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import pino, { type Logger } from 'pino';
import { tolerantService, trackerService } from './grpc/service';
import { HttpTracker } from './http/server';
import { TrackerMetrics } from './metrics';
import { CidrSet, PRIVATE_RANGES } from './net/cidr';
import { Persistence } from './persistence';
import { RateLimiter, type RateLimit } from './rate-limit';
import { MemorySwarmStore } from './store/memory';
import type { SwarmStore, SwarmStoreLimits } from './store/types';
import { UdpTracker, type UdpIo } from './udp/server';
import { installFastUnary } from './grpc/fast-unary';

export interface TrackerOptions {
  /** Address every port binds to; default 127.0.0.1. */
  ip?: string;
  /** gRPC port; default 8168; 0 picks a free port. */
  grpcPort?: number;
  /** HTTP(S) tracker port; default 6969; 0 picks a free port; null disables it. */
  httpPort?: number | null;
  /** UDP tracker port; default 6969; 0 picks a free port; null disables it. */
  udpPort?: number | null;
  /** /metrics, /healthz, /readyz port; default 9464; 0 picks a free port; null disables it. */
  metricsPort?: number | null;
  /** LevelDB directory for the state; without it nothing is saved. */
  dataDir?: string;
  /** Restore the state saved in dataDir at start. */
  load?: boolean;
  /** Seconds between saves (default 600); 0 saves only on close. */
  saveTime?: number;
  /** PEM certificate chain and key: gRPC over TLS and HTTPS for the HTTP tracker. */
  tls?: { cert: Buffer; key: Buffer };
  /** Network key shared by the replicas (used by replication plugins; never logged). */
  redKey?: string;
  /** The other replicas (used by replication plugins). */
  peersFile?: string;
  /** This replica's name in replicated counters; default "local". */
  origin?: string;
  /** Store limits (interval, grace, caps); see README. */
  limits?: Partial<SwarmStoreLimits>;
  /** Seconds between expiry sweeps of the whole store; default 30. */
  sweepEvery?: number;
  /**
   * Load balancers (CIDR ranges or addresses) whose forwarded client address is believed:
   * X-Forwarded-For and the PROXY protocol on the HTTP port, x-forwarded-for metadata on gRPC.
   */
  trustedProxies?: string | readonly string[];
  /** Legacy switch: trust loopback and private ranges as proxies (see trustedProxies). */
  trustProxy?: boolean;
  /** HTTP, UDP and gRPC: honour the announce's ip parameter (off: the sender is recorded). */
  allowIpParam?: boolean;
  /** Announces per second per client address, all front ends together; rate 0: no limit. */
  announceRate?: RateLimit;
  /** gRPC Publish calls per second per client address; rate 0: no limit. */
  publishRate?: RateLimit;
  /** HTTP connections open at once per client address (trusted proxies exempt); 0: no cap. */
  maxConnectionsPerIp?: number;
  /** HTTP: ms a request head may take from its first byte; default 10 s. */
  headTimeoutMs?: number;
  /**
   * UDP worker processes reading the UDP socket besides this process (default 0): they answer
   * connects and forward announces and scrapes to this process's store in batches.
   */
  udpWorkers?: number;
  /** UDP I/O path (see UdpIo; default auto: the batched addon when built). */
  udpIo?: UdpIo;
  /**
   * Answer gRPC Announce on node:http2 beside grpc-js (default true; grpc/fast-unary.ts): same
   * decoding, handler and answer, a third less CPU per call. False leaves every call to grpc-js.
   */
  grpcFastAnnounce?: boolean;
  /** A store to serve instead of a fresh MemorySwarmStore. */
  store?: SwarmStore;
  /** Logger (pino); default JSON lines on stdout at `logLevel`. */
  logger?: Logger;
  logLevel?: string;
  /** Extensions (replication) set up before the ports open; see TrackerPlugin. */
  plugins?: TrackerPlugin[];
}

export interface TrackerPorts {
  grpcPort: number;
  httpPort: number | null;
  udpPort: number | null;
  metricsPort: number | null;
}

/** What the tracker tells its clients about itself; plugins fill it in. */
export interface TrackerInfo {
  /** The UDP port of a DHT node beside the tracker (the DHT plugin), 0 when none. */
  dhtPort: number;
}

export interface PluginContext {
  /** The gRPC server, not yet bound: add services here (e.g. Replication). */
  server: Server;
  store: SwarmStore;
  logger: Logger;
  options: Readonly<TrackerOptions>;
  health: HealthImplementation;
  metrics: TrackerMetrics;
  info: TrackerInfo;
}

export interface PluginHandle {
  /** Called once every port is bound; the tracker reports SERVING only after it resolves
   * (a replica catches up here). */
  started?(ports: TrackerPorts): Promise<void>;
  /** Lines /healthz adds after its "ok" (e.g. the DHT node's size): facts, not verdicts. */
  health?(): string[];
  close(): Promise<void>;
}

/** An extension: called after the state is loaded and before the servers start. */
export type TrackerPlugin = (ctx: PluginContext) => Promise<PluginHandle>;

export interface RunningTracker extends TrackerPorts {
  store: SwarmStore;
  grpcServer: Server;
  health: HealthImplementation;
  metrics: TrackerMetrics;
  logger: Logger;
  /** Whether /readyz and gRPC health say SERVING. */
  readonly ready: boolean;
  /** Saves the state now (no-op without dataDir); resolves to the swarms written. */
  save(): Promise<number>;
  /** Stops serving, saves the state (with dataDir) and releases every port. Idempotent. */
  close(): Promise<void>;
}

const TRACKER_SERVICE = 'enjambre.tracker.v1.Tracker';

export const DEFAULT_ANNOUNCE_RATE: RateLimit = { rate: 500, burst: 2000 };
export const DEFAULT_PUBLISH_RATE: RateLimit = { rate: 10, burst: 200 };

function trustedProxySet(options: TrackerOptions): CidrSet | undefined {
  const list = options.trustedProxies ?? (options.trustProxy ? PRIVATE_RANGES : undefined);
  if (list === undefined) return undefined;
  const set = CidrSet.parse(list);
  return set.size > 0 ? set : undefined;
}

const GRPC_MAX_REQUEST_BYTES = 1024 * 1024;

function bindGrpc(server: Server, address: string, creds: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync(address, creds, (err, port) => (err ? reject(err) : resolve(port))),
  );
}

function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** Starts a complete tracker replica: store, gRPC, HTTP, UDP, metrics, persistence. */
export async function startTracker(options: TrackerOptions = {}): Promise<RunningTracker> {
  const ip = options.ip ?? '127.0.0.1';
  const logger =
    options.logger ??
    pino({ level: options.logLevel ?? 'info', redact: ['redKey', 'tls.key', 'options.redKey'] });
  const store =
    options.store ?? new MemorySwarmStore({ limits: options.limits, origin: options.origin });
  const metrics = new TrackerMetrics(store);
  const trustedProxies = trustedProxySet(options);
  if (options.trustProxy && options.trustedProxies === undefined)
    logger.warn(
      { trustedProxies: PRIVATE_RANGES },
      '--trust-proxy is deprecated: it trusts every loopback and private address; list your load balancers in --trusted-proxies',
    );
  const limiter = new RateLimiter(options.announceRate ?? DEFAULT_ANNOUNCE_RATE);
  const publishLimiter = new RateLimiter(options.publishRate ?? DEFAULT_PUBLISH_RATE);
  const health = new HealthImplementation({ '': 'NOT_SERVING', [TRACKER_SERVICE]: 'NOT_SERVING' });
  let ready = false;
  const info: TrackerInfo = { dhtPort: 0 };
  const cleanups: Array<() => Promise<void>> = [];
  const timers: NodeJS.Timeout[] = [];

  let persistence: Persistence | null = null;
  const save = async (): Promise<number> => {
    if (persistence === null) return 0;
    const end = metrics.persistenceDuration.startTimer({ op: 'save' });
    const n = await persistence.save(store);
    end();
    logger.info({ swarms: n }, 'state saved');
    return n;
  };

  let closed: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      ready = false;
      health.setStatus('', 'NOT_SERVING');
      health.setStatus(TRACKER_SERVICE, 'NOT_SERVING');
      for (const t of timers) clearInterval(t);
      for (const cleanup of cleanups.reverse()) {
        await cleanup().catch((err: unknown) => logger.error({ err }, 'shutdown step failed'));
      }
    })();
    return closed;
  };

  try {
    if (options.dataDir !== undefined) {
      const p = new Persistence(options.dataDir);
      await p.open();
      persistence = p;
      cleanups.push(async () => {
        await save();
        await p.close();
      });
      if (options.load) {
        const end = metrics.persistenceDuration.startTimer({ op: 'load' });
        const n = await p.load(store);
        end();
        if (p.skipped > 0) logger.warn({ skipped: p.skipped }, 'saved swarms left out on load');
        logger.info({ swarms: n, ...store.stats() }, 'state loaded');
      }
    }

    const server = new Server({
      'grpc.max_receive_message_length': GRPC_MAX_REQUEST_BYTES,
      // channelz counts every call and stamps dates on every message (a few µs a call) for a
      // debugging service this tracker does not expose.
      'grpc.enable_channelz': 0,
    });
    const definition = tolerantService();
    const trackerHandlers = trackerService(store, metrics, logger, {
      trustedProxies,
      allowIpParam: options.allowIpParam,
      limiter: limiter.enabled ? limiter : undefined,
      publishLimiter: publishLimiter.enabled ? publishLimiter : undefined,
      dhtPort: () => info.dhtPort,
    });
    server.addService(definition, trackerHandlers);
    health.addToServer(server);
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          const force = setTimeout(() => server.forceShutdown(), 2000);
          server.tryShutdown(() => {
            clearTimeout(force);
            resolve();
          });
        }),
    );

    const handles: PluginHandle[] = [];
    for (const plugin of options.plugins ?? []) {
      const handle = await plugin({ server, store, logger, options, health, metrics, info });
      handles.push(handle);
      cleanups.push(() => handle.close());
    }

    const creds = options.tls
      ? ServerCredentials.createSsl(null, [
          { cert_chain: options.tls.cert, private_key: options.tls.key },
        ])
      : ServerCredentials.createInsecure();
    const grpcPort = await bindGrpc(server, hostPort(ip, options.grpcPort ?? 8168), creds);
    if (options.grpcFastAnnounce !== false) {
      installFastUnary(
        server,
        { ...definition.announce, handler: trackerHandlers.announce },
        GRPC_MAX_REQUEST_BYTES,
        logger,
      );
    }

    let httpPort: number | null = null;
    if (options.httpPort !== null) {
      const http = await HttpTracker.listen({
        host: ip,
        port: options.httpPort ?? 6969,
        store,
        metrics,
        logger,
        tls: options.tls,
        trustedProxies,
        allowIpParam: options.allowIpParam,
        limiter: limiter.enabled ? limiter : undefined,
        maxConnectionsPerIp: options.maxConnectionsPerIp,
        headTimeoutMs: options.headTimeoutMs,
      });
      httpPort = http.port;
      cleanups.push(() => http.close());
    }

    let udpPort: number | null = null;
    let udpIo: 'mmsg' | 'dgram' | undefined;
    if (options.udpPort !== null) {
      const udp = await UdpTracker.listen({
        host: ip,
        port: options.udpPort ?? 6969,
        store,
        metrics,
        logger,
        allowIpParam: options.allowIpParam,
        limiter: limiter.enabled ? limiter : undefined,
        workers: options.udpWorkers,
        io: options.udpIo,
      });
      udpPort = udp.port;
      udpIo = udp.io;
      cleanups.push(() => udp.close());
    }

    let metricsPort: number | null = null;
    if (options.metricsPort !== null) {
      const healthLines = (): string[] => handles.flatMap((h) => h.health?.() ?? []);
      const ms = await listenMetrics(ip, options.metricsPort ?? 9464, metrics, {
        isReady: () => ready,
        healthLines,
      });
      const address = ms.address();
      metricsPort = typeof address === 'object' && address !== null ? address.port : null;
      cleanups.push(
        () =>
          new Promise<void>((resolve) => {
            ms.closeAllConnections();
            ms.close(() => resolve());
          }),
      );
    }

    const ports: TrackerPorts = { grpcPort, httpPort, udpPort, metricsPort };
    for (const handle of handles) if (handle.started) await handle.started(ports);

    // Expire silent peers in slices so that no event-loop turn walks the whole store.
    let sweeping = false;
    const sweep = (): void => {
      if (sweeping) return;
      sweeping = true;
      const step = (): void => {
        if (closed !== null || store.sweep(2000)) sweeping = false;
        else setImmediate(step);
      };
      step();
    };
    timers.push(setInterval(sweep, (options.sweepEvery ?? 30) * 1000).unref());
    const saveTime = options.saveTime ?? 600;
    if (persistence !== null && saveTime > 0) {
      timers.push(
        setInterval(() => {
          save().catch((err: unknown) => logger.error({ err }, 'periodic save failed'));
        }, saveTime * 1000).unref(),
      );
    }

    ready = true;
    health.setStatus('', 'SERVING');
    health.setStatus(TRACKER_SERVICE, 'SERVING');
    logger.info({ ip, ...ports, udpIo, tls: options.tls !== undefined }, 'listening');

    return {
      ...ports,
      store,
      grpcServer: server,
      health,
      metrics,
      logger,
      get ready() {
        return ready;
      },
      save,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

function listenMetrics(
  ip: string,
  port: number,
  metrics: TrackerMetrics,
  probe: { isReady: () => boolean; healthLines: () => string[] },
): Promise<HttpServer> {
  const server = createHttpServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405).end();
    } else if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    } else if (path === '/healthz') {
      const lines = ['ok', ...probe.healthLines()];
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end(lines.join('\n') + '\n');
    } else if (path === '/readyz') {
      const ok = probe.isReady();
      res
        .writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' })
        .end(ok ? 'ready\n' : 'not ready\n');
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, ip, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
