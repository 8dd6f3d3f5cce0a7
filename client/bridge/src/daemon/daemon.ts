import { mkdir, rm, writeFile, readFile, chmod } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { homedir, networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import pino, { Logger } from 'pino';
import type { SessionApi, SessionOptions } from '@enjambre/engine';
import { createTorrent, newSession } from '../engine';
import { Bridge } from './bridge';
import { CatalogReader } from './catalog';
import { LiveFeed } from './live';
import { createMetrics } from './metrics';
import { appRoutes, EmbeddedTrackerUrls } from './routes-app';
import { torrentRoutes } from './routes-torrents';
import { createServer } from './server';
import { Shares, TorrentCreator } from './shares';
import { BridgeState, Settings } from './state';
import { loadOrCreateToken } from './token';
import { startEmbeddedTracker, EmbeddedTracker } from './embedded-tracker';

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
  withTracker?: boolean;
  /** Trackers added to the stored list. */
  trackers?: string[];
  /** Rate limits (bytes/s); override the stored settings (and are stored). */
  uploadRateLimit?: number;
  downloadRateLimit?: number;
  /** The built GUI; default client/web/dist/web/browser in this repository. */
  webRoot?: string;
  /** Where logs go; default `daemon.log` in the data dir. */
  logger?: Logger;
  /** DHT node: off with false; `port` default the peer port. Default off (the CLI turns it on). */
  dht?: false | { port?: number; bootstrap?: string[] };
  /** Local Service Discovery. Default off (the CLI turns it on). */
  lsd?: boolean;
  /** For tests: another engine or torrent creator. */
  sessionFactory?: (opts: SessionOptions) => SessionApi;
  createTorrent?: TorrentCreator;
}

export interface RunningDaemon {
  /** The GUI's URL with the token. */
  url: string;
  apiPort: number;
  listenPort: number;
  token: string;
  dataDir: string;
  tracker?: EmbeddedTrackerUrls;
  bridge: Bridge;
  close(): Promise<void>;
}

/** What the CLI reads to find a running daemon. */
export interface DaemonFile {
  pid: number;
  apiPort: number;
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

/**
 * Starts the bridge: state, engine (with every stored torrent re-added), optional embedded
 * tracker, and the HTTP API. Resolves once the API listens; `close()` stops all of it.
 */
export async function startDaemon(opts: DaemonOptions): Promise<RunningDaemon> {
  const dataDir = resolve(opts.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const token = await loadOrCreateToken(dataDir);
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
      allowedRoots: [homedir()],
    };
    const settings = await state.getSettings(defaults);
    if (opts.downloadDir !== undefined) settings.downloadDir = resolve(opts.downloadDir);
    if (opts.listenPort !== undefined) settings.listenPort = opts.listenPort;
    if (opts.uploadRateLimit !== undefined) settings.uploadRateLimit = opts.uploadRateLimit;
    if (opts.downloadRateLimit !== undefined) settings.downloadRateLimit = opts.downloadRateLimit;
    for (const t of opts.trackers ?? []) {
      if (!settings.trackers.includes(t)) settings.trackers.push(t);
    }
    await state.putSettings(settings);
    await mkdir(settings.downloadDir, { recursive: true });

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
      ...(opts.dht && {
        dht: {
          ...(opts.dht.port !== undefined && { port: opts.dht.port }),
          bootstrap: opts.dht.bootstrap ?? [],
        },
      }),
      ...(opts.lsd && { lsd: true }),
    });
    await session.start();
    cleanup.push(() => session.close());

    const bridge = new Bridge(session, state, settings, log);
    await bridge.restore();

    const metrics = createMetrics(session);
    const shares = new Shares(bridge, opts.createTorrent ?? createTorrent, metrics);
    const catalog = new CatalogReader();
    cleanup.push(() => catalog.close());
    const live = new LiveFeed(session, shares);
    cleanup.push(() => live.close());
    const roots = (): string[] => [...bridge.settings.allowedRoots, bridge.settings.downloadDir];

    const host = opts.host ?? '127.0.0.1';
    const app = await createServer({
      token,
      webRoot: opts.webRoot ?? defaultWebRoot(),
      // The GUI makes a few calls a second: log warnings and errors, not every request.
      logger: log.child({ part: 'api' }, { level: 'warn' }),
      hostnames: apiHostnames(host),
    });
    const apiPort = () => (app.server.address() as AddressInfo).port;
    await app.register(async (scope) => {
      torrentRoutes(scope, { bridge, roots, trackers });
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
        roots,
        trackers,
      });
    });
    await app.listen({ host, port: opts.apiPort ?? DEFAULT_API_PORT });
    cleanup.push(() => app.close());

    const file: DaemonFile = {
      pid: process.pid,
      apiPort: apiPort(),
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
      token,
      dataDir,
      ...(tracker ? { tracker: tracker.urls } : {}),
      bridge,
      close: () => (closing ??= closeAll()),
    };
  } catch (err) {
    await closeAll();
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
