import { mkdtemp, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateToken, tokenMatches } from './token';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'enjambre-token-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

test('creates a random owner-only token once and reads it back', async () => {
  const t1 = await loadOrCreateToken(dir);
  expect(t1).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect((await stat(join(dir, 'token'))).mode & 0o777).toBe(0o600);
  expect(await loadOrCreateToken(dir)).toBe(t1);
  const other = await mkdtemp(join(tmpdir(), 'enjambre-token-'));
  try {
    expect(await loadOrCreateToken(other)).not.toBe(t1);
  } finally {
    await rm(other, { recursive: true, force: true });
  }
});

test('tightens a token file that others could read, and replaces a malformed one', async () => {
  const t = 'a'.repeat(40);
  await writeFile(join(dir, 'token'), t);
  await chmod(join(dir, 'token'), 0o644);
  expect(await loadOrCreateToken(dir)).toBe(t);
  expect((await stat(join(dir, 'token'))).mode & 0o777).toBe(0o600);
  await writeFile(join(dir, 'token'), 'short');
  const fresh = await loadOrCreateToken(dir);
  expect(fresh).not.toBe('short');
  expect((await readFile(join(dir, 'token'), 'utf8')).trim()).toBe(fresh);
});

test('tokenMatches compares exactly', () => {
  expect(tokenMatches('abc', 'abc')).toBe(true);
  expect(tokenMatches('abc', 'abd')).toBe(false);
  expect(tokenMatches('abc', 'ab')).toBe(false);
  expect(tokenMatches('abc', undefined)).toBe(false);
});
