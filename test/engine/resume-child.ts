// Child process of resume.test.ts: downloads a torrent and prints its progress as JSON lines until
// it is killed.
import { readFileSync } from 'node:fs';
import { Session } from '@enjambre/engine';

async function main(): Promise<void> {
  const [dataDir, downloadDir, torrentFile, peer] = process.argv.slice(3);
  const s = new Session({ dataDir, downloadDir, listenHost: '127.0.0.1' });
  await s.start();
  const t = await s.add({ torrent: readFileSync(torrentFile) }, { downloadDir });
  t.addPeer(peer);
  setInterval(() => {
    const st = t.status();
    process.stdout.write(
      JSON.stringify({
        downloaded: st.downloaded,
        downloadedTotal: st.downloadedTotal,
        state: st.state,
      }) + '\n',
    );
  }, 100);
}
void main();
