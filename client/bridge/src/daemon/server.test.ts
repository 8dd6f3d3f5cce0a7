import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { createServer } from './server';

const token = 'k'.repeat(43);
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  ({ app } = await createServer({ token }));
  app.get('/api/ping', async () => ({ pong: true }));
  app.get('/api/open', { config: { access: 'token-or-query' } }, async () => ({ open: true }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(() => app.close());

test('API calls need the token; the GUI shell does not', async () => {
  expect((await fetch(`${base}/api/ping`)).status).toBe(401);
  const ok = await fetch(`${base}/api/ping`, { headers: { authorization: `Bearer ${token}` } });
  expect(ok.status).toBe(200);
  expect(await ok.json()).toEqual({ pong: true });
  expect((await fetch(`${base}/api/ping?token=${token}`)).status).toBe(401);
  expect((await fetch(`${base}/api/open?token=${token}`)).status).toBe(200);
  // The router decodes the path; the guard judges the route it matched.
  expect((await fetch(`${base}/%61pi/ping`)).status).toBe(401);
  expect((await fetch(`${base}/%61pi/ping?token=${token}`)).status).toBe(401);
  const shell = await fetch(`${base}/`);
  expect(shell.status).toBe(200);
  expect(shell.headers.get('referrer-policy')).toBe('no-referrer');
  expect(shell.headers.get('x-frame-options')).toBe('DENY');
});

test('a foreign origin is refused even with the token', async () => {
  const res = await fetch(`${base}/api/ping`, {
    headers: { authorization: `Bearer ${token}`, origin: 'http://evil.example' },
  });
  expect(res.status).toBe(403);
  expect(((await res.json()) as { error: string }).error).toMatch(/cross-origin/);
});

test('the OpenAPI description is served behind the token', async () => {
  const res = await fetch(`${base}/api/openapi.json`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.status).toBe(200);
  const doc = (await res.json()) as { openapi: string; info: { title: string } };
  expect(doc.openapi).toMatch(/^3\./);
  expect(doc.info.title).toBe('enjambre bridge API');
});
