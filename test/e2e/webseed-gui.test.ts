/**
 * The torrent detail in real Chromium shows a torrent's web seeds: one that served the whole
 * download, one set aside after a 416, each with its state, error and bytes.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, chromium } from 'playwright-core';
import { makeTorrent } from '../engine/helpers';
import { startSeedServer, type TestSeedServer } from '../engine/webseed-servers';
import { StartedBridge, startBridge } from './bridge-process';

jest.setTimeout(120_000);

const WEB_ROOT = join(__dirname, '..', '..', 'client', 'web', 'dist', 'web', 'browser');
const SHOTS = join(__dirname, '..', '..', 'test-output', 'screenshots');

let tmp: string;
let bridge: StartedBridge | undefined;
let browser: Browser | undefined;
const servers: TestSeedServer[] = [];

afterAll(async () => {
  await browser?.close();
  await bridge?.stop();
  await Promise.all(servers.map((s) => s.close()));
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

test('the peers tab lists the web seeds with their state, error and bytes', async () => {
  if (!existsSync(join(WEB_ROOT, 'index.html'))) {
    throw new Error(`the GUI is not built (${WEB_ROOT}): run \`npm run build:web\` first`);
  }
  await mkdir(SHOTS, { recursive: true });
  tmp = await mkdtemp(join(tmpdir(), 'enjambre-webseed-gui-'));
  const www = join(tmp, 'www');
  const good = await startSeedServer(www, 'range');
  const bad = await startSeedServer(www, '416');
  servers.push(good, bad);
  const t = await makeTorrent(www, 'talk.webm', 1_200_000, {
    pieceLength: 64 * 1024,
    urlList: [`${good.url}talk.webm`, `${bad.url}talk.webm`],
  });
  bridge = await startBridge([
    '--data-dir',
    join(tmp, 'data'),
    '--download-dir',
    join(tmp, 'downloads'),
    '--web-root',
    WEB_ROOT,
  ]);
  await bridge.api('POST', '/api/torrents', { torrent: t.torrent.toString('base64') });

  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
  const page = await (
    await browser.newContext({ viewport: { width: 1280, height: 800 } })
  ).newPage();
  await page.goto(bridge.url); // takes the token
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  await page.goto(`${bridge.origin}/torrents/${t.infoHash}`);
  await page
    .getByTestId('progress')
    .filter({ hasText: /^100%$/ })
    .waitFor({ timeout: 60_000 });
  await page.getByRole('tab', { name: 'Peers' }).click();
  const table = page.getByRole('table', { name: 'Web seeds' });
  const goodRow = table.getByRole('row').filter({ hasText: `${good.url}talk.webm` });
  const badRow = table.getByRole('row').filter({ hasText: `${bad.url}talk.webm` });
  await goodRow.filter({ hasText: 'idle' }).waitFor();
  expect(await goodRow.textContent()).toMatch(/1\.\d+ MB|1\.\d+ MiB|1,\d+ kB|\d+ KiB/);
  await badRow.filter({ hasText: /retry in \d+ min/ }).waitFor();
  expect(await badRow.textContent()).toContain('HTTP 416');
  await page.screenshot({ path: join(SHOTS, '15-detail-web-seeds.png'), fullPage: true });
});
