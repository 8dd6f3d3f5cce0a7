// An enjambre engine Session in its own process, for tests that run it inside a network
// namespace (lsd-lan.test.ts, transmission.test.ts); started through test/engine/ts-child.js.
// Argument: JSON {"dir": folder for its state, "listenHost": ip, "lsd": {...LsdOptions} | false,
//  "dht"?: {"bootstrap": ["ip:port", ...]} (default: no DHT), "torrent": .torrent file,
//  "downloadDir": folder, "seed": bool, "uploadRateLimit"?: bytes/s}.
// Prints JSON lines: "started" with the peer port, then "status" (progress, state, peersFound,
// uploadedTotal, peers as "address client") every 250 ms. Exits on SIGTERM.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Session } from '@enjambre/engine';

interface Config {
  dir: string;
  listenHost: string;
  lsd: false | { interface?: string };
  dht?: { bootstrap: string[] };
  torrent: string;
  downloadDir: string;
  seed: boolean;
  uploadRateLimit?: number;
}

const cfg = JSON.parse(process.argv[3]) as Config;
const print = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');

async function main(): Promise<void> {
  const s = new Session({
    dataDir: path.join(cfg.dir, 'data'),
    downloadDir: cfg.downloadDir,
    listenHost: cfg.listenHost,
    dht: cfg.dht ? { bootstrap: cfg.dht.bootstrap, queryTimeoutMs: 1500 } : false,
    uploadRateLimit: cfg.uploadRateLimit ?? 0,
    lsd: cfg.lsd === false ? false : { ...cfg.lsd, ipv6: false },
  });
  await s.start();
  const t = await s.add(
    { torrent: readFileSync(cfg.torrent) },
    { downloadDir: cfg.downloadDir, seedMode: cfg.seed },
  );
  print({ type: 'started', port: s.port, lsd: s.lsd !== undefined, dht: s.dht !== undefined });
  const timer = setInterval(() => {
    const st = t.status();
    print({
      type: 'status',
      progress: st.progress,
      state: st.state,
      peersFound: st.peersFound,
      uploadedTotal: st.uploadedTotal,
      peers: t.peers().map((p) => `${p.address} ${p.client}`),
    });
  }, 250);
  process.on('SIGTERM', () => {
    clearInterval(timer);
    void s.close().then(() => process.exit(0));
  });
}

main().catch((err: Error) => {
  print({ type: 'error', message: err.message });
  process.exit(1);
});
