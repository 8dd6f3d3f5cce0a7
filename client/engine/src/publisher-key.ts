import { createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

/** The file in the session's data folder that holds its catalog publisher key. */
export const PUBLISHER_KEY_FILE = 'publisher-key.pem';

/**
 * The session's ed25519 key for the trackers' catalogs: it signs Publish so the entry stays
 * this user's whatever address they publish from next (NAT, a new network). Created once,
 * readable by the user only, and kept across restarts: a new key could not refresh the
 * entries the old one published.
 */
export async function loadPublisherKey(dataDir: string): Promise<KeyObject> {
  const file = path.join(dataDir, PUBLISHER_KEY_FILE);
  try {
    return createPrivateKey(await readFile(file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
  // Written aside, then linked into place: a concurrent reader never sees half a key.
  const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(aside, pem, { flag: 'wx', mode: 0o600 });
  try {
    await link(aside, file);
    return privateKey;
  } catch (err) {
    // Another process of the same user got there first: use its key.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST')
      return createPrivateKey(await readFile(file));
    throw err;
  } finally {
    await unlink(aside).catch(() => undefined);
  }
}
