/**
 * DHT interop with Transmission 3.00: it downloads a whole file from an enjambre seeder (a real
 * Session seeding real data, DHT on, no tracker) that it found only through the DHT, from a bare
 * info-hash magnet (the metadata then comes from our seeder by BEP 9) and from a .torrent with no
 * announce URL. Transmission drops 127/8 nodes and announces only with enough good nodes (see
 * INTEROP-NOTES.md), so everything runs in a network namespace with 10.x addresses: ten of our
 * DHT nodes (swarm-child.ts), the seeder (session-child.ts) and Transmission, each on its own
 * address. Our nodes also find Transmission's own announce. Bytes are verified.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ManagedProcess, stopAll } from '../peers/process';
import { GiveUp, sha1File, waitFor } from '../peers/util';
import { makeTorrent, removeDir, sha1, tempDir, type TestTorrent } from '../engine/helpers';
import { collectJson, type JsonLine } from './helpers';
import { LoopbackNamespace } from './netns';

jest.setTimeout(600_000);

const KINDS = ['magnet', 'torrent'] as const;
type Kind = (typeof KINDS)[number];
const ns = new LoopbackNamespace('ejtxdht');
const OURS = Array.from({ length: 10 }, (_, i) => `10.68.0.${10 + i}`);
const SEEDER: Record<Kind, string> = { magnet: '10.68.0.30', torrent: '10.68.0.40' };
const TX: Record<Kind, string> = { magnet: '10.68.0.31', torrent: '10.68.0.41' };
const TX_PORT = 51413;

let root: string;
let swarm: ManagedProcess;
let swarmLines: JsonLine[];
let bootstrap: string[]; // "ip port"
const fixtures = {} as Record<Kind, { t: TestTorrent; seedDir: string; torrentFile: string }>;

beforeAll(async () => {
  ns.create([...OURS, ...Object.values(SEEDER), ...Object.values(TX)]);
  root = await tempDir('tx-dht');
  for (const kind of KINDS) {
    const seedDir = path.join(root, `seed-${kind}`);
    const name = `to-transmission-${kind}.bin`;
    const t = await makeTorrent(seedDir, name, 1_500_000 + 555, { pieceLength: 64 * 1024 });
    const torrentFile = path.join(root, `${name}.torrent`);
    await fs.writeFile(torrentFile, t.torrent);
    fixtures[kind] = { t, seedDir, torrentFile };
  }
  const watch = KINDS.map((k) => fixtures[k].t.infoHash);
  swarm = new ManagedProcess(
    'dht-swarm',
    'ip',
    ns.node(path.join(__dirname, 'swarm-child.ts'), JSON.stringify({ ips: OURS, watch })),
  );
  swarmLines = collectJson(swarm);
  const ready = await waitFor(
    () => swarmLines.find((l) => l.type === 'ready'),
    90_000,
    `our DHT nodes (${swarm.tail()})`,
  );
  bootstrap = ready.nodes as string[];
});
afterAll(async () => {
  await stopAll();
  ns.destroy();
  if (root) await removeDir(root);
});

/** Until our nodes' lookups return `peer` ("ip:port") for the torrent; `context` is for errors. */
async function announced(
  infoHash: string,
  peer: string,
  what: string,
  context: () => string = () => '',
): Promise<void> {
  const found = () =>
    swarmLines.filter((l) => l.type === 'peers' && l.infoHash === infoHash).pop()?.peers;
  try {
    await waitFor(
      () => {
        if (swarm.hasExited) throw new GiveUp(`our DHT nodes exited:\n${swarm.tail()}`);
        return ((found() as string[] | undefined) ?? []).includes(peer);
      },
      180_000,
      what,
      500,
    );
  } catch (err) {
    const last = JSON.stringify(found());
    throw new Error(`${(err as Error).message}; last lookup found ${last}\n${context()}`);
  }
}

describe.each(KINDS)('Transmission as leecher (%s)', (kind) => {
  test('downloads from an enjambre seeder it found only through the DHT', async () => {
    const { t, seedDir, torrentFile } = fixtures[kind];
    const seeder = new ManagedProcess(
      'dht-seeder',
      'ip',
      ns.node(
        path.join(__dirname, 'session-child.ts'),
        JSON.stringify({
          dir: path.join(root, `state-${kind}`),
          listenHost: SEEDER[kind],
          lsd: false,
          dht: { bootstrap: bootstrap.map((n) => n.replace(' ', ':')) },
          torrent: torrentFile,
          downloadDir: seedDir,
          seed: true,
          // slow enough that Transmission is still downloading when its announce lands
          uploadRateLimit: 400_000,
        }),
      ),
    );
    const seederLines = collectJson(seeder);
    const started = await waitFor(
      () => seederLines.find((l) => l.type === 'started'),
      120_000,
      `the enjambre seeder (${seeder.tail()})`,
    );
    expect(started.dht).toBe(true);
    await announced(
      t.infoHash,
      `${SEEDER[kind]}:${started.port as number}`,
      'the enjambre seeder announced on the DHT',
      () => seeder.tail(5),
    );

    const config = path.join(root, `tx-config-${kind}`);
    const dir = path.join(root, `tx-dl-${kind}`);
    await fs.mkdir(config, { recursive: true });
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(config, 'dht.bootstrap'), bootstrap.join('\n') + '\n');
    const settings = {
      'dht-enabled': true,
      'lpd-enabled': false,
      'pex-enabled': false,
      'utp-enabled': false,
      'port-forwarding-enabled': false,
      'bind-address-ipv4': TX[kind],
      'peer-port': TX_PORT,
      'peer-port-random-on-start': false,
      'rpc-enabled': false,
      'message-level': 2,
      encryption: 0, // tolerated: our seeder speaks plain handshakes
    };
    await fs.writeFile(path.join(config, 'settings.json'), JSON.stringify(settings));
    const tx = new ManagedProcess(
      'transmission-dht',
      'ip',
      ns.exec(
        'stdbuf',
        '-o0',
        'transmission-cli',
        '-g',
        config,
        '-w',
        dir,
        '-M',
        '-U',
        kind === 'magnet' ? `magnet:?xt=urn:btih:${t.infoHash}` : torrentFile,
      ),
    );
    const want = sha1(t.files[0].data);
    const got = path.join(dir, t.files[0].path[0]);
    // Transmission keeps seeding once done; the file it wrote is checked until it is whole
    const done = waitFor(
      async () => {
        if (tx.hasExited) throw new GiveUp(`transmission-cli exited:\n${tx.tail()}`);
        if (seeder.hasExited) throw new GiveUp(`the seeder exited:\n${seeder.tail()}`);
        return (await sha1File(got)) === want;
      },
      240_000,
      'Transmission downloads the whole file',
      500,
    );
    await done.catch((err: Error) => {
      const status = seederLines.filter((l) => l.type === 'status').pop();
      throw new Error(`${err.message}\nseeder: ${JSON.stringify(status)}\n${tx.tail(30)}`);
    });
    // nothing but the DHT could name our seeder to it (no tracker, LPD or PEX), and the bytes
    // came from our seeder
    const seen = new Set(
      seederLines.filter((l) => l.type === 'status').flatMap((l) => l.peers as string[]),
    );
    expect([...seen].some((p) => p.startsWith(`${TX[kind]}:`) && /Transmission/.test(p))).toBe(
      true,
    );
    await waitFor(
      () =>
        seederLines.some(
          (l) => l.type === 'status' && (l.uploadedTotal as number) >= t.files[0].data.length,
        ),
      30_000,
      'the seeder counted the bytes it sent',
    );
    // Transmission announced itself (on its peer port) through the same DHT
    await announced(t.infoHash, `${TX[kind]}:${TX_PORT}`, 'Transmission announced itself', () =>
      tx.tail(30),
    );
    await tx.stop();
    await seeder.stop();
  });
});
