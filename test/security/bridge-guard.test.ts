/**
 * Red team: who may talk to the bridge. A real daemon on 127.0.0.1, raw HTTP so every byte of
 * the request line and the headers is the attacker's. The routes come from the daemon's own
 * router, so a route added later is swept without editing this file.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import fc from 'fast-check';
import {
  auth,
  Fixture,
  leaks,
  raw,
  RawAnswer,
  removeDir,
  SECRET,
  startFixture,
  tempDir,
} from './bridge-helpers';

jest.setTimeout(300_000);

let fx: Fixture;
let port: number;
let host: string;

beforeAll(async () => {
  fx = await startFixture(await tempDir('sec-guard'));
  port = fx.daemon.apiPort;
  host = `127.0.0.1:${port}`;
});
afterAll(async () => {
  await fx?.daemon.close();
  if (fx) await removeDir(fx.root);
});

/** A concrete path for a route pattern: its parameters filled with values that exist. */
function concrete(url: string): string {
  return url
    .replace(/^\/api\/shares\/:id/, `/api/shares/${fx.shareId}`)
    .replace(/:id/g, fx.infoHash)
    .replace(/:index/g, '0')
    .replace(/\*/g, 'x');
}

const pct = (c: string, lower = false) => {
  const h = c.charCodeAt(0).toString(16).padStart(2, '0');
  return `%${lower ? h : h.toUpperCase()}`;
};

/** The spellings of one path a router or a guard might read differently. */
function variants(p: string): string[] {
  const out = new Set<string>();
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '/') {
      if (i > 0) out.add(p.slice(0, i) + '%2f' + p.slice(i + 1));
      continue;
    }
    out.add(p.slice(0, i) + pct(p[i], i % 2 === 1) + p.slice(i + 1));
  }
  const segs = p.split('/');
  const last = segs.length - 1;
  const withSeg = (at: number, extra: string) =>
    [...segs.slice(0, at), extra, ...segs.slice(at)].join('/');
  if (p.length > 1) out.add('/%25' + pct(p[1]).slice(1) + p.slice(2)); // double encoding
  out.add('/' + p); // leading //
  out.add(p.replace(/\/([^/]*)$/, '//$1'));
  out.add('/.' + p);
  out.add(withSeg(last, '.'));
  out.add(withSeg(last, 'x/..'));
  out.add('/x/..' + p);
  out.add('/%2e' + p);
  out.add('/x/%2e%2e' + p);
  out.add(p.toUpperCase());
  out.add(p.replace(/^\/([a-z])/, (_m, c: string) => '/' + c.toUpperCase()));
  for (const tail of ['/', '?', '?x=1', '#', '#x', ';', ';x', '%3f', '%23', '%00', '%20', '.']) {
    out.add(p + tail);
  }
  out.add(p.replace(/\//g, '\\'));
  out.add(`http://${host}${p}`);
  out.add(`http://evil.example${p}`);
  out.delete(p);
  return [...out];
}

function routeList() {
  return fx.daemon.routes.filter((r) => !['OPTIONS'].includes(r.method));
}

describe('the bypasses found on main', () => {
  const foreign = () => ({ host: `evil.example:${port}` });

  test('GET /%61pi/settings without the token from a foreign Host', async () => {
    for (const headers of [foreign(), { host }]) {
      const a = await raw(port, { path: '/%61pi/settings', headers });
      expect({ headers, status: a.status, leaks: leaks(a, 'GET') }).toEqual({
        headers,
        status: expect.any(Number),
        leaks: false,
      });
      expect(a.text).not.toMatch(/downloadDir/);
    }
  });

  test('PUT /%61pi/settings cannot widen the allowed folders to /', async () => {
    for (const headers of [foreign(), { host }]) {
      const a = await raw(port, {
        method: 'PUT',
        path: '/%61pi/settings',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ allowedRoots: ['/'], allowedFolders: ['/'], downloadDir: '/' }),
      });
      expect(a.status).toBeGreaterThanOrEqual(400);
    }
    const listing = await raw(port, { path: '/api/fs?path=%2F', headers: auth(fx.daemon) });
    expect(listing.status).toBe(403);
    const s = await raw(port, { path: '/api/settings', headers: auth(fx.daemon) });
    expect(JSON.parse(s.text)).toMatchObject({ allowedFolders: [fx.allowed] });
  });

  test('/%61pi/fs does not list folders without the token', async () => {
    for (const path of ['/%61pi/fs?path=%2Fetc', '/%61pi/fs', '/api/f%73?path=%2F']) {
      const a = await raw(port, { path, headers: { host } });
      expect([path, a.status]).toEqual([path, 401]);
      expect(a.text).not.toMatch(/entries/);
    }
  });

  test('/%6detrics does not give the metrics without the token', async () => {
    for (const path of ['/%6detrics', '/%6Detrics', '/metric%73', '/metrics']) {
      const a = await raw(port, { path, headers: { host } });
      expect([path, a.status]).toEqual([path, 401]);
      expect(a.text).not.toMatch(/enjambre_/);
    }
  });
});

describe('path encodings, on every route the bridge registers', () => {
  test('with the token, the plain path of every GET route reaches it (the sweep aims true)', async () => {
    for (const r of routeList()) {
      if (r.method !== 'GET' || r.url === '/api/ws') continue;
      const a = await raw(port, { path: concrete(r.url), headers: auth(fx.daemon) });
      expect([r.url, a.status]).toEqual([r.url, 200]);
    }
    // The router decodes: an encoded path reaches the same route.
    const a = await raw(port, { path: '/%61pi/settings', headers: auth(fx.daemon) });
    expect(a.status).toBe(200);
  });

  test('no spelling of any route gets data without the token', async () => {
    const seen: string[] = [];
    for (const r of routeList()) {
      const p = concrete(r.url);
      for (const path of [p, ...variants(p)]) {
        const a = await raw(port, { method: r.method, path, headers: { host } });
        if (leaks(a, r.method)) seen.push(`${r.method} ${path} -> ${a.status}`);
      }
    }
    expect(seen).toEqual([]);
  });

  test('a token in the query opens only the routes that take one, whatever the spelling', async () => {
    const seen: string[] = [];
    for (const r of routeList()) {
      if (r.access !== 'token') continue;
      const p = concrete(r.url);
      for (const path of [p, ...variants(p)].filter((v) => !/[?#]/.test(v))) {
        for (const q of [`?token=${fx.daemon.token}`, `?%74oken=${fx.daemon.token}`]) {
          const a = await raw(port, { method: r.method, path: path + q, headers: { host } });
          if (leaks(a, r.method)) seen.push(`${r.method} ${path}${q} -> ${a.status}`);
        }
      }
    }
    expect(seen).toEqual([]);
  });

  test('the routes that take a query token do so on the route the router matched', async () => {
    const t = fx.daemon.token;
    const stream = `/api/torrents/${fx.infoHash}/files/0/stream`;
    expect((await raw(port, { path: `${stream}?token=${t}`, headers: { host } })).text).toBe(
      SECRET,
    );
    expect((await raw(port, { path: `${stream}?token=nope`, headers: { host } })).status).toBe(401);
    // The same route spelled otherwise is the same route.
    const spelled = stream.replace('/stream', '/%73tream');
    expect((await raw(port, { path: `${spelled}?token=${t}`, headers: { host } })).text).toBe(
      SECRET,
    );
    expect((await raw(port, { path: spelled, headers: { host } })).status).toBe(401);
  });

  test('unknown paths get 404 or the GUI shell, never data', async () => {
    for (const path of ['/api/nothing', '/%61pi/nothing', '/API/settings', '/api/settings/x']) {
      const a = await raw(port, { path, headers: auth(fx.daemon) });
      expect([path, a.status]).toEqual([path, 404]);
    }
    const shell = await raw(port, { path: '/torrents/abc', headers: { host } });
    expect(shell.status).toBe(200);
    expect(shell.text).toMatch(/enjambre test shell/);
  });
});

describe('Host', () => {
  const good = () => [
    `127.0.0.1:${port}`,
    `localhost:${port}`,
    `LOCALHOST:${port}`,
    `[::1]:${port}`,
  ];
  const bad = () => [
    `evil.example:${port}`,
    `evil.example`,
    `127.0.0.1:${port + 1}`,
    `127.0.0.1`,
    `localhost`,
    `[::1]`,
    `127.0.0.1:0${port}`,
    `[::ffff:127.0.0.1]:${port}`,
    `[::ffff:7f00:1]:${port}`,
    `[0:0:0:0:0:0:0:1]:${port}`,
    `::1:${port}`,
    `127.1:${port}`,
    `2130706433:${port}`,
    `0x7f000001:${port}`,
    `127.0.0.2:${port}`,
    `0.0.0.0:${port}`,
    `localhost.:${port}`,
    `127.0.0.1.:${port}`,
    `127.0.0.1.nip.io:${port}`,
    `localhost.evil.example:${port}`,
    `evil.example:${port}@127.0.0.1:${port}`,
    `127.0.0.1:${port}:${port}`,
    ``,
  ];

  test('only our names with our port reach the API, the GUI files, or the WebSocket', async () => {
    const paths = ['/api/settings', '/', '/index.html', `/api/ws?token=${fx.daemon.token}`];
    for (const h of good()) {
      const a = await raw(port, {
        path: '/api/settings',
        headers: { ...auth(fx.daemon), host: h },
      });
      expect([h, a.status]).toEqual([h, 200]);
    }
    for (const h of bad()) {
      for (const path of paths) {
        const a = await raw(port, { path, headers: { ...auth(fx.daemon), host: h } });
        expect({ h, path, refused: a.status >= 400 }).toEqual({ h, path, refused: true });
        expect(a.text).not.toMatch(/downloadDir|enjambre test shell/);
      }
    }
    // No Host at all, and two of them.
    const none = await raw(port, {
      path: '/api/settings',
      headers: { authorization: `Bearer ${fx.daemon.token}` },
    });
    expect(none.status).toBeGreaterThanOrEqual(400);
    const twice = await rawText(
      `GET /api/settings HTTP/1.1\r\nhost: evil.example:${port}\r\nhost: ${host}\r\nauthorization: Bearer ${fx.daemon.token}\r\nconnection: close\r\n\r\n`,
    );
    expect(twice).not.toMatch(/downloadDir/);
    expect(twice).toMatch(/^HTTP\/1\.1 4\d\d/);
  });
});

describe('Origin', () => {
  const foreignOrigins = () => [
    'http://evil.example',
    'null',
    `http://127.0.0.1:${port + 1}`,
    `https://127.0.0.1:${port}`,
    `http://127.0.0.1.nip.io:${port}`,
    `http://localhost.:${port}`,
    `http://127.0.0.1:${port}.evil.example`,
    `http://evil.example:${port}`,
    `http://127.0.0.1:${port}/`,
    `file://`,
  ];

  test('state-changing requests from another origin are refused and change nothing', async () => {
    const before = JSON.parse(
      (await raw(port, { path: '/api/settings', headers: auth(fx.daemon) })).text,
    ) as { maxPeers: number };
    const calls: [string, string, unknown][] = [
      ['PUT', '/api/settings', { maxPeers: before.maxPeers + 1 }],
      [
        'POST',
        '/api/torrents',
        { magnet: `magnet:?xt=urn:btih:${randomBytes(20).toString('hex')}` },
      ],
      ['POST', `/api/torrents/${fx.infoHash}/pause`, undefined],
      ['DELETE', `/api/torrents/${fx.infoHash}`, undefined],
      ['POST', '/api/shares', { path: `${fx.allowed}/shared.txt` }],
    ];
    for (const origin of foreignOrigins()) {
      for (const [method, path, body] of calls) {
        const a = await raw(port, {
          method,
          path,
          headers: {
            ...auth(fx.daemon),
            origin,
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        expect([origin, method, path, a.status]).toEqual([origin, method, path, 403]);
      }
    }
    const after = await raw(port, { path: `/api/torrents`, headers: auth(fx.daemon) });
    const list = JSON.parse(after.text) as { infoHash: string; paused: boolean }[];
    expect(list).toEqual([expect.objectContaining({ infoHash: fx.infoHash, paused: false })]);
    const s = JSON.parse(
      (await raw(port, { path: '/api/settings', headers: auth(fx.daemon) })).text,
    ) as { maxPeers: number };
    expect(s.maxPeers).toBe(before.maxPeers);
    // The GUI's own origin works.
    const own = await raw(port, {
      method: 'PUT',
      path: '/api/settings',
      headers: { ...auth(fx.daemon), origin: `http://${host}`, 'content-type': 'application/json' },
      body: JSON.stringify({ maxPeers: before.maxPeers }),
    });
    expect(own.status).toBe(200);
  });
});

/** Sends bytes as they are and returns the whole answer as text. */
function rawText(bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (c: string) => {
      text += c;
      // An upgrade stays open: its status line is all we want.
      if (/^HTTP\/1\.1 101/.test(text) && text.includes('\r\n\r\n')) socket.destroy();
    });
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
    socket.setTimeout(15_000, () => socket.destroy());
    socket.write(bytes);
  });
}

describe('the WebSocket', () => {
  async function upgrade(path: string, headers: Record<string, string>): Promise<number> {
    const lines = Object.entries({
      upgrade: 'websocket',
      connection: 'Upgrade',
      'sec-websocket-key': randomBytes(16).toString('base64'),
      'sec-websocket-version': '13',
      ...headers,
    }).map(([k, v]) => `${k}: ${v}\r\n`);
    const text = await rawText(`GET ${path} HTTP/1.1\r\n${lines.join('')}\r\n`);
    return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
  }

  test('refused without the token, with a wrong one, from a foreign Origin or Host', async () => {
    const t = fx.daemon.token;
    const own = `http://${host}`;
    const cases: [string, Record<string, string>, number][] = [
      ['/api/ws', { host, origin: own }, 401],
      ['/api/ws?token=nope', { host, origin: own }, 401],
      ['/%61pi/ws', { host, origin: own }, 401],
      ['/api/w%73?token=nope', { host, origin: own }, 401],
      [`/api/ws?token=${t}`, { host, origin: 'http://evil.example' }, 403],
      [`/api/ws?token=${t}`, { host, origin: 'null' }, 403],
      [`/api/ws?token=${t}`, { host, origin: `http://127.0.0.1:${port + 1}` }, 403],
      [
        `/api/ws?token=${t}`,
        { host: `evil.example:${port}`, origin: `http://evil.example:${port}` },
        403,
      ],
      [`/api/ws?token=${t}`, { host: `127.0.0.1.nip.io:${port}` }, 403],
      [`/api/ws?token=${t}`, { host, origin: own }, 101],
      [`/%61pi/ws?token=${t}`, { host, origin: own }, 101],
    ];
    for (const [path, headers, status] of cases) {
      expect([path, headers, await upgrade(path, headers)]).toEqual([path, headers, status]);
    }
  });
});

describe('property: no request without the token gets API data', () => {
  const methods = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];
  const transform = fc.oneof(
    fc.nat().map((n) => (p: string) => {
      const i = 1 + (n % Math.max(1, p.length - 1));
      if (i >= p.length || p[i] === '/') return p;
      return p.slice(0, i) + pct(p[i], n % 2 === 0) + p.slice(i + 1);
    }),
    fc.constantFrom(
      (p: string) => '/' + p,
      (p: string) => p + '/',
      (p: string) => p.toUpperCase(),
      (p: string) => '/./' + p.slice(1),
      (p: string) => '/x/..' + p,
      (p: string) => p.replace(/%/g, '%25'),
      (p: string) => p.replace(/\//g, '%2f').replace(/^%2f/, '/'),
      (p: string) => p + ';x',
      (p: string) => p + '#x',
      (p: string) => p + '?x=1',
    ),
  );
  const noToken = (token: string) =>
    fc.constantFrom<Record<string, string>>(
      {},
      { authorization: 'Bearer wrong' },
      { authorization: `Bearer ${token.slice(0, -1)}x` },
      { authorization: `Bearer ${token.slice(1)}` },
      { authorization: `Basic ${Buffer.from(`user:${token.slice(2)}`).toString('base64')}` },
      { authorization: '' },
      { authorization: 'Bearer' },
      { cookie: 'token=wrong' },
      { 'x-token': 'wrong' },
    );

  test('over every registered route, spelling, method, Host and header', async () => {
    const routes = routeList();
    const own = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.array(transform, { maxLength: 3 }),
        fc.option(fc.constantFrom(...methods), { nil: undefined }),
        fc.constantFrom(...own),
        fc.option(fc.constantFrom(...own.map((h) => `http://${h}`)), { nil: undefined }),
        noToken(fx.daemon.token),
        fc.option(fc.constantFrom('{}', '{"allowedRoots":["/"]}', '{"maxPeers":3}'), {
          nil: undefined,
        }),
        async (route, steps, method, h, origin, headers, body) => {
          const path = steps.reduce((p, f) => f(p), concrete(route.url));
          const m = method ?? route.method;
          const a: RawAnswer = await raw(port, {
            method: m,
            path,
            headers: {
              host: h,
              ...(origin ? { origin } : {}),
              ...headers,
              ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
            },
            ...(body !== undefined ? { body } : {}),
          });
          if (leaks(a, m))
            throw new Error(`${m} ${path} answered ${a.status}: ${a.text.slice(0, 200)}`);
        },
      ),
      { numRuns: 400 },
    );
  });
});
