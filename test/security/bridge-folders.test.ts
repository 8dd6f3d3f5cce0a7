/**
 * Red team: what the bridge's API may read, share from and write into. The allowed folders are
 * fixed when the daemon starts; symlinks, `..` segments, paths whose tail does not exist yet and
 * dot-folders must not get a caller past them, and no setting widens them.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { auth, Fixture, raw, removeDir, startFixture, tempDir, waitFor } from './bridge-helpers';
import { testDaemon } from '../bridge/helpers';

jest.setTimeout(180_000);

let fx: Fixture;
let outside: string;

beforeAll(async () => {
  fx = await startFixture(await tempDir('sec-folders'));
  outside = join(fx.root, 'outside');
  await mkdir(outside);
  await writeFile(join(outside, 'secret'), 'outside the allowed folder');
  await symlink(outside, join(fx.allowed, 'escape'));
  await symlink(join(outside, 'secret'), join(fx.allowed, 'escape-file'));
  await mkdir(join(fx.allowed, '.ssh'));
  await writeFile(join(fx.allowed, '.ssh', 'id_ed25519'), 'a private key');
});
afterAll(async () => {
  await fx?.daemon.close();
  if (fx) await removeDir(fx.root);
});

function call(method: string, path: string, body?: unknown) {
  return raw(fx.daemon.apiPort, {
    method,
    path,
    headers: {
      ...auth(fx.daemon),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}
const q = encodeURIComponent;
const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

/** Paths that lead out of the allowed folder, each in its own way. */
function escapes(): string[] {
  const a = fx.allowed;
  return [
    outside,
    join(outside, 'secret'),
    '/',
    '/etc',
    join(a, 'escape'),
    join(a, 'escape', 'secret'),
    join(a, 'escape-file'),
    `${a}/missing/../../outside`,
    `${a}/missing/../../outside/secret`,
    `${a}/../outside/secret`,
    `${a}/./../outside`,
    `${a}/downloads/../../outside`,
    `${a}/missing/deeper/../../../outside/new`,
    join(fx.root, 'data'),
    join(fx.root, 'data', 'token'),
  ];
}

describe('the folder browser', () => {
  test('lists the allowed folder without dot-entries or links that lead out', async () => {
    const a = await call('GET', `/api/fs?path=${q(fx.allowed)}`);
    expect(a.status).toBe(200);
    const names = (JSON.parse(a.text) as { entries: { name: string }[] }).entries.map(
      (e) => e.name,
    );
    expect(names).toEqual(expect.arrayContaining(['downloads', 'shared.txt']));
    expect(names).not.toContain('.ssh');
    expect(names).not.toContain('escape');
    expect(names).not.toContain('escape-file');
    const hidden = await call('GET', `/api/fs?path=${q(fx.allowed)}&hidden=1`);
    expect(
      (JSON.parse(hidden.text) as { entries: { name: string }[] }).entries.map((e) => e.name),
    ).toContain('.ssh');
  });

  test('opens a dot-folder only when asked, and nothing outside', async () => {
    const ssh = join(fx.allowed, '.ssh');
    expect((await call('GET', `/api/fs?path=${q(ssh)}`)).status).toBe(403);
    expect((await call('GET', `/api/fs?path=${q(`${fx.allowed}/downloads/../.ssh`)}`)).status).toBe(
      403,
    );
    const asked = await call('GET', `/api/fs?path=${q(ssh)}&hidden=true`);
    expect(asked.status).toBe(200);
    expect(asked.text).toMatch(/id_ed25519/);
    for (const p of escapes()) {
      for (const hidden of ['', '&hidden=1']) {
        const a = await call('GET', `/api/fs?path=${q(p)}${hidden}`);
        expect([p, hidden, a.status]).toEqual([p, hidden, a.status === 404 ? 404 : 403]);
        expect(a.text).not.toMatch(/entries/);
      }
    }
  });
});

describe('shares', () => {
  test('a path that leads out of the allowed folders is refused', async () => {
    for (const p of [...escapes(), join(fx.root, 'data', '..')]) {
      const a = await call('POST', '/api/shares', { path: p });
      expect([p, a.status]).toEqual([p, a.status === 404 ? 404 : 403]);
    }
    // A folder that holds the daemon's data folder (its token) cannot be shared either.
    expect((await call('POST', '/api/shares', { path: fx.root })).status).toBe(403);
  });

  test('a shared folder with a link inside that leads out fails, and publishes nothing', async () => {
    const album = join(fx.allowed, 'album');
    await mkdir(album);
    await writeFile(join(album, 'song.mp3'), randomBytes(1000));
    await symlink(join(outside, 'secret'), join(album, 'bonus.mp3'));
    const res = await call('POST', '/api/shares', { path: album });
    expect(res.status).toBe(202);
    const { id } = JSON.parse(res.text) as { id: string };
    const job = await waitFor('the share', async () => {
      const j = JSON.parse((await call('GET', `/api/shares/${id}`)).text) as {
        state: string;
        error?: string;
        infoHash?: string;
      };
      return j.state === 'hashing' ? undefined : j;
    });
    expect(job).toMatchObject({ state: 'error', error: expect.stringMatching(/links outside/) });
    expect(job.infoHash).toBeUndefined();
  });

  test('removing a share with its data keeps the originals unless asked for them too', async () => {
    const mine = join(fx.allowed, 'mine');
    await mkdir(mine);
    await writeFile(join(mine, 'photo.jpg'), randomBytes(50_000));
    const share = async () => {
      const job = JSON.parse((await call('POST', '/api/shares', { path: mine })).text) as {
        id: string;
      };
      return waitFor('the share', async () => {
        const j = JSON.parse((await call('GET', `/api/shares/${job.id}`)).text) as {
          state: string;
          infoHash?: string;
        };
        return j.state === 'done' ? j.infoHash : undefined;
      });
    };
    let id = await share();
    expect((await call('DELETE', `/api/torrents/${id}?deleteData=true`)).status).toBe(204);
    expect((await call('GET', `/api/torrents/${id}`)).status).toBe(404);
    expect((await readFile(join(mine, 'photo.jpg'))).length).toBe(50_000);

    id = await share();
    expect(
      (await call('DELETE', `/api/torrents/${id}?deleteData=true&deleteOriginals=true`)).status,
    ).toBe(204);
    expect(await exists(join(mine, 'photo.jpg'))).toBe(false);
  });
});

describe('download folders', () => {
  const magnet = () => `magnet:?xt=urn:btih:${randomBytes(20).toString('hex')}`;

  test('an added torrent cannot be saved outside, and nothing is created there', async () => {
    for (const p of escapes()) {
      const a = await call('POST', '/api/torrents', { magnet: magnet(), downloadDir: p });
      expect([p, a.status]).toEqual([p, 403]);
    }
    expect(await exists(join(fx.allowed, 'missing'))).toBe(false);
    expect(await exists(join(outside, 'new'))).toBe(false);
    const inside = await call('POST', '/api/torrents', {
      magnet: magnet(),
      downloadDir: `${fx.allowed}/new/../downloads/one`,
      paused: true,
    });
    expect(inside.status).toBe(201);
    const t = JSON.parse(inside.text) as { infoHash: string; downloadDir: string };
    expect(t.downloadDir).toBe(join(fx.allowed, 'downloads', 'one'));
    expect((await call('DELETE', `/api/torrents/${t.infoHash}`)).status).toBe(204);
  });

  test('settings: the allowed folders cannot be changed, the download folder stays inside', async () => {
    const before = JSON.parse((await call('GET', '/api/settings')).text) as Record<string, unknown>;
    expect(before.allowedFolders).toEqual([fx.allowed]);
    for (const body of [
      { allowedRoots: ['/'] },
      { allowedFolders: ['/'] },
      { allowedRoots: [fx.allowed] },
      ...escapes().map((p) => ({ downloadDir: p })),
    ]) {
      const a = await call('PUT', '/api/settings', body);
      expect([body, a.status]).toEqual([body, 403]);
    }
    expect(JSON.parse((await call('GET', '/api/settings')).text)).toEqual(before);
    const moved = await call('PUT', '/api/settings', {
      downloadDir: `${fx.allowed}/missing/../later`,
    });
    expect(moved.status).toBe(200);
    expect(JSON.parse(moved.text)).toMatchObject({
      downloadDir: join(fx.allowed, 'later'),
      allowedFolders: [fx.allowed],
    });
    expect(await exists(join(fx.allowed, 'later'))).toBe(true);
    expect(await exists(join(fx.allowed, 'missing'))).toBe(false);
  });
});

describe('settings stored by an older version', () => {
  test('load, keep their values, and their allowedRoots no longer widen anything', async () => {
    const root = await tempDir('sec-legacy');
    const dl = join(root, 'dl');
    const dataDir = join(root, 'data');
    const db = new ClassicLevel<string, string>(join(dataDir, 'bridge-db'), {
      valueEncoding: 'utf8',
    });
    await db.put(
      'settings',
      JSON.stringify({
        downloadDir: dl,
        listenPort: 0,
        maxPeers: 42,
        uploadRateLimit: 1000,
        downloadRateLimit: 0,
        trackers: ['http://127.0.0.1:1/announce'],
        allowedRoots: ['/', outside],
      }),
    );
    await db.close();
    // No --allow-folder: the home folder and the download folder.
    const d = await testDaemon(dataDir, { downloadDir: undefined });
    try {
      const get = (path: string) => raw(d.apiPort, { path, headers: auth(d) });
      const s = JSON.parse((await get('/api/settings')).text) as Record<string, unknown>;
      expect(s).toMatchObject({
        downloadDir: dl,
        maxPeers: 42,
        uploadRateLimit: 1000,
        trackers: ['http://127.0.0.1:1/announce'],
        allowedFolders: [homedir(), dl],
      });
      expect(s).not.toHaveProperty('allowedRoots');
      expect((await get(`/api/fs?path=${q('/')}`)).status).toBe(403);
      expect((await get(`/api/fs?path=${q(outside)}`)).status).toBe(403);
      expect((await get(`/api/fs?path=${q(dl)}`)).status).toBe(200);
    } finally {
      await d.close();
      await removeDir(root);
    }
  });
});

describe('the config file', () => {
  test('allowFolders in config.json, which --allow-folder overrides; a bad one stops the start', async () => {
    const root = await tempDir('sec-config');
    const dataDir = join(root, 'data');
    const media = join(root, 'media');
    await mkdir(dataDir, { recursive: true });
    await mkdir(media);
    try {
      await writeFile(join(dataDir, 'config.json'), JSON.stringify({ allowFolders: [media] }));
      const settingsOf = async (opts: { allowFolders?: string[] }) => {
        const d = await testDaemon(dataDir, opts);
        try {
          return JSON.parse(
            (await raw(d.apiPort, { path: '/api/settings', headers: auth(d) })).text,
          ) as {
            allowedFolders: string[];
          };
        } finally {
          await d.close();
        }
      };
      const dl = join(dataDir, 'downloads');
      expect((await settingsOf({})).allowedFolders).toEqual([media, dl]);
      expect((await settingsOf({ allowFolders: [outside] })).allowedFolders).toEqual([outside, dl]);
      await writeFile(join(dataDir, 'config.json'), JSON.stringify({ allowFolders: ['media'] }));
      await expect(testDaemon(dataDir)).rejects.toThrow(
        /config\.json: not an absolute path: media/,
      );
    } finally {
      await removeDir(root);
    }
  });
});
