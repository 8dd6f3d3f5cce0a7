import { mkdir, rm, writeFile, readFile, chmod } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { homedir, networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import pino, { Logger } from 'pino';
import type { SessionApi, SessionOptions } from '@enjambre/engine';
import { newSession, torrentCreator, type TorrentCreator } from '../engine';
import { Bridge } from './bridge';
import { CatalogReader } from './catalog';
import { LiveFeed } from './live';
import { createMetrics } from './metrics';
import { appRoutes, EmbeddedTrackerUrls } from './routes-app';
import { torrentRoutes } from './routes-torrents';
import { ConfigError, readConfigFile } from './config-file';
import {
  checkDiscoverySettings,
  discoveryRoutes,
  engineDiscovery,
  MAX_BOOTSTRAP_NODES,
  type DiscoverySettings,
} from './discovery';
import { HttpError } from './http-error';
import { AllowedFolders, isInside } from './roots';
import { createServer, RegisteredRoute } from './server';
import { Shares } from './shares';
import { BridgeState, Settings } from './state';
import { loadOrCreateToken } from './token';
import { startEmbeddedTracker, EmbeddedTracker } from './embedded-tracker';
import { TrackerDhtNodes } from './tracker-nodes';
import { DEFAULT_RPC_PORT, remoteControlRoutes, startRemoteControl } from '../rpc';

export const DEFAULT_API_PORT = 9080;
export const VERSION = '0.1.0';

export interface DaemonOptions {
  dataDir: string;
  /** Overrides the stored setting (and is stored). */
  downloadDir?: string;
  /** Peer port; overrides the stored setting (and is stored). 0 = any free port. */
  listenPort?: number;
  /** Address peers connect to; default all interfaces. Tests use 127.0.0.1. */
  listenHost?: string;
  /** API port; default 9080, 0 = any free port. */
  apiPort?: number;
  /** API address; default 127.0.0.1. */
  host?: string;
  /**
   * Transmission RPC and qBittorrent WebAPI port, on the API's address; 0 = off, 'any' = a free
   * port (tests). Default 9091, skipped with a warning in the log when another program has it.
   */
  rpcPort?: number | 'any';
  withTracker?: boolean;
  /** Trackers added to the stored list. */
  trackers?: string[];
  /** Rate limits (bytes/s); override the stored settings (and are stored). */
  uploadRateLimit?: number;
  downloadRateLimit?: number;
  /**
   * Folders the API may read, share from and download into (`--allow-folder`); default the
   * config file's `allowFolders`, else the home folder. The download folder is always one.
   */
  allowFolders?: string[];
  /** The built GUI; default client/web/dist/web/browser in this repository. */
  webRoot?: string;
  /** Where logs go; default `daemon.log` in the data dir. */
  logger?: Logger;
  /**
   * DHT node: `false` off, an object on (`port` default the peer port, `bootstrap` added to the
   * stored list); stored like the other flags. Absent: the stored setting.
   */
  dht?: false | { port?: number; bootstrap?: string[] };
  /** Local Service Discovery on or off (stored). Absent: the stored setting. */
  lsd?: boolean;
  /** Whether a first start (no stored settings) runs the DHT and LSD. Default false; the CLI's
   * `start` says true. */
  discoveryByDefault?: boolean;
  /** For tests: another engine or torrent creator. */
  sessionFactory?: (opts: SessionOptions) => SessionApi;
  createTorrent?: TorrentCreator;
}

export interface RunningDaemon {
  /** The GUI's URL with the token. */
  url: string;
  apiPort: number;
  listenPort: number;
  /** The remote-control port; 0 when off. */
  rpcPort: number;
  token: string;
  dataDir: string;
  tracker?: EmbeddedTrackerUrls;
  bridge: Bridge;
  /** The folders the API may touch, as resolved at start. */
  allowedFolders: readonly string[];
  /** Every route the API serves, with the access each declares. */
  routes: readonly RegisteredRoute[];
  close(): Promise<void>;
}

/** What the CLI reads to find a running daemon. */
export interface DaemonFile {
  pid: number;
  apiPort: number;
  /** Absent in files of daemons before the remote-control APIs, and when they are off. */
  rpcPort?: number;
  host: string;
  listenPort: number;
  tracker?: EmbeddedTrackerUrls;
}

export const DAEMON_FILE = 'daemon.json';

export function defaultDataDir(): string {
  return process.env.ENJAMBRE_DATA_DIR || join(homedir(), '.enjambre');
}

export function defaultWebRoot(): string {
  return resolve(__dirname, '..', '..', '..', 'web', 'dist', 'web', 'browser');
}

/** The daemon is already running on this data dir (LevelDB holds a lock). */
export class DataDirLocked extends Error {}

export { ConfigError };

/**
 * Starts the bridge: state, engine (with every stored torrent re-added), optional embedded
 * tracker, and the HTTP API. Resolves once the API listens; `close()` stops all of it.
 */
export async function startDaemon(opts: DaemonOptions): Promise<RunningDaemon> {
  const dataDir = resolve(opts.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const token = await loadOrCreateToken(dataDir);
  const config = await readConfigFile(dataDir);
  const log =
    opts.logger ??
    pino({ level: 'info' }, pino.destination({ dest: join(dataDir, 'daemon.log'), sync: false }));

  const state = new BridgeState(join(dataDir, 'bridge-db'));
  try {
    await state.open();
  } catch (err) {
    if (isLocked(err)) {
      throw new DataDirLocked(`another enjambre daemon is running with the data dir ${dataDir}`);
    }
    throw err;
  }
  const cleanup: Array<() => Promise<void> | void> = [() => state.close()];
  const closeAll = async () => {
    for (const fn of cleanup.reverse()) {
      try {
        await fn();
      } catch (err) {
        log.warn({ err: String(err) }, 'error while stopping');
      }
    }
  };

  try {
    const defaults: Settings = {
      downloadDir: join(homedir(), 'Downloads', 'enjambre'),
      listenPort: 0,
      maxPeers: 200,
      uploadRateLimit: 0,
      downloadRateLimit: 0,
      trackers: [],
      dhtEnabled: opts.discoveryByDefault ?? false,
      dhtPort: 0,
      dhtBootstrap: [],
      lsdEnabled: opts.discoveryByDefault ?? false,
    };
    const settings = await state.getSettings(defaults);
    applyDiscoveryFlags(settings, opts);
    if (opts.downloadDir !== undefined) settings.downloadDir = resolve(opts.downloadDir);
    if (opts.listenPort !== undefined) settings.listenPort = opts.listenPort;
    if (opts.uploadRateLimit !== undefined) settings.uploadRateLimit = opts.uploadRateLimit;
    if (opts.downloadRateLimit !== undefined) settings.downloadRateLimit = opts.downloadRateLimit;
    for (const t of opts.trackers ?? []) {
      if (!settings.trackers.includes(t)) settings.trackers.push(t);
    }
    await state.putSettings(settings);
    await mkdir(settings.downloadDir, { recursive: true });
    const given = opts.allowFolders?.length ? opts.allowFolders : config.allowFolders;
    const allowed = [...new Set((given ?? [homedir()]).map((f) => resolve(f)))];
    // The download folder is always one, and listed only when no other holds it.
    if (!allowed.some((f) => isInside(f, settings.downloadDir))) allowed.push(settings.downloadDir);
    const folders = await AllowedFolders.create({ folders: allowed, dataDir });
    await warnAboutLegacyRoots(state, folders, log);

    let tracker: EmbeddedTracker | undefined;
    if (opts.withTracker) {
      tracker = await startEmbeddedTracker(join(dataDir, 'tracker'), log);
      cleanup.push(() => tracker!.close());
    }
    const embedded = tracker ? [tracker.urls.grpc, tracker.urls.http] : [];
    const trackers = (): string[] => [
      ...embedded,
      ...bridge.settings.trackers.filter((t) => !embedded.includes(t)),
    ];

    const session = (opts.sessionFactory ?? newSession)({
      dataDir: join(dataDir, 'engine'),
      downloadDir: settings.downloadDir,
      listenPort: settings.listenPort,
      ...(opts.listenHost ? { listenHost: opts.listenHost } : {}),
      maxPeers: settings.maxPeers,
      uploadRateLimit: settings.uploadRateLimit,
      downloadRateLimit: settings.downloadRateLimit,
      defaultTrackers: [...embedded, ...settings.trackers.filter((t) => !embedded.includes(t))],
      logger: log.child({ part: 'engine' }),
      ...engineDiscovery(settings),
    });
    const startedDiscovery: DiscoverySettings = {
      ...settings,
      dhtBootstrap: [...settings.dhtBootstrap],
    };
    await session.start();
    cleanup.push(() => session.close());

    const bridge = new Bridge(session, state, settings, log);
    await bridge.restore();

    const metrics = createMetrics(session);
    const shares = new Shares(bridge, opts.createTorrent ?? torrentCreator(session), metrics);
    const catalog = new CatalogReader();
    cleanup.push(() => catalog.close());
    const trackerNodes = new TrackerDhtNodes(session, catalog, trackers, log);
    trackerNodes.start();
    cleanup.push(() => trackerNodes.close());
    const live = new LiveFeed(session, shares);
    cleanup.push(() => live.close());

    const host = opts.host ?? '127.0.0.1';
    const hostnames = apiHostnames(host);
    const rpcOptions = {
      bridge,
      state,
      token,
      folders,
      version: VERSION,
      dataDir,
      log: log.child({ part: 'rpc' }),
      host,
      hostnames,
    };
    const rpcPort = opts.rpcPort === 'any' ? -1 : (opts.rpcPort ?? DEFAULT_RPC_PORT);
    let remote = await startRemoteControl({ ...rpcOptions, port: rpcPort }).catch(
      (err: NodeJS.ErrnoException) => {
        // Transmission itself may hold 9091: without an explicit --rpc-port, run without it.
        if (opts.rpcPort !== undefined || err.code !== 'EADDRINUSE') throw err;
        log.warn(
          { port: rpcPort },
          'remote-control port in use: Transmission/qBittorrent APIs off',
        );
        return undefined;
      },
    );
    remote ??= await startRemoteControl({ ...rpcOptions, port: 0 });
    cleanup.push(() => remote.close());
    const { app, routes } = await createServer({
      token,
      webRoot: opts.webRoot ?? defaultWebRoot(),
      // The GUI makes a few calls a second: log warnings and errors, not every request.
      logger: log.child({ part: 'api' }, { level: 'warn' }),
      hostnames,
    });
    const apiPort = () => (app.server.address() as AddressInfo).port;
    await app.register(async (scope) => {
      torrentRoutes(scope, { bridge, folders, trackers });
      appRoutes(scope, {
        bridge,
        shares,
        catalog,
        metrics,
        live,
        version: VERSION,
        startedAt: Date.now(),
        apiPort,
        ...(tracker ? { tracker: tracker.urls } : {}),
        folders,
        trackers,
      });
      discoveryRoutes(scope, {
        session,
        trackerNodes: () => trackerNodes.nodes,
        settings: () => bridge.settings,
        started: startedDiscovery,
      });
      remoteControlRoutes(scope, remote);
    });
    await app.listen({ host, port: opts.apiPort ?? DEFAULT_API_PORT });
    cleanup.push(() => app.close());

    const file: DaemonFile = {
      pid: process.pid,
      apiPort: apiPort(),
      ...(remote.port ? { rpcPort: remote.port } : {}),
      host,
      listenPort: session.port,
      ...(tracker ? { tracker: tracker.urls } : {}),
    };
    const daemonFile = join(dataDir, DAEMON_FILE);
    await writeFile(daemonFile, JSON.stringify(file) + '\n', { mode: 0o600 });
    await chmod(daemonFile, 0o600);
    cleanup.push(async () => {
      // Only our own file: a newer daemon may have replaced it.
      const current = await readFile(daemonFile, 'utf8').catch(() => '');
      if (current.includes(`"pid":${process.pid},`)) await rm(daemonFile, { force: true });
    });

    const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
    log.info({ apiPort: apiPort(), listenPort: session.port }, 'bridge started');
    let closing: Promise<void> | undefined;
    return {
      url: `http://${urlHost.includes(':') ? `[${urlHost}]` : urlHost}:${apiPort()}/?token=${token}`,
      apiPort: apiPort(),
      listenPort: session.port,
      rpcPort: remote.port,
      token,
      dataDir,
      ...(tracker ? { tracker: tracker.urls } : {}),
      bridge,
      allowedFolders: folders.folders,
      routes,
      close: () => (closing ??= closeAll()),
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/**
 * Settings stored before 0.2 carried `allowedRoots`, which the API could widen; they are kept in
 * the database but no longer applied. Say so at each start while one of them is not allowed.
 */
async function warnAboutLegacyRoots(
  state: BridgeState,
  folders: AllowedFolders,
  log: Logger,
): Promise<void> {
  const legacy = (await state.legacyAllowedRoots()) ?? [];
  const dropped = legacy.filter((r) => !folders.folders.some((f) => isInside(f, resolve(r))));
  if (dropped.length === 0) return;
  log.warn(
    { dropped },
    'allowed folders stored by an older version are no longer applied: start with ' +
      dropped.map((r) => `--allow-folder ${r}`).join(' ') +
      ' (or list them in config.json) to keep them',
  );
}

/** The command line's DHT and LSD flags over the stored settings (stored with them). */
function applyDiscoveryFlags(settings: Settings, opts: DaemonOptions): void {
  if (opts.dht === false) settings.dhtEnabled = false;
  else if (opts.dht) {
    settings.dhtEnabled = true;
    if (opts.dht.port !== undefined) settings.dhtPort = opts.dht.port;
    for (const n of opts.dht.bootstrap ?? []) {
      if (!settings.dhtBootstrap.includes(n)) settings.dhtBootstrap.push(n);
    }
    settings.dhtBootstrap = settings.dhtBootstrap.slice(-MAX_BOOTSTRAP_NODES);
  }
  if (opts.lsd !== undefined) settings.lsdEnabled = opts.lsd;
  try {
    checkDiscoverySettings(settings);
  } catch (err) {
    if (err instanceof HttpError) throw new ConfigError(err.message);
    throw err;
  }
}

function isLocked(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string } };
  return e.code === 'LEVEL_LOCKED' || e.cause?.code === 'LEVEL_LOCKED';
}

/** Host names the guard accepts: loopback names, plus the bound address when it is another. */
function apiHostnames(host: string): string[] {
  const names = new Set(['127.0.0.1', 'localhost', '[::1]']);
  if (host === '0.0.0.0' || host === '::') {
    for (const list of Object.values(networkInterfaces())) {
      for (const a of list ?? []) names.add(a.family === 'IPv6' ? `[${a.address}]` : a.address);
    }
  } else {
    names.add(host.includes(':') ? `[${host}]` : host);
  }
  return [...names];
}
