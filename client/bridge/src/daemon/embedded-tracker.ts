import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { startTracker, RunningTracker } from '@enjambre/tracker';
import type { EmbeddedTrackerUrls } from './routes-app';

export interface EmbeddedTracker {
  urls: EmbeddedTrackerUrls;
  close(): Promise<void>;
}

interface StoredPorts {
  grpcPort: number;
  httpPort: number;
  udpPort: number;
}

/**
 * Runs an enjambre tracker inside the daemon, on 127.0.0.1, with its state in `dir`. The ports it
 * got on first start are kept in `ports.json` and asked for again, because the torrents shared
 * meanwhile carry its URLs in their announce lists; if they are taken, it takes free ones.
 */
export async function startEmbeddedTracker(dir: string, log: Logger): Promise<EmbeddedTracker> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const portsFile = join(dir, 'ports.json');
  let stored: StoredPorts | undefined;
  try {
    stored = JSON.parse(await readFile(portsFile, 'utf8')) as StoredPorts;
  } catch {
    stored = undefined;
  }
  const start = (ports: StoredPorts | undefined) =>
    startTracker({
      ip: '127.0.0.1',
      grpcPort: ports?.grpcPort ?? 0,
      httpPort: ports?.httpPort ?? 0,
      udpPort: ports?.udpPort ?? 0,
      metricsPort: null,
      dataDir: join(dir, 'db'),
      load: true,
      saveTime: 60,
      logger: log.child({ part: 'tracker' }),
    });
  let tracker: RunningTracker;
  try {
    tracker = await start(stored);
  } catch (err) {
    if (!stored) throw err;
    log.warn({ err: String(err) }, 'embedded tracker ports taken; using free ones');
    tracker = await start(undefined);
  }
  const ports: StoredPorts = {
    grpcPort: tracker.grpcPort,
    httpPort: tracker.httpPort!,
    udpPort: tracker.udpPort!,
  };
  await writeFile(portsFile, JSON.stringify(ports) + '\n', { mode: 0o600 });
  return {
    urls: {
      grpc: `grpc://127.0.0.1:${ports.grpcPort}`,
      http: `http://127.0.0.1:${ports.httpPort}/announce`,
      udp: `udp://127.0.0.1:${ports.udpPort}`,
    },
    close: () => tracker.close(),
  };
}
