/**
 * Categories and tags set through the qBittorrent WebAPI show in the GUI as filter chips (real
 * `enjambre start`, real Chromium), and a chip filters the torrent list.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from './chromium';
import { freePort, makeTestData, makeTorrent } from '../peers';
import { StartedBridge, startBridge } from './bridge-process';

jest.setTimeout(180_000);

const WEB_ROOT = join(__dirname, '..', '..', 'client', 'web', 'dist', 'web', 'browser');
const SHOTS = join(__dirname, '..', '..', 'test-output', 'screenshots');

let tmp: string;
let bridge: StartedBridge;
let browser: Browser;
let rpcPort: number;

async function qb(path: string, body: FormData | URLSearchParams, sid: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${rpcPort}/api/v2/${path}`, {
    method: 'POST',
    headers: { cookie: `SID=${sid}` },
    body,
  });
  return res.text();
}

beforeAll(async () => {
  if (!existsSync(join(WEB_ROOT, 'index.html'))) {
    throw new Error(`the GUI is not built (${WEB_ROOT}): run \`npm run build:web\` first`);
  }
  await mkdir(SHOTS, { recursive: true });
  tmp = await mkdtemp(join(tmpdir(), 'enjambre-gui-labels-'));
  rpcPort = await freePort();
  bridge = await startBridge([
    '--data-dir',
    join(tmp, 'data'),
    '--download-dir',
    join(tmp, 'downloads'),
    '--web-root',
    WEB_ROOT,
    '--rpc-port',
    String(rpcPort),
  ]);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await bridge?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

test('the GUI shows categories and tags set through the qBittorrent API, and filters by them', async () => {
  const login = await fetch(`http://127.0.0.1:${rpcPort}/api/v2/auth/login`, {
    method: 'POST',
    body: new URLSearchParams({ username: 'radarr', password: bridge.token }),
  });
  const sid = /SID=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')![1];
  const add = async (name: string, fields: Record<string, string>) => {
    const data = await makeTestData(join(tmp, 'src', name), 40_000, name);
    const t = await makeTorrent(data.path, {
      announce: ['http://127.0.0.1:1/announce'],
      pieceLength: 32768,
    });
    const form = new FormData();
    form.append('torrents', new Blob([await readFile(t.torrentFile)]), `${name}.torrent`);
    form.append('stopped', 'true');
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    expect(await qb('torrents/add', form, sid)).toBe('Ok.');
    return t.infoHash;
  };
  const movie = await add('movie.mkv', { category: 'movies', tags: 'hd' });
  const song = await add('song.flac', { tags: 'music' });

  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  await page.goto(bridge.url);
  const labels = page.getByRole('group', { name: 'Categories and tags' });
  await labels.getByRole('button', { name: /movies\s*1/ }).waitFor();
  await labels.getByRole('button', { name: /#hd\s*1/ }).waitFor();
  await labels.getByRole('button', { name: /#music\s*1/ }).waitFor();
  await page.locator(`tr[data-hash="${song}"]`).waitFor();

  await labels.getByRole('button', { name: /movies/ }).click();
  await page.locator(`tr[data-hash="${song}"]`).waitFor({ state: 'detached' });
  await page.locator(`tr[data-hash="${movie}"]`).waitFor();
  await page.screenshot({ path: join(SHOTS, '20-label-chips.png'), fullPage: true });

  // A tag added later through the API appears without reloading the page.
  await qb('torrents/addTags', new URLSearchParams({ hashes: song, tags: 'later' }), sid);
  await labels.getByRole('button', { name: /#later\s*1/ }).waitFor({ timeout: 20_000 });
  await labels.getByRole('button', { name: /movies/ }).click();
  await page.locator(`tr[data-hash="${song}"]`).waitFor();
  await ctx.close();
});

test('Settings: own remote-control credentials replace the token', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  await page.goto(bridge.url);
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: 'Settings' })
    .click();
  const card = page.getByRole('region', { name: 'Remote control' });
  await card.getByText('Any user name, with the access token as the password.').waitFor();
  await card.getByLabel('User name').fill('sonarr');
  await card.getByLabel(/^Password/).fill('a good long password');
  await card.getByRole('button', { name: 'Set user and password' }).click();
  await card.getByTestId('remote-user').getByText('sonarr').waitFor();
  await page.screenshot({ path: join(SHOTS, '21-remote-control.png'), fullPage: true });
  const status = async (user: string, password: string) =>
    (
      await fetch(`http://127.0.0.1:${rpcPort}/transmission/rpc`, {
        headers: {
          authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
        },
      })
    ).status;
  expect(await status('sonarr', 'a good long password')).toBe(409);
  expect(await status('sonarr', bridge.token)).toBe(401);
  await card.getByRole('button', { name: 'Use the token again' }).click();
  await card.getByText('Any user name, with the access token as the password.').waitFor();
  expect(await status('anyone', bridge.token)).toBe(409);
  await ctx.close();
});
