import { ConfigError, DataDirLocked, RunningDaemon, startDaemon } from '../daemon/daemon';
import { describeError, UserError } from './errors';
import { Output } from './output';

export interface StartCliOptions {
  dataDir: string;
  downloadDir?: string;
  port?: number;
  apiPort?: number;
  rpcPort?: number;
  host?: string;
  withTracker?: boolean;
  tracker?: string[];
  uploadLimit?: number;
  downloadLimit?: number;
  webRoot?: string;
  listenHost?: string;
  allowFolder?: string[];
  /** commander's `--no-dht` / `--no-lsd`: true unless given. */
  dht?: boolean;
  lsd?: boolean;
  dhtPort?: number;
  dhtBootstrap?: string[];
}

/** `enjambre start`: runs the daemon in the foreground until SIGINT/SIGTERM. */
export async function startCommand(opts: StartCliOptions, out: Output): Promise<void> {
  let daemon: RunningDaemon;
  try {
    daemon = await startDaemon({
      dataDir: opts.dataDir,
      downloadDir: opts.downloadDir,
      listenPort: opts.port,
      apiPort: opts.apiPort,
      rpcPort: opts.rpcPort,
      host: opts.host,
      withTracker: opts.withTracker,
      trackers: opts.tracker,
      uploadRateLimit: opts.uploadLimit,
      downloadRateLimit: opts.downloadLimit,
      webRoot: opts.webRoot,
      listenHost: opts.listenHost,
      allowFolders: opts.allowFolder,
      // flags given win and are stored; without them the stored settings (Settings in the GUI)
      // apply, and a first start runs both
      dht:
        opts.dht === false
          ? false
          : opts.dhtPort !== undefined || opts.dhtBootstrap?.length
            ? { port: opts.dhtPort, bootstrap: opts.dhtBootstrap }
            : undefined,
      lsd: opts.lsd === false ? false : undefined,
      discoveryByDefault: true,
    });
  } catch (err) {
    if (err instanceof DataDirLocked || err instanceof ConfigError) {
      throw new UserError(err.message);
    }
    const busy = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
    throw new UserError(
      `cannot start the daemon: ${describeError(err)}${busy ? ' (choose another with --api-port or --rpc-port)' : ''}`,
    );
  }
  out.record({
    event: 'started',
    url: daemon.url,
    apiPort: daemon.apiPort,
    rpcPort: daemon.rpcPort,
    listenPort: daemon.listenPort,
    dataDir: daemon.dataDir,
    pid: process.pid,
    ...(daemon.tracker ? { tracker: daemon.tracker } : {}),
  });
  out.line(daemon.url);
  const signal = await new Promise<string>((res) => {
    process.once('SIGINT', () => res('SIGINT'));
    process.once('SIGTERM', () => res('SIGTERM'));
  });
  // A second signal while closing means "now".
  process.once(signal as NodeJS.Signals, () => process.exit(130));
  await daemon.close();
}
