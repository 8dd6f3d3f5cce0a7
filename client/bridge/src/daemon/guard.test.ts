import { accessOf, checkRequest, GuardRequest, hostAllowed, originAllowed } from './guard';

const opts = { token: 'T'.repeat(43), port: 9000 };
const req = (over: Partial<GuardRequest> = {}): GuardRequest => ({
  access: 'token',
  ...over,
  headers: { host: '127.0.0.1:9000', authorization: `Bearer ${opts.token}`, ...over.headers },
});
const noAuth = { authorization: undefined };

test('a route without a declared access needs the token', () => {
  expect(accessOf(undefined)).toBe('token');
  expect(accessOf({})).toBe('token');
  expect(accessOf({ access: 'PUBLIC' })).toBe('token');
  expect(accessOf({ access: 'public' })).toBe('public');
  expect(accessOf({ access: 'token-or-query' })).toBe('token-or-query');
});

test('the token in the query counts only on routes that declare it', () => {
  expect(checkRequest(opts, req({ headers: noAuth, queryToken: opts.token }))).toMatchObject({
    status: 401,
  });
  expect(
    checkRequest(opts, req({ headers: noAuth, queryToken: opts.token, access: 'token-or-query' })),
  ).toEqual({ ok: true });
  expect(
    checkRequest(opts, req({ headers: noAuth, queryToken: 'nope', access: 'token-or-query' })),
  ).toMatchObject({ status: 401 });
  // A header, when there is one, is what counts.
  expect(
    checkRequest(
      opts,
      req({
        headers: { authorization: 'Bearer nope' },
        queryToken: opts.token,
        access: 'token-or-query',
      }),
    ),
  ).toMatchObject({ status: 401 });
});

test('refuses a missing or wrong token with 401; public routes need none', () => {
  expect(checkRequest(opts, req())).toEqual({ ok: true });
  expect(checkRequest(opts, req({ headers: noAuth }))).toMatchObject({ status: 401 });
  expect(checkRequest(opts, req({ headers: { authorization: 'Bearer nope' } }))).toMatchObject({
    status: 401,
  });
  expect(
    checkRequest(opts, req({ headers: { authorization: `Basic ${opts.token}` } })),
  ).toMatchObject({ status: 401 });
  expect(checkRequest(opts, req({ headers: noAuth, access: 'public' }))).toEqual({ ok: true });
});

test('refuses foreign origins and rebinding hosts with 403, public routes and the token too', () => {
  for (const access of ['token', 'public'] as const) {
    for (const headers of [
      { origin: 'http://evil.example' },
      { origin: 'null' },
      { origin: 'http://127.0.0.1:9001' },
      { origin: 'https://127.0.0.1:9000' },
      { host: 'evil.example:9000' },
      { host: undefined },
    ]) {
      expect(checkRequest(opts, req({ access, headers }))).toMatchObject({ status: 403 });
    }
  }
  expect(checkRequest(opts, req({ headers: { origin: 'http://127.0.0.1:9000' } }))).toEqual({
    ok: true,
  });
  expect(checkRequest(opts, req({ headers: { origin: 'http://localhost:9000' } }))).toEqual({
    ok: true,
  });
});

test('Host: only our names, written as a browser writes them, with our port', () => {
  const p = { port: 9000 };
  for (const h of ['127.0.0.1:9000', 'localhost:9000', 'LOCALHOST:9000', '[::1]:9000']) {
    expect([h, hostAllowed(p, h)]).toEqual([h, true]);
  }
  for (const h of [
    undefined,
    '',
    '127.0.0.1',
    'localhost',
    '127.0.0.1:9001',
    '127.0.0.1:09000x',
    'localhost.:9000',
    '127.0.0.1.:9000',
    '127.0.0.1.nip.io:9000',
    'localhost.evil.example:9000',
    '127.1:9000',
    '[::ffff:127.0.0.1]:9000',
    '[0:0:0:0:0:0:0:1]:9000',
    '::1:9000',
    'evil.example:9000',
    '127.0.0.1:9000@evil.example',
    '127.0.0.1:9000 ',
  ]) {
    expect([h, hostAllowed(p, h)]).toEqual([h, false]);
  }
  // Without a port only on port 80, where a browser leaves it out.
  expect(hostAllowed({ port: 80 }, 'localhost')).toBe(true);
  // A bound address the user chose counts as ours.
  expect(hostAllowed({ port: 9000, hostnames: ['192.168.1.5'] }, '192.168.1.5:9000')).toBe(true);
  expect(originAllowed(p, 'http://[::1]:9000')).toBe(true);
  expect(originAllowed(p, 'http://[::1]:9000/')).toBe(false);
});
