import { checkRequest, GuardRequest } from './guard';

const opts = { token: 'T'.repeat(43), port: 9000 };
const req = (
  over: Partial<GuardRequest> & { headers?: GuardRequest['headers'] },
): GuardRequest => ({
  method: 'GET',
  url: '/api/torrents',
  ...over,
  headers: { host: '127.0.0.1:9000', authorization: `Bearer ${opts.token}`, ...over.headers },
});

test('accepts the token as a query parameter only where a browser cannot send headers', () => {
  const h = 'ab'.repeat(20);
  for (const url of [
    `/api/torrents?token=${opts.token}`,
    `/api/status?token=${opts.token}`,
    `/api/ws/x?token=${opts.token}`,
  ]) {
    expect(checkRequest(opts, req({ url, headers: { authorization: undefined } }))).toMatchObject({
      status: 401,
    });
  }
  for (const url of [
    `/api/ws?token=${opts.token}`,
    `/api/torrents/${h}/files/0/stream?token=${opts.token}`,
    `/api/torrents/${h}/torrent?token=${opts.token}`,
  ]) {
    expect(checkRequest(opts, req({ url, headers: { authorization: undefined } }))).toEqual({
      ok: true,
    });
  }
});

test('accepts the token as a bearer header or a query parameter', () => {
  expect(checkRequest(opts, req({}))).toEqual({ ok: true });
  expect(
    checkRequest(
      opts,
      req({ url: `/api/ws?token=${opts.token}`, headers: { authorization: undefined } }),
    ),
  ).toEqual({ ok: true });
  expect(checkRequest(opts, req({ headers: { host: 'localhost:9000' } }))).toEqual({ ok: true });
});

test('refuses a missing or wrong token with 401', () => {
  expect(checkRequest(opts, req({ headers: { authorization: undefined } }))).toMatchObject({
    status: 401,
  });
  expect(checkRequest(opts, req({ headers: { authorization: 'Bearer nope' } }))).toMatchObject({
    status: 401,
  });
  expect(
    checkRequest(opts, req({ headers: { authorization: `Basic ${opts.token}` } })),
  ).toMatchObject({
    status: 401,
  });
});

test('refuses foreign origins and rebinding hosts with 403, even with the token', () => {
  expect(checkRequest(opts, req({ headers: { origin: 'http://evil.example' } }))).toMatchObject({
    status: 403,
  });
  expect(checkRequest(opts, req({ headers: { origin: 'null' } }))).toMatchObject({ status: 403 });
  expect(checkRequest(opts, req({ headers: { origin: 'http://127.0.0.1:9001' } }))).toMatchObject({
    status: 403,
  });
  expect(checkRequest(opts, req({ headers: { host: 'evil.example:9000' } }))).toMatchObject({
    status: 403,
  });
  expect(checkRequest(opts, req({ headers: { host: undefined } }))).toMatchObject({ status: 403 });
  expect(checkRequest(opts, req({ headers: { origin: 'http://127.0.0.1:9000' } }))).toEqual({
    ok: true,
  });
});
