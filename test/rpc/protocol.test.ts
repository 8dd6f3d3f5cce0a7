/**
 * The remote-control protocols at their edges, against a real daemon: the Transmission 401 and
 * 409 handshakes, trailing slash, form-labelled JSON, ids by hash, unknown hashes, malformed JSON
 * and multipart bodies (clear 4xx, never a 5xx), qBittorrent's SID, Origin and ban rules, rid
 * increments; a property test that random bodies never crash either API; no call without
 * credentials gets data; categories and tags survive a restart.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import type { RunningDaemon } from '@enjambre/bridge';
import { api, rawGet } from '../bridge/helpers';
import { makeTestData, makeTorrent } from '../peers';
import { basic, http, qbClient, removeDir, rpcDaemon, tempDir, trClient, waitFor } from './helpers';

jest.setTimeout(180_000);

interface Maindata {
  rid: number;
  full_update?: boolean;
  torrents: Record<string, Record<string, unknown>>;
  categories?: Record<string, unknown>;
}

let root: string;
let d: RunningDaemon;
let torrent: Buffer;
let infoHash: string;

const TR_METHODS = [
  'session-get',
  'session-set',
  'session-stats',
  'torrent-get',
  'torrent-add',
  'torrent-start',
  'torrent-start-now',
  'torrent-stop',
  'torrent-verify',
  'torrent-reannounce',
  'torrent-remove',
  'torrent-set',
  'torrent-set-location',
  'queue-move-top',
  'queue-move-up',
  'queue-move-down',
  'queue-move-bottom',
  'free-space',
  'port-test',
];

const QB_ENDPOINTS = [
  'auth/logout',
  'app/version',
  'app/webapiVersion',
  'app/buildInfo',
  'app/preferences',
  'app/setPreferences',
  'app/defaultSavePath',
  'transfer/info',
  'log/main',
  'sync/maindata',
  'sync/torrentPeers',
  'torrents/info',
  'torrents/properties',
  'torrents/files',
  'torrents/trackers',
  'torrents/webseeds',
  'torrents/pieceStates',
  'torrents/add',
  'torrents/start',
  'torrents/stop',
  'torrents/pause',
  'torrents/resume',
  'torrents/delete',
  'torrents/recheck',
  'torrents/reannounce',
  'torrents/setLocation',
  'torrents/filePrio',
  'torrents/categories',
  'torrents/createCategory',
  'torrents/setCategory',
  'torrents/tags',
  'torrents/addTags',
  'torrents/removeTags',
  'torrents/setShareLimits',
  'torrents/setUploadLimit',
  'torrents/setDownloadLimit',
  'torrents/uploadLimit',
  'torrents/downloadLimit',
  'torrents/setForceStart',
  'torrents/setSuperSeeding',
  'torrents/toggleSequentialDownload',
  'torrents/topPrio',
  'torrents/bottomPrio',
];

beforeAll(async () => {
  root = await tempDir('rpc-protocol');
  d = await rpcDaemon(join(root, 'daemon'));
  const data = await makeTestData(join(root, 'src', 'file.bin'), 100_000, 'p');
  const t = await makeTorrent(data.path, {
    announce: ['http://127.0.0.1:1/announce'],
    pieceLength: 32768,
  });
  torrent = await readFile(t.torrentFile);
  infoHash = t.infoHash;
  const add = await trClient(d).call('torrent-add', {
    metainfo: torrent.toString('base64'),
    paused: true,
  });
  expect(add.result).toBe('success');
});

afterAll(async () => {
  await d?.close();
  await removeDir(root);
});

describe('Transmission RPC', () => {
  const body = JSON.stringify({ method: 'session-get' });

  test('401 with WWW-Authenticate without credentials, and with a wrong password', async () => {
    for (const headers of [
      {},
      { authorization: basic('x', 'wrong') },
      { authorization: 'Bearer x' },
    ] as Record<string, string>[]) {
      for (const method of ['GET', 'POST']) {
        const r = await http(d.rpcPort, '/transmission/rpc', {
          method,
          headers,
          ...(method === 'POST' ? { body } : {}),
        });
        expect(r.status).toBe(401);
        expect(r.headers.get('www-authenticate')).toBe('Basic realm="Transmission"');
        expect(r.text).not.toContain('session-id');
        expect(r.headers.get('x-transmission-session-id')).toBeNull();
      }
    }
  });

  test('409 carrying the session id on a bare GET and on a POST without it; then it works', async () => {
    const auth = { authorization: basic('anyone', d.token) };
    const get = await http(d.rpcPort, '/transmission/rpc', { headers: auth });
    expect(get.status).toBe(409);
    const id = get.headers.get('x-transmission-session-id');
    expect(id).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const post = await http(d.rpcPort, '/transmission/rpc', {
      method: 'POST',
      headers: auth,
      body,
    });
    expect(post.status).toBe(409);
    expect(post.headers.get('x-transmission-session-id')).toBe(id);
    const wrong = await http(d.rpcPort, '/transmission/rpc', {
      method: 'POST',
      headers: { ...auth, 'x-transmission-session-id': 'stale' },
      body,
    });
    expect(wrong.status).toBe(409);
    const ok = await http(d.rpcPort, '/transmission/rpc', {
      method: 'POST',
      headers: { ...auth, 'x-transmission-session-id': id! },
      body,
    });
    expect(ok.status).toBe(200);
    expect(ok.json<{ arguments: Record<string, unknown> }>().arguments['session-id']).toBe(id);
  });

  test('with and without the trailing slash, JSON labelled as form data, tag echoed', async () => {
    const c = trClient(d);
    for (const path of ['/transmission/rpc', '/transmission/rpc/']) {
      const r = await c.raw(JSON.stringify({ method: 'session-stats', tag: 7 }), path);
      expect(r.status).toBe(200);
      expect(r.json()).toMatchObject({ result: 'success', tag: 7 });
    }
    const auth = basic('a', d.token);
    const sid = (
      await http(d.rpcPort, '/transmission/rpc', { headers: { authorization: auth } })
    ).headers.get('x-transmission-session-id')!;
    const form = await http(d.rpcPort, '/transmission/rpc/', {
      method: 'POST',
      headers: {
        authorization: auth,
        'x-transmission-session-id': sid,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: JSON.stringify({ method: 'torrent-get', arguments: { fields: ['id', 'name'] } }),
    });
    expect(form.json()).toEqual({
      result: 'success',
      arguments: { torrents: [{ id: 1, name: 'file.bin' }] },
    });
  });

  test('ids by hash and number, unknown ones, the table format, integer types', async () => {
    const c = trClient(d);
    const byHash = await c.call('torrent-get', {
      ids: [infoHash.toUpperCase()],
      fields: ['id', 'hashString'],
    });
    expect(byHash.arguments).toEqual({ torrents: [{ id: 1, hashString: infoHash }] });
    const byId = await c.call('torrent-get', { ids: 1, fields: ['hashString'] });
    expect(byId.arguments).toEqual({ torrents: [{ hashString: infoHash }] });
    const unknown = await c.call('torrent-get', { ids: ['f'.repeat(40), 999], fields: ['id'] });
    expect(unknown).toEqual({ result: 'success', arguments: { torrents: [] } });
    const bad = await c.call('torrent-get', { ids: [{}], fields: ['id'] });
    expect(bad.result).toMatch(/invalid id/);
    const table = await c.call('torrent-get', { format: 'table', fields: ['id', 'name', 'nope'] });
    expect(table.arguments).toEqual({
      torrents: [
        ['id', 'name'],
        [1, 'file.bin'],
      ],
    });
    const all = await c.call<{ torrents: Record<string, unknown>[] }>('torrent-get', {
      fields: [
        'eta',
        'id',
        'rateDownload',
        'rateUpload',
        'sizeWhenDone',
        'status',
        'totalSize',
        'addedDate',
        'leftUntilDone',
        'error',
      ],
    });
    for (const [k, v] of Object.entries(all.arguments.torrents[0])) {
      expect([k, Number.isInteger(v)]).toEqual([k, true]);
    }
    expect(all.arguments.torrents[0].status).toBe(0); // added paused: stopped
    const inherited = await c.call('torrent-get', {
      fields: ['id', 'constructor', '__proto__', 'toString', 'hasOwnProperty'],
    });
    expect(inherited.arguments).toEqual({ torrents: [{ id: 1 }] });
    const session = await c.call('session-get', {
      fields: ['version', 'constructor', '__proto__'],
    });
    expect(Object.keys(session.arguments)).toEqual(['version']);
    const none = await c.call('torrent-get', {});
    expect(none.result).toBe('no fields specified');
  });

  test('recently-active lists changed torrents and removed ids', async () => {
    const c = trClient(d);
    const magnet = `magnet:?xt=urn:btih:${'d'.repeat(40)}&dn=gone`;
    const added = await c.call<{ 'torrent-added': { id: number } }>('torrent-add', {
      filename: magnet,
    });
    const id = added.arguments['torrent-added'].id;
    expect((await c.call('torrent-remove', { ids: [id] })).result).toBe('success');
    const recent = await c.call<{ torrents: unknown[]; removed: number[] }>('torrent-get', {
      ids: 'recently-active',
      fields: ['id'],
    });
    expect(recent.arguments.removed).toContain(id);
  });

  test('duplicates, garbage metainfo, bad arguments: a result string, never a 5xx', async () => {
    const c = trClient(d);
    const dup = await c.call('torrent-add', { metainfo: torrent.toString('base64') });
    expect(dup.arguments).toEqual({
      'torrent-duplicate': { hashString: infoHash, id: 1, name: 'file.bin' },
    });
    for (const args of [
      { metainfo: 'not base64!' },
      { metainfo: Buffer.from('d4:infoi1ee').toString('base64') },
      { filename: 'relative/path.torrent' },
      { filename: '/etc/passwd' },
      {},
      { metainfo: 'x', filename: 'y' },
      { metainfo: 42 },
      { filename: 'magnet:?xt=urn:btih:zz' },
    ]) {
      const r = await c.raw(JSON.stringify({ method: 'torrent-add', arguments: args }));
      expect(r.status).toBe(200);
      expect(r.json<{ result: string }>().result).not.toBe('success');
    }
    expect((await c.call('no-such-method')).result).toBe('method name not recognized');
    expect((await c.call('torrent-set', { ids: [1], 'files-wanted': [99] })).result).toMatch(
      /no file 99/,
    );
    expect((await c.call('session-set', { 'download-dir': '/etc' })).result).toMatch(/outside/);
  });

  test('malformed JSON and bodies that are not requests: 400 with a JSON result', async () => {
    const c = trClient(d);
    for (const raw of [
      '{',
      'null',
      '[1,2]',
      '"x"',
      '{"method": 5}',
      '{"method":"torrent-get","arguments":[]}',
      '\u0000\xff',
    ]) {
      const r = await c.raw(raw);
      expect(r.status).toBe(400);
      expect(typeof r.json<{ result: string }>().result).toBe('string');
    }
  });

  test('torrent-set-location moves the data and keeps the id, labels and paused state', async () => {
    const c = trClient(d);
    const data = await makeTestData(join(root, 'src3', 'moved.bin'), 40_000, 'm');
    const t = await makeTorrent(data.path, {
      announce: ['http://127.0.0.1:1/announce'],
      pieceLength: 32768,
    });
    const from = join(d.dataDir, 'downloads');
    await mkdir(from, { recursive: true });
    await copyFile(data.path, join(from, 'moved.bin'));
    const added = await c.call<{ 'torrent-added': { id: number } }>('torrent-add', {
      metainfo: (await readFile(t.torrentFile)).toString('base64'),
      paused: true,
      labels: ['keep-me'],
    });
    const id = added.arguments['torrent-added'].id;
    const to = join(d.dataDir, 'downloads', 'elsewhere');
    const r = await c.call('torrent-set-location', { ids: [id], location: to, move: true });
    expect(r.result).toBe('success');
    expect(existsSync(join(to, 'moved.bin'))).toBe(true);
    expect(existsSync(join(from, 'moved.bin'))).toBe(false);
    const got = await c.call<{ torrents: Record<string, unknown>[] }>('torrent-get', {
      ids: [t.infoHash],
      fields: ['id', 'downloadDir', 'labels', 'status'],
    });
    expect(got.arguments.torrents).toEqual([
      { id, downloadDir: to, labels: ['keep-me'], status: 0 },
    ]);
    expect((await c.call('torrent-set-location', { ids: [id], location: '/etc' })).result).toMatch(
      /outside/,
    );
    expect((await c.call('torrent-remove', { ids: [id], 'delete-local-data': true })).result).toBe(
      'success',
    );
  });

  test('a seed ratio limit stops a seeding torrent, which then reads as finished', async () => {
    const c = trClient(d);
    const data = await makeTestData(join(root, 'src4', 'seeded.bin'), 40_000, 's');
    const t = await makeTorrent(data.path, {
      announce: ['http://127.0.0.1:1/announce'],
      pieceLength: 32768,
    });
    await copyFile(data.path, join(d.dataDir, 'downloads', 'seeded.bin'));
    const added = await c.call<{ 'torrent-added': { id: number } }>('torrent-add', {
      metainfo: (await readFile(t.torrentFile)).toString('base64'),
    });
    const id = added.arguments['torrent-added'].id;
    await waitFor('the data to verify', () =>
      d.bridge.get(t.infoHash).status().state === 'seeding' ? true : undefined,
    );
    const set = await c.call('torrent-set', { ids: [id], seedRatioLimit: 0, seedRatioMode: 1 });
    expect(set.result).toBe('success');
    await waitFor('the ratio limit to stop it', async () => {
      const got = await c.call<{ torrents: Record<string, unknown>[] }>('torrent-get', {
        ids: [id],
        fields: ['status', 'isFinished', 'seedRatioLimit', 'seedRatioMode', 'percentDone'],
      });
      const row = got.arguments.torrents[0];
      return row.status === 0 ? row : undefined;
    }).then((row) =>
      expect(row).toEqual({
        status: 0,
        isFinished: true,
        seedRatioLimit: 0,
        seedRatioMode: 1,
        percentDone: 1,
      }),
    );
    expect(d.bridge.record(t.infoHash)?.seedRatioLimit).toBe(0);
    await c.call('torrent-remove', { ids: [id], 'delete-local-data': true });
  });

  test('per-torrent speed limits: set through either API, applied by the engine, read back', async () => {
    const c = trClient(d);
    const data = await makeTestData(join(root, 'src5', 'limited.bin'), 40_000, 'l');
    const t = await makeTorrent(data.path, {
      announce: ['http://127.0.0.1:1/announce'],
      pieceLength: 32768,
    });
    const added = await c.call<{ 'torrent-added': { id: number } }>('torrent-add', {
      metainfo: (await readFile(t.torrentFile)).toString('base64'),
      paused: true,
    });
    const id = added.arguments['torrent-added'].id;
    const fields = ['uploadLimit', 'uploadLimited', 'downloadLimit', 'downloadLimited'];
    const get = async () =>
      (await c.call<{ torrents: Record<string, unknown>[] }>('torrent-get', { ids: [id], fields }))
        .arguments.torrents[0];
    expect(await get()).toEqual({
      uploadLimit: 0,
      uploadLimited: false,
      downloadLimit: 0,
      downloadLimited: false,
    });
    // a value without the switch is kept but not applied, as in Transmission
    await c.call('torrent-set', { ids: [id], uploadLimit: 50, downloadLimit: 20 });
    expect(d.bridge.get(t.infoHash).rateLimits()).toEqual({ upload: 0, download: 0 });
    const set = await c.call('torrent-set', {
      ids: [id],
      uploadLimited: true,
      downloadLimited: true,
    });
    expect(set.result).toBe('success');
    expect(d.bridge.get(t.infoHash).rateLimits()).toEqual({ upload: 50_000, download: 20_000 });
    expect(await get()).toEqual({
      uploadLimit: 50,
      uploadLimited: true,
      downloadLimit: 20,
      downloadLimited: true,
    });
    expect((await c.call('torrent-set', { ids: [id], uploadLimit: -1 })).result).toMatch(/>= 0/);

    const qb = await qbClient(d);
    const hashes = t.infoHash;
    expect((await qb.post('torrents/setDownloadLimit', { hashes, limit: '0' })).status).toBe(200);
    expect(d.bridge.get(t.infoHash).rateLimits()).toEqual({ upload: 50_000, download: 0 });
    const up = await qb.post('torrents/uploadLimit', { hashes });
    expect(up.json()).toEqual({ [hashes]: 50_000 });
    const down = await qb.post('torrents/downloadLimit', { hashes });
    expect(down.json()).toEqual({ [hashes]: -1 });
    // kept with the torrent's record, so a restart applies them again
    expect(d.bridge.record(t.infoHash)).toMatchObject({
      uploadLimit: 50_000,
      uploadLimited: true,
      downloadLimited: false,
    });
    await c.call('torrent-remove', { ids: [id], 'delete-local-data': true });
  });

  test('a foreign Host is refused (DNS rebinding)', async () => {
    const r = await rawGet(d.rpcPort, '/transmission/rpc', {
      host: `evil.example:${d.rpcPort}`,
      authorization: basic('a', d.token),
    });
    expect(r.status).toBe(421);
    const qb = await rawGet(d.rpcPort, '/api/v2/app/version', { host: 'evil.example' });
    expect(qb.status).toBe(421);
  });

  test('a body over the limit is refused with 413', async () => {
    const r = await trClient(d).raw('x'.repeat(33 * 1024 * 1024));
    expect(r.status).toBe(413);
  });
});

describe('qBittorrent WebAPI', () => {
  test('403 for every call without the SID cookie, and with a made-up one', async () => {
    for (const name of QB_ENDPOINTS) {
      for (const cookie of [undefined, 'SID=made-up']) {
        const r = await http(d.rpcPort, `/api/v2/${name}?hash=${infoHash}&hashes=all`, {
          method: 'POST',
          headers: cookie ? { cookie } : {},
        });
        expect([name, r.status, r.text]).toEqual([name, 403, 'Forbidden']);
      }
    }
  });

  test('a wrong password: "Fails." and no cookie; the right one: "Ok." and a SID', async () => {
    const wrong = await http(d.rpcPort, '/api/v2/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=admin&password=nope',
    });
    expect(wrong.text).toBe('Fails.');
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const qb = await qbClient(d);
    expect(qb.sid.length).toBeGreaterThan(20);
    expect((await qb.get('app/webapiVersion')).text).toBe('2.11.4');
  });

  test('an Origin or Referer of another site is refused', async () => {
    const qb = await qbClient(d);
    for (const headers of [
      { origin: 'http://evil.example' },
      { referer: 'http://evil.example/x' },
    ] as Record<string, string>[]) {
      const r = await http(d.rpcPort, '/api/v2/torrents/info', {
        headers: { cookie: `SID=${qb.sid}`, ...headers },
      });
      expect(r.status).toBe(401);
    }
    const same = await http(d.rpcPort, '/api/v2/torrents/info', {
      headers: { cookie: `SID=${qb.sid}`, origin: `http://127.0.0.1:${d.rpcPort}` },
    });
    expect(same.status).toBe(200);
  });

  test('setSuperSeeding turns BEP 16 super-seeding on and off, read back and kept', async () => {
    const qb = await qbClient(d);
    const hashes = infoHash;
    const flag = async () =>
      (await qb.get('torrents/info', { hashes })).json<{ super_seeding: boolean }[]>()[0]
        .super_seeding;
    expect(await flag()).toBe(false);
    expect((await qb.post('torrents/setSuperSeeding', { hashes, value: 'true' })).status).toBe(200);
    expect(await flag()).toBe(true);
    const props = await qb.get('torrents/properties', { hash: hashes });
    expect(props.json()).toMatchObject({ super_seeding: true });
    expect(d.bridge.get(infoHash).superSeeding()).toBe(true);
    expect(d.bridge.record(infoHash)).toMatchObject({ superSeeding: true });
    expect((await qb.post('torrents/setSuperSeeding', { hashes, value: 'maybe' })).status).toBe(
      400,
    );
    expect((await qb.post('torrents/setSuperSeeding', { hashes })).status).toBe(400);
    expect((await qb.post('torrents/setSuperSeeding', { hashes, value: 'false' })).status).toBe(
      200,
    );
    expect(await flag()).toBe(false);
    expect(d.bridge.get(infoHash).superSeeding()).toBe(false);
    expect(d.bridge.record(infoHash)?.superSeeding).toBeUndefined();
  });

  test('unknown hashes: 404 for one torrent, skipped in lists', async () => {
    const qb = await qbClient(d);
    for (const name of ['properties', 'files', 'trackers', 'pieceStates']) {
      for (const hash of ['f'.repeat(40), 'nonsense', '']) {
        expect((await qb.get(`torrents/${name}`, { hash })).status).toBe(404);
      }
    }
    const info = await qb.get('torrents/info', { hashes: `${'f'.repeat(40)}|${infoHash}` });
    expect(info.json<{ hash: string }[]>().map((t) => t.hash)).toEqual([infoHash]);
    expect((await qb.post('torrents/stop', { hashes: 'f'.repeat(40) })).status).toBe(200);
    expect((await qb.get('torrents/info', { filter: 'bogus' })).status).toBe(400);
  });

  test('multipart add: a file part under any field name, category, tags, stopped', async () => {
    const qb = await qbClient(d);
    const data = await makeTestData(join(root, 'src2', 'other.bin'), 50_000, 'q');
    const t = await makeTorrent(data.path, {
      announce: ['http://127.0.0.1:1/announce'],
      pieceLength: 32768,
    });
    const form = new FormData();
    form.append('fileselect[]', new Blob([await readFile(t.torrentFile)]), 'other.torrent');
    form.append('category', 'linux');
    form.append('tags', 'iso, big');
    form.append('stopped', 'true');
    const r = await qb.post('torrents/add', form);
    expect([r.status, r.text]).toEqual([200, 'Ok.']);
    const [info] = (await qb.get('torrents/info', { hashes: t.infoHash })).json<
      Record<string, unknown>[]
    >();
    expect(info).toMatchObject({ category: 'linux', tags: 'iso, big', state: 'stoppedDL' });
    expect(d.bridge.get(t.infoHash).status().paused).toBe(true);
    const again = await qb.post('torrents/add', form);
    expect(again.text).toBe('Fails.');
  });

  test('malformed multipart and url-encoded bodies: 4xx, never a 5xx', async () => {
    const qb = await qbClient(d);
    const cases: Array<[string, string | Buffer]> = [
      ['multipart/form-data', '--x\r\n\r\n'],
      ['multipart/form-data; boundary=x', 'no boundary here'],
      [
        'multipart/form-data; boundary=x',
        '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nunterminated',
      ],
      ['multipart/form-data; boundary=x', '--x\r\nX: y\r\n\r\nv\r\n--x--'],
      [
        'multipart/form-data; boundary=x',
        '--x\r\nContent-Disposition: form-data\r\n\r\nv\r\n--x--',
      ],
      ['multipart/form-data; boundary=x', '--xgarbage'],
      ['application/json', '{}'],
      ['application/x-www-form-urlencoded', '%%%&&&==='],
    ];
    for (const [type, body] of cases) {
      const r = await http(d.rpcPort, '/api/v2/torrents/add', {
        method: 'POST',
        headers: { cookie: `SID=${qb.sid}`, 'content-type': type },
        body,
      });
      expect([type, r.status >= 400 && r.status < 500]).toEqual([type, true]);
    }
  });

  test('sync/maindata: a full update, then only what changed, then removals', async () => {
    const qb = await qbClient(d);
    const first = (await qb.get('sync/maindata', { rid: '0' })).json<Maindata>();
    expect(first.full_update).toBe(true);
    expect(first.torrents[infoHash]).toMatchObject({ name: 'file.bin', category: '' });
    expect(
      (await qb.post('torrents/createCategory', { category: 'films', savePath: '' })).status,
    ).toBe(200);
    expect((await qb.post('torrents/createCategory', { category: 'films' })).status).toBe(409);
    expect(
      (await qb.post('torrents/setCategory', { hashes: infoHash, category: 'films' })).status,
    ).toBe(200);
    expect(
      (await qb.post('torrents/setCategory', { hashes: infoHash, category: 'nope' })).status,
    ).toBe(409);
    const second = (await qb.get('sync/maindata', { rid: String(first.rid) })).json<Maindata>();
    expect(second.full_update).toBeUndefined();
    expect(second.rid).toBe(first.rid + 1);
    // Only what changed: the category (and a clock field such as time_active if a second passed).
    expect(second.torrents[infoHash]).toMatchObject({ category: 'films' });
    expect(second.torrents[infoHash]).not.toHaveProperty('name');
    expect(second.torrents[infoHash]).not.toHaveProperty('hash');
    expect(second.categories).toEqual({ films: { name: 'films', savePath: '' } });
    const stale = (await qb.get('sync/maindata', { rid: String(first.rid) })).json<Maindata>();
    expect(stale.full_update).toBe(true);
  });

  test('no call without credentials gets data; random bodies never make either API fail', async () => {
    const qb = await qbClient(d);
    const trSid = (
      await http(d.rpcPort, '/transmission/rpc', {
        headers: { authorization: basic('a', d.token) },
      })
    ).headers.get('x-transmission-session-id')!;
    const paths = [
      ...QB_ENDPOINTS.map((n) => `/api/v2/${n}`),
      '/api/v2/auth/login',
      '/transmission/rpc',
      '/transmission/rpc/',
    ];
    const types = [
      'application/json',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=b',
      'text/plain',
      '',
    ];
    const json = fc.oneof(
      fc.json(),
      fc
        .record({
          method: fc.constantFrom(...TR_METHODS),
          arguments: fc.dictionary(
            fc.constantFrom(
              'ids',
              'fields',
              'metainfo',
              'filename',
              'labels',
              'location',
              'files-wanted',
              'priority-high',
              'download-dir',
              'paused',
              'path',
            ),
            fc.oneof(fc.jsonValue(), fc.constant('recently-active'), fc.constant([1, infoHash])),
          ),
        })
        .map((x) => JSON.stringify(x)),
    );
    const body = fc.oneof(
      json,
      fc.string(),
      fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b).toString('latin1')),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        fc.constantFrom(...types),
        body,
        fc.boolean(),
        async (path, type, text, authed) => {
          // Never delete or move what the other tests use.
          fc.pre(!/delete|remove|setLocation|set-location|logout/.test(path + text));
          const headers: Record<string, string> = type ? { 'content-type': type } : {};
          if (authed) {
            headers.cookie = `SID=${qb.sid}`;
            headers.authorization = basic('a', d.token);
            headers['x-transmission-session-id'] = trSid;
          }
          const r = await http(d.rpcPort, path, { method: 'POST', headers, body: text });
          // a good login clears the failures, so 400 random logins never ban the tests' address
          if (path === '/api/v2/auth/login') await qbClient(d);
          expect(r.status).toBeLessThan(500);
          if (!authed) {
            if (path.startsWith('/transmission')) expect(r.status).toBe(401);
            else if (path === '/api/v2/auth/login') expect(r.headers.get('set-cookie')).toBeNull();
            else expect(r.status).toBe(403);
            expect(r.text).not.toContain(infoHash);
            expect(r.text).not.toContain('file.bin');
          }
        },
      ),
      { numRuns: 400 },
    );
    // Still up, still answering.
    expect((await qb.get('app/version')).text).toBe('v5.1.2');
  });

  test('categories, tags and which torrent has them survive a restart', async () => {
    const qb = await qbClient(d);
    await qb.post('torrents/addTags', { hashes: infoHash, tags: 'keep' });
    await qb.post('torrents/setSuperSeeding', { hashes: infoHash, value: 'true' });
    const dataDir = d.dataDir;
    await d.close();
    d = await rpcDaemon(dataDir);
    const again = await qbClient(d);
    expect((await again.get('torrents/categories')).json()).toMatchObject({
      films: { name: 'films' },
    });
    expect((await again.get('torrents/tags')).json()).toContain('keep');
    const [info] = (await again.get('torrents/info', { hashes: infoHash })).json<
      Record<string, unknown>[]
    >();
    expect(info).toMatchObject({ category: 'films', super_seeding: true });
    expect(String(info.tags).split(', ')).toContain('keep');
    // the record's super-seeding is applied to the restored torrent
    expect(d.bridge.get(infoHash).superSeeding()).toBe(true);
  });

  test('own credentials set through the REST API replace the token, for both APIs', async () => {
    const rest = api(d);
    const old = await qbClient(d);
    expect(
      (await rest.put('/api/remote-control/credentials', { username: 'me', password: 'short' }))
        .status,
    ).toBe(400);
    expect(
      (
        await rest.put('/api/remote-control/credentials', {
          username: 'me',
          password: 'a long secret',
        })
      ).status,
    ).toBe(204);
    expect((await rest.get('/api/remote-control')).body).toEqual({
      port: d.rpcPort,
      username: 'me',
    });
    // Old login sessions end; the token no longer works; the new pair does.
    expect((await old.get('torrents/info')).status).toBe(403);
    const login = (password: string) =>
      http(d.rpcPort, '/api/v2/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: 'me', password }).toString(),
      });
    expect((await login(d.token)).text).toBe('Fails.');
    expect((await login('a long secret')).text).toBe('Ok.');
    const tr = (auth: string) =>
      http(d.rpcPort, '/transmission/rpc', { headers: { authorization: auth } });
    expect((await tr(basic('x', d.token))).status).toBe(401);
    expect((await tr(basic('me', 'a long secret'))).status).toBe(409);
    expect((await rest.put('/api/remote-control/credentials', {})).status).toBe(204);
    expect((await tr(basic('x', d.token))).status).toBe(409);
    // The REST API itself still needs its token, whatever the remote-control credentials.
    expect((await http(d.apiPort, '/api/labels')).status).toBe(401);
    const labels = await rest.get<{ torrents: Record<string, unknown> }>('/api/labels');
    expect(labels.body.torrents[infoHash]).toMatchObject({ category: 'films' });
  });

  test("Transmission's web UI is served behind the same credentials", async () => {
    expect((await http(d.rpcPort, '/transmission/web/')).status).toBe(401);
    const auth = { authorization: basic('x', d.token) };
    const index = await http(d.rpcPort, '/transmission/web/', { headers: auth });
    expect(index.status).toBe(200);
    expect(index.text).toContain('Transmission Web Interface');
    expect(
      (await http(d.rpcPort, '/transmission/web/../../../etc/passwd', { headers: auth })).status,
    ).toBe(404);
    expect(
      (await http(d.rpcPort, '/transmission/web/%2e%2e/%2e%2e/etc/passwd', { headers: auth }))
        .status,
    ).toBe(404);
    expect(
      (await http(d.rpcPort, '/transmission', { headers: auth })).headers.get('location'),
    ).toBe('/transmission/web/');
  });

  test('five failed logins ban the address', async () => {
    for (let i = 0; i < 5; i++) {
      await http(d.rpcPort, '/api/v2/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'username=a&password=guess' + i,
      });
    }
    const banned = await http(d.rpcPort, '/api/v2/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'a', password: d.token }).toString(),
    });
    expect(banned.status).toBe(403);
    expect(banned.text).toMatch(/banned/);
    expect(banned.headers.get('set-cookie')).toBeNull();
  });
});
