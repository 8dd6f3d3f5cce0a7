/**
 * Transmission's own web UI (Debian's, /usr/share/transmission/web) in real Chromium, served by
 * the bridge's remote-control port: it logs in with Basic auth, does the session-id handshake,
 * lists a torrent added through the RPC with its name and size, and stops it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from './chromium';
import type { RunningDaemon } from '@enjambre/bridge';
import { makeTestData, makeTorrent } from '../peers';
import { removeDir, rpcDaemon, tempDir, trClient, waitFor } from '../rpc/helpers';

jest.setTimeout(120_000);

let root: string;
let d: RunningDaemon;
let browser: Browser;
let infoHash: string;

beforeAll(async () => {
  root = await tempDir('rpc-tr-web');
  d = await rpcDaemon(join(root, 'daemon'));
  const data = await makeTestData(join(root, 'src', 'web-ui.bin'), 2_000_000, 'w');
  const t = await makeTorrent(data.path, {
    announce: ['http://127.0.0.1:1/announce'],
    pieceLength: 65536,
  });
  infoHash = t.infoHash;
  const add = await trClient(d).call('torrent-add', {
    metainfo: (await readFile(t.torrentFile)).toString('base64'),
  });
  expect(add.result).toBe('success');
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await d?.close();
  await removeDir(root);
});

test('the web UI lists the torrent and stops it', async () => {
  const ctx = await browser.newContext({
    httpCredentials: { username: 'me', password: d.token },
    viewport: { width: 1280, height: 800 },
  });
  const page = await ctx.newPage();
  await page.goto(`http://127.0.0.1:${d.rpcPort}/transmission/web/`);
  const row = page.locator('#torrent_list li.torrent').first();
  await row.locator('.torrent_name', { hasText: 'web-ui.bin' }).waitFor();
  await row.locator('.torrent_progress_details', { hasText: /of 2\.00 MB/ }).waitFor();
  await row.click();
  await page.locator('#toolbar-pause').click();
  await waitFor('the torrent to stop', () =>
    d.bridge.get(infoHash).status().paused ? true : undefined,
  );
  await row.locator('.torrent_peer_details', { hasText: /Paused/ }).waitFor();
  await ctx.close();
});
