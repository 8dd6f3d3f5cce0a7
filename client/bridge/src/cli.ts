import { Command, Option } from 'commander';
import { resolve } from 'node:path';
import { defaultDataDir, DEFAULT_API_PORT, VERSION } from './daemon/daemon';
import { DaemonClient } from './cli/daemon-client';
import { describeError, UserError } from './cli/errors';
import { infoCommand } from './cli/info';
import { createCommand } from './cli/create';
import { getCommand, seedCommand, shareStandalone } from './cli/local';
import { collect, intOption, sizeOption } from './cli/options';
import { output } from './cli/output';
import {
  actionCommand,
  addCommand,
  catalogCommand,
  lsCommand,
  shareThroughDaemon,
} from './cli/remote';
import { startCommand } from './cli/start';
import { DEFAULT_RPC_PORT } from './rpc';

const port = intOption(0, 65535);

function withJson(cmd: Command): Command {
  return cmd.option('--json', 'machine-readable output: one JSON object per line');
}

function withDataDir(cmd: Command): Command {
  return cmd.option(
    '--data-dir <dir>',
    'the daemon data folder (default ~/.enjambre, or $ENJAMBRE_DATA_DIR)',
  );
}

/** What `get`, `seed` and a standalone `share` run their session with (DHT and LSD as `start`). */
function withSessionOptions(cmd: Command): Command {
  return cmd
    .option('--port <n>', 'TCP port for incoming peers (0: any free port)', port)
    .option('--max-peers <n>', 'connected peers at most', intOption(1, 10000))
    .option('--upload-limit <rate>', 'upload limit in bytes/s, e.g. 500k, 2M (0: none)', sizeOption)
    .option('--download-limit <rate>', 'download limit in bytes/s (0: none)', sizeOption)
    .option('--tracker <url>', 'extra tracker (repeatable)', collect, [])
    .addOption(new Option('--listen-host <addr>', 'address to accept peers on').hideHelp())
    .option('--dht-port <n>', 'UDP port of the DHT node (default: the peer port)', port)
    .option('--dht-bootstrap <host:port>', 'DHT node to join through (repeatable)', collect, [])
    .option('--no-dht', 'run no DHT node')
    .option('--no-lsd', 'no Local Service Discovery');
}

const dataDirOf = (o: { dataDir?: string }) => resolve(o.dataDir ?? defaultDataDir());

export function buildProgram(): Command {
  const program = new Command('enjambre')
    .description('enjambre: share and download files over BitTorrent')
    .version(VERSION)
    // Usage errors in the same one-line form as every other error.
    .configureOutput({
      outputError: (str, write) =>
        write(`enjambre: ${str.replace(/^error: /, '').trimEnd()} (see --help)\n`),
    });

  withJson(withDataDir(program.command('start')))
    .description('run the bridge daemon (web GUI and API) in the foreground')
    .option('--download-dir <dir>', 'where downloads go (default ~/Downloads/enjambre)')
    .option('--port <n>', 'TCP port for incoming peers (0: any free port)', port)
    .option('--api-port <n>', `API and GUI port (default ${DEFAULT_API_PORT}; 0: any free)`, port)
    .option('--host <addr>', 'address the API listens on', '127.0.0.1')
    .option(
      '--rpc-port <n>',
      `Transmission RPC and qBittorrent WebAPI port, on the API's address (default ${DEFAULT_RPC_PORT}; 0: off)`,
      port,
    )
    .option('--with-tracker', 'also run an enjambre tracker in the daemon, on 127.0.0.1')
    .option('--tracker <url>', 'tracker for shares and catalogs (repeatable)', collect, [])
    .option('--upload-limit <rate>', 'upload limit in bytes/s (0: none)', sizeOption)
    .option('--download-limit <rate>', 'download limit in bytes/s (0: none)', sizeOption)
    .option('--web-root <dir>', 'folder of the built web GUI')
    .option(
      '--allow-folder <dir>',
      'a folder the API may browse, share from and download into (repeatable; default: ' +
        'allowFolders in DATA_DIR/config.json, else the home folder; the download folder always)',
      collect,
      [],
    )
    .option('--dht-port <n>', 'UDP port of the DHT node (default: the peer port)', port)
    .option('--dht-bootstrap <host:port>', 'DHT node to join through (repeatable)', collect, [])
    .option('--no-dht', 'run no DHT node')
    .option('--no-lsd', 'no Local Service Discovery')
    .addOption(new Option('--listen-host <addr>', 'address to accept peers on').hideHelp())
    .action((o) =>
      startCommand(
        {
          ...o,
          dataDir: dataDirOf(o),
          downloadDir: o.downloadDir ? resolve(o.downloadDir) : undefined,
          allowFolder: (o.allowFolder as string[]).map((d) => resolve(d)),
          webRoot: o.webRoot ? resolve(o.webRoot) : undefined,
        },
        output(!!o.json),
      ),
    );

  withJson(withSessionOptions(withDataDir(program.command('share <path>'))))
    .description('create a torrent from a file or folder, seed it and print its magnet link')
    .option('--private', 'mark the torrent private (BEP 27)')
    .option('--comment <text>', 'comment stored in the torrent')
    .action(async (path: string, o) => {
      const out = output(!!o.json);
      const client = await DaemonClient.find(dataDirOf(o));
      if (!client) return shareStandalone(path, o, out);
      const job = await shareThroughDaemon(client, resolve(path), o.tracker, out);
      out.record({ event: 'shared', infoHash: job.infoHash, magnet: job.magnet });
      out.line(job.magnet ?? '');
    });

  withJson(withDataDir(program.command('ls')))
    .description('list the daemon’s torrents')
    .action((o) => lsCommand(dataDirOf(o), output(!!o.json)));

  withJson(withDataDir(program.command('add <torrent...>')))
    .description('add .torrent files, magnet links or info-hashes to the daemon (many at once)')
    .option('--dir <dir>', 'download folder (default: the daemon’s)')
    .option('--paused', 'add without starting')
    .option('--sequential', 'download pieces in order (for streaming)')
    .action((args: string[], o) => addCommand(dataDirOf(o), args, o, output(!!o.json)));

  for (const action of ['pause', 'resume'] as const) {
    withJson(withDataDir(program.command(`${action} <id>`)))
      .description(`${action} a torrent (id: its info-hash or a unique prefix)`)
      .action((id: string, o) => actionCommand(dataDirOf(o), action, id, {}, output(!!o.json)));
  }
  withJson(withDataDir(program.command('rm <id>')))
    .description('remove a torrent from the daemon')
    .option('--delete-data', 'also delete the files it downloaded (never a share’s originals)')
    .option('--delete-originals', 'also delete a share’s own files, the ones it seeds from')
    .action((id: string, o) => actionCommand(dataDirOf(o), 'rm', id, o, output(!!o.json)));

  withJson(withDataDir(program.command('catalog')))
    .description('list the torrents published on the enjambre trackers')
    .option('--tracker <url>', 'only this tracker (grpc://host:port)')
    .option('--search <text>', 'only names containing this text')
    .action((o) => catalogCommand(dataDirOf(o), o, output(!!o.json)));

  withJson(program.command('create <path>'))
    .description('create a .torrent from a file or folder')
    .requiredOption('-o, --output <file>', 'the .torrent to write')
    .option('-a, --announce <url>', 'tracker URL (repeatable; one tier each)', collect, [])
    .option('--private', 'mark the torrent private (BEP 27)')
    .option('--piece-length <bytes>', 'piece length, a power of two (e.g. 256k, 1M)', sizeOption)
    .option('--comment <text>', 'comment stored in the torrent')
    .option(
      '--web-seed <url>',
      'HTTP(S) server holding the data (BEP 19; repeatable): a folder URL, or the file itself',
      collect,
      [],
    )
    .option(
      '--format <format>',
      'v1, v2 or hybrid (BEP 52); Transmission 3 and aria2 1.36 read only v1',
      'hybrid',
    )
    .action((path: string, o) => createCommand(path, o, output(!!o.json)));

  withJson(withSessionOptions(program.command('get <torrent>')))
    .description('download a .torrent or magnet link into a folder, then exit (or --seed)')
    .requiredOption('-d, --dir <dir>', 'download folder')
    .option('--seed', 'keep seeding once complete, until interrupted')
    .action((arg: string, o) => getCommand(arg, o, output(!!o.json)));

  withJson(withSessionOptions(program.command('seed <torrent>')))
    .description('verify the data of a .torrent in a folder and seed it until interrupted')
    .requiredOption('-d, --dir <dir>', 'folder that holds the data')
    .action((arg: string, o) => seedCommand(arg, o, output(!!o.json)));

  withJson(program.command('info <torrent>'))
    .description('show what a .torrent file or magnet link holds')
    .action((arg: string, o) => infoCommand(arg, output(!!o.json)));

  return program;
}

/** Entry point: errors a user can cause print one line on stderr and exit non-zero. */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    process.stderr.write(`enjambre: ${describeError(err)}\n`);
    if (!(err instanceof UserError) && process.env.ENJAMBRE_DEBUG) console.error(err);
    process.exitCode = err instanceof UserError ? err.exitCode : 1;
    return;
  }
}

if (require.main === module) void main(process.argv);
