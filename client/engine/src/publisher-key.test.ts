import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { rawPublicKey } from '@enjambre/proto';
import { PUBLISHER_KEY_FILE, loadPublisherKey } from './publisher-key';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'enjambre-key-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

it('creates one ed25519 key, readable by the user only, and keeps it across restarts', async () => {
  const [a, b] = await Promise.all([loadPublisherKey(dir), loadPublisherKey(dir)]);
  expect(a.asymmetricKeyType).toBe('ed25519');
  expect(rawPublicKey(a)).toEqual(rawPublicKey(b));
  expect(rawPublicKey(await loadPublisherKey(dir))).toEqual(rawPublicKey(a));
  expect((await stat(path.join(dir, PUBLISHER_KEY_FILE))).mode & 0o077).toBe(0);
});
