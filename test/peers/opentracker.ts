// Debian's opentracker as a reference tracker for tests and benchmarks. Debian builds it with an
// info-hash whitelist, so every torrent a test uses must be listed up front (or added later with
// `allow()`, which rewrites the list and sends SIGHUP so opentracker reloads it).
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { ManagedProcess, removeLater } from './process';
import { freePort, GiveUp, removeDir, tempDir, waitFor } from './util';

export interface OpentrackerOptions {
  /** Hex info-hashes allowed to announce. */
  whitelist: string[];
  /** TCP+UDP port; a free one by default. */
  port?: number;
  /** Extra lines for the config file (e.g. `listen.udp.workers 2`). */
  extraConfig?: string[];
  /** Wrap the command, e.g. `['taskset', '-c', '0']` in benchmarks. */
  prefix?: string[];
}

export interface Opentracker {
  readonly port: number;
  readonly dir: string;
  readonly pid: number;
  /** `http://127.0.0.1:PORT/announce` */
  readonly httpAnnounce: string;
  /** `udp://127.0.0.1:PORT/announce` */
  readonly udpAnnounce: string;
  /** Adds info-hashes to the whitelist and makes opentracker reload it. */
  allow(infoHashes: string[]): Promise<void>;
  tail(lines?: number): string;
  stop(): Promise<void>;
}

export async function startOpentracker(options: OpentrackerOptions): Promise<Opentracker> {
  const port = options.port ?? (await freePort());
  const dir = await tempDir('opentracker');
  removeLater(dir);
  // opentracker chroots into tracker.rootdir (when root) and drops to user nobody, so the folder
  // must be readable by everyone and the whitelist path is relative to it.
  await fs.chmod(dir, 0o755);
  const whitelist = new Set(options.whitelist.map((h) => h.toLowerCase()));
  const whitelistFile = path.join(dir, 'whitelist.txt');
  const writeWhitelist = () =>
    fs.writeFile(whitelistFile, [...whitelist].join('\n') + '\n', { mode: 0o644 });
  await writeWhitelist();
  const configFile = path.join(dir, 'opentracker.conf');
  const config = [
    `listen.tcp_udp 127.0.0.1:${port}`,
    `tracker.rootdir ${dir}`,
    'access.whitelist whitelist.txt',
    ...(options.extraConfig ?? []),
  ];
  await fs.writeFile(configFile, config.join('\n') + '\n', { mode: 0o644 });

  const prefix = options.prefix ?? [];
  const command = prefix.length > 0 ? prefix[0] : 'opentracker';
  const args = [
    ...prefix.slice(1),
    ...(prefix.length > 0 ? ['opentracker'] : []),
    '-f',
    configFile,
  ];
  const proc = new ManagedProcess('opentracker', command, args, { cwd: dir });
  try {
    await waitFor(
      async () => {
        if (proc.hasExited) throw new GiveUp('exited');
        return canConnect(port);
      },
      15_000,
      'opentracker listening',
    );
  } catch (error) {
    await proc.stop();
    throw new Error(`opentracker did not start: ${(error as Error).message}\n${proc.tail()}`);
  }

  return {
    port,
    dir,
    pid: proc.pid,
    httpAnnounce: `http://127.0.0.1:${port}/announce`,
    udpAnnounce: `udp://127.0.0.1:${port}/announce`,
    async allow(infoHashes) {
      for (const h of infoHashes) whitelist.add(h.toLowerCase());
      await writeWhitelist();
      process.kill(proc.pid, 'SIGHUP');
    },
    tail: (lines) => proc.tail(lines),
    async stop() {
      await proc.stop();
      await removeDir(dir);
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
