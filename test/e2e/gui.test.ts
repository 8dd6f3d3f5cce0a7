/**
 * The web GUI in real Chromium against two real bridges: A runs the embedded tracker and shares,
 * B finds A's share in the catalog and downloads it. Screenshots of every main screen go to
 * test-output/screenshots/ (look at them: they are the GUI's visual review).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { StartedBridge, startBridge } from './bridge-process';

jest.setTimeout(240_000);

const WEB_ROOT = join(__dirname, '..', '..', 'client', 'web', 'dist', 'web', 'browser');
const SHOTS = join(__dirname, '..', '..', 'test-output', 'screenshots');

interface TorrentStatus {
  infoHash: string;
  name: string;
  state: string;
  paused: boolean;
  progress: number;
}

interface FileStatus {
  index: number;
  path: string;
  priority: number;
}

let tmp: string;
let a: StartedBridge;
let b: StartedBridge;
let browser: Browser;
let ctxA: BrowserContext;
let ctxB: BrowserContext;
let pageA: Page;
let pageB: Page;
const source: Record<string, Buffer> = {};

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function nav(page: Page, label: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label }).click();
}

beforeAll(async () => {
  if (!existsSync(join(WEB_ROOT, 'index.html'))) {
    throw new Error(`the GUI is not built (${WEB_ROOT}): run \`npm run build:web\` first`);
  }
  await mkdir(SHOTS, { recursive: true });
  tmp = await mkdtemp(join(tmpdir(), 'enjambre-gui-'));
  const dlA = join(tmp, 'a-downloads');
  // What A shares: a folder with a nested file, and a second folder for the priority test.
  source['photos/beach.jpg'] = randomBytes(3 * 1024 * 1024 + 123);
  source['photos/notes/readme.txt'] = Buffer.from(
    'Holiday photos, shared with enjambre.\n'.repeat(50),
  );
  source['music/big.bin'] = randomBytes(4 * 1024 * 1024);
  source['music/small.txt'] = Buffer.from('a small file next to a big one\n'.repeat(400));
  for (const [rel, bytes] of Object.entries(source)) {
    const full = join(dlA, rel);
    await mkdir(join(full, '..'), { recursive: true });
    await writeFile(full, bytes);
  }
  a = await startBridge([
    '--with-tracker',
    '--data-dir',
    join(tmp, 'a-data'),
    '--download-dir',
    dlA,
    '--web-root',
    WEB_ROOT,
  ]);
  b = await startBridge([
    '--data-dir',
    join(tmp, 'b-data'),
    '--download-dir',
    join(tmp, 'b-downloads'),
    '--tracker',
    a.tracker!.grpc,
    // B's DHT node joins through A's (on A's peer port): the settings page shows its nodes
    '--dht-bootstrap',
    `127.0.0.1:${a.listenPort}`,
    '--web-root',
    WEB_ROOT,
  ]);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  ctxA = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  ctxB = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  pageA = await ctxA.newPage();
  pageB = await ctxB.newPage();
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([a?.stop(), b?.stop()]);
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

test('without the token the GUI says which URL to open', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  await page.goto(a.origin + '/');
  await page.getByRole('heading', { name: 'Open the URL the bridge printed' }).waitFor();
  await shot(page, '00-no-token');
  await ctx.close();
});

test('the token is taken from the URL and removed from the address bar', async () => {
  await pageA.goto(a.url);
  await pageA.getByRole('heading', { name: 'Nothing here yet' }).waitFor();
  expect(pageA.url()).not.toContain('token=');
  await pageA.getByText('Live').waitFor();
  await shot(pageA, '01-empty-list');
});

let photosHash: string;

test('share a folder in A: browse to it, hash it, get its magnet link', async () => {
  await nav(pageA, 'Share');
  // Type the folder that holds it, then browse from there.
  await pageA.locator('#share-path').fill(join(tmp, 'a-downloads'));
  await pageA.getByRole('button', { name: 'Browse' }).click();
  await pageA.getByRole('button', { name: 'photos' }).click();
  await pageA.getByText(/a-downloads\/photos$/).waitFor();
  await shot(pageA, '02-share-browse');
  await pageA.getByRole('button', { name: 'Share this folder' }).click();
  await pageA
    .getByRole('group', { name: 'Choose a file or folder' })
    .waitFor({ state: 'detached' });
  expect(await pageA.locator('#share-path').inputValue()).toMatch(/a-downloads\/photos$/);
  await pageA.getByTestId('share-submit').click();
  const magnet = pageA.getByTestId('share-magnet');
  await magnet.waitFor({ timeout: 120_000 });
  expect(await magnet.inputValue()).toMatch(/^magnet:\?xt=urn:btih:[0-9a-f]{40}/);
  photosHash = /btih:([0-9a-f]{40})/.exec(await magnet.inputValue())![1];
  await shot(pageA, '03-share-done');

  await nav(pageA, 'Torrents');
  const row = pageA.locator(`tr[data-hash="${photosHash}"]`);
  await row.getByText('Seeding').waitFor({ timeout: 120_000 });
  await shot(pageA, '04-list-seeding');
});

test("find it in B's catalog, download it, watch it reach 100%, bytes match", async () => {
  await pageB.goto(b.url);
  await nav(pageB, 'Catalog');
  const entry = pageB.locator(`tr[data-hash="${photosHash}"]`);
  for (let i = 0; i < 60 && !(await entry.isVisible()); i++) {
    await pageB.getByRole('button', { name: 'Refresh' }).click();
    await pageB.waitForTimeout(1000);
  }
  await entry.waitFor();
  expect(await entry.textContent()).toContain('photos');
  await shot(pageB, '05-catalog');
  await entry.getByRole('button', { name: 'Download photos' }).click();
  await entry.getByRole('link', { name: 'Added' }).click();

  await pageB.getByRole('heading', { name: 'photos' }).waitFor();
  await pageB
    .getByTestId('progress')
    .filter({ hasText: /^100%$/ })
    .waitFor({ timeout: 180_000 });
  for (const rel of ['photos/beach.jpg', 'photos/notes/readme.txt']) {
    expect((await readFile(join(tmp, 'b-downloads', rel))).equals(source[rel])).toBe(true);
  }
  await pageB.waitForTimeout(2500); // a few speed samples for the chart
  await shot(pageB, '06-detail-overview');
});

test('pause and resume from the detail page', async () => {
  await pageB.getByTestId('pause').click();
  await pageB.getByTestId('state').filter({ hasText: 'Paused' }).waitFor();
  expect((await b.api<TorrentStatus>('GET', `/api/torrents/${photosHash}`)).paused).toBe(true);
  await pageB.getByTestId('resume').click();
  await pageB.getByTestId('pause').waitFor();
  const after = await b.api<TorrentStatus>('GET', `/api/torrents/${photosHash}`);
  expect(after.paused).toBe(false);
  expect(after.state).not.toBe('paused');
});

test('files, peers and trackers tabs', async () => {
  await pageB.getByRole('tab', { name: 'Files' }).click();
  const beach = pageB.locator('tr[data-file="beach.jpg"]');
  await beach.waitFor();
  await shot(pageB, '07-detail-files');
  // "Open" streams the file through the bridge, with the token in the link; ranges work.
  const href = await beach.getByRole('link', { name: 'Open beach.jpg' }).getAttribute('href');
  expect(href).toMatch(/\/files\/\d+\/stream\?token=/);
  const ranged = await pageB.request.get(b.origin + href!, { headers: { Range: 'bytes=100-199' } });
  expect(ranged.status()).toBe(206);
  expect((await ranged.body()).equals(source['photos/beach.jpg'].subarray(100, 200))).toBe(true);
  await pageB.getByRole('tab', { name: 'Peers' }).click();
  await pageB.getByRole('table', { name: 'Peers' }).waitFor();
  await pageB.getByRole('columnheader', { name: 'Found via' }).waitFor();
  await shot(pageB, '08-detail-peers');
  await pageB.getByRole('tab', { name: 'Trackers' }).click();
  await pageB
    .getByRole('cell', { name: new RegExp(a.tracker!.grpc.replace(/[.:/]/g, '.')) })
    .waitFor();
  await shot(pageB, '09-detail-trackers');
});

test('a skipped file is not downloaded; the others are', async () => {
  // Setup through A's API: the GUI part of sharing is covered above.
  const { id } = await a.api<{ id: string }>('POST', '/api/shares', {
    path: join(tmp, 'a-downloads', 'music'),
  });
  let job: { state: string; infoHash?: string; error?: string };
  do {
    await new Promise((r) => setTimeout(r, 300));
    job = await a.api('GET', `/api/shares/${id}`);
  } while (job.state === 'hashing');
  expect(job.error).toBeUndefined();
  const musicHash = job.infoHash!;
  const torrentFile = join(tmp, 'music.torrent');
  await writeFile(torrentFile, await a.api<Buffer>('GET', `/api/torrents/${musicHash}/torrent`));

  await nav(pageB, 'Torrents');
  await pageB.getByTestId('open-add').click();
  await pageB.getByTestId('torrent-file').setInputFiles(torrentFile);
  await pageB.getByText('Options').click();
  await pageB.getByLabel('Start paused').check();
  await shot(pageB, '10-add-file');
  await pageB.getByTestId('add-submit').click();
  const row = pageB.locator(`tr[data-hash="${musicHash}"]`);
  await row.getByText('Paused').waitFor();
  await row.getByRole('link', { name: 'music' }).click();

  await pageB.getByRole('tab', { name: 'Files' }).click();
  const big = pageB.locator('tr[data-file="big.bin"]');
  await big.getByRole('combobox').selectOption('0');
  for (let i = 0; i < 50; i++) {
    const files = await b.api<FileStatus[]>('GET', `/api/torrents/${musicHash}/files`);
    if (files.find((f) => f.path === 'big.bin')?.priority === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const files = await b.api<FileStatus[]>('GET', `/api/torrents/${musicHash}/files`);
  expect(files.find((f) => f.path === 'big.bin')?.priority).toBe(0);
  expect(files.find((f) => f.path === 'small.txt')?.priority).toBe(1);

  await pageB.getByTestId('resume').click();
  await pageB
    .getByTestId('progress')
    .filter({ hasText: /^100%$/ })
    .waitFor({ timeout: 180_000 });
  await pageB.locator('tr[data-file="small.txt"]').getByText('100%').waitFor();
  await shot(pageB, '11-detail-files-skipped');
  expect(
    (await readFile(join(tmp, 'b-downloads', 'music/small.txt'))).equals(source['music/small.txt']),
  ).toBe(true);
  const bigPath = join(tmp, 'b-downloads', 'music/big.bin');
  if (existsSync(bigPath)) {
    expect((await readFile(bigPath)).equals(source['music/big.bin'])).toBe(false);
  }
});

test('a bad magnet link and a broken .torrent are refused with words', async () => {
  await nav(pageB, 'Torrents');
  await pageB.getByTestId('open-add').click();
  await pageB.getByRole('tab', { name: 'Magnet link' }).click();
  await pageB.getByRole('textbox', { name: 'Magnet link' }).fill('magnet:?xt=urn:btih:not-a-hash');
  await pageB.getByTestId('add-submit').click();
  await pageB.getByText('The hash in this magnet link is not a BitTorrent info-hash.').waitFor();
  await shot(pageB, '12-add-bad-magnet');

  // A file that passes the browser's checks reaches the bridge, whose refusal is shown.
  const broken = join(tmp, 'broken.torrent');
  await writeFile(broken, 'this is not bencode');
  await pageB.getByRole('tab', { name: 'Torrent file' }).click();
  await pageB.getByTestId('torrent-file').setInputFiles(broken);
  await pageB.getByTestId('add-submit').click();
  const error = pageB.getByTestId('add-error');
  await error.waitFor();
  expect((await error.textContent())!.trim().length).toBeGreaterThan(5);
  await pageB.getByRole('button', { name: 'Cancel' }).click();
});

test('settings show the tracker cluster', async () => {
  await nav(pageB, 'Settings');
  await pageB.getByLabel('Download folder').waitFor();
  await pageB.getByText('Healthy').waitFor({ timeout: 30_000 });
  // the DHT card counts the nodes B's node knows: at least A's, which it bootstrapped from
  const dht = pageB.getByTestId('dht-status');
  let nodes = 0;
  for (const deadline = Date.now() + 30_000; nodes < 1 && Date.now() < deadline;) {
    await dht.getByRole('button', { name: 'Refresh' }).click();
    await pageB.waitForTimeout(300);
    nodes = Number(await dht.getByTestId('dht-nodes').textContent());
  }
  expect(nodes).toBeGreaterThanOrEqual(1);
  await dht.getByText('Connected to few nodes').waitFor();
  expect(await pageB.getByTestId('dht-enabled').isChecked()).toBe(true);
  await shot(pageB, '13-settings');

  // A bad value is named next to its field and nothing is sent; a good one is saved.
  await pageB.getByLabel('Upload').fill('fast');
  await pageB.getByRole('button', { name: 'Save settings' }).click();
  await pageB.getByText('KiB/s as a whole number; 0 means unlimited.').waitFor();
  await pageB.getByLabel('Upload').fill('2048');
  await pageB.getByRole('button', { name: 'Save settings' }).click();
  await pageB.getByText('Settings saved.').waitFor();
  const saved = await b.api<{ uploadRateLimit: number }>('GET', '/api/settings');
  expect(saved.uploadRateLimit).toBe(2048 * 1024);
});

test('phone width and dark mode', async () => {
  const ctx = await browser.newContext({
    viewport: { width: 390, height: 844 },
    colorScheme: 'dark',
    isMobile: true,
  });
  const page = await ctx.newPage();
  await page.goto(b.url);
  await page.locator(`tr[data-hash="${photosHash}"]`).waitFor();
  await shot(page, '14-phone-dark-list');
  await page.locator(`tr[data-hash="${photosHash}"]`).getByRole('link', { name: 'photos' }).click();
  await page.getByTestId('progress').waitFor();
  await shot(page, '15-phone-dark-detail');
  await ctx.close();
});

test('remove with its data, after confirming', async () => {
  await nav(pageB, 'Torrents');
  const row = pageB.locator(`tr[data-hash="${photosHash}"]`);
  await row.getByRole('button', { name: 'Remove photos' }).click();
  const dialog = pageB.getByRole('dialog', { name: 'Remove torrent?' });
  await dialog.getByLabel('Also delete the downloaded files from disk').check();
  await shot(pageB, '16-remove-dialog');
  await dialog.getByTestId('confirm-remove').click();
  await row.waitFor({ state: 'detached' });
  for (let i = 0; i < 50 && existsSync(join(tmp, 'b-downloads', 'photos')); i++) {
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(existsSync(join(tmp, 'b-downloads', 'photos', 'beach.jpg'))).toBe(false);
  const list = await b.api<TorrentStatus[]>('GET', '/api/torrents');
  expect(list.map((t) => t.infoHash)).not.toContain(photosHash);
});
