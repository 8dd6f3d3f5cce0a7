import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, readConfigFile } from './config-file';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'enjambre-config-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const write = (text: string) => writeFile(join(dir, 'config.json'), text);

test('no file is an empty config', async () => {
  expect(await readConfigFile(dir)).toEqual({});
});

test('allowFolders: absolute paths, ~ for the home folder', async () => {
  await write(JSON.stringify({ allowFolders: ['/srv/media', '~/Music', '~'] }));
  expect(await readConfigFile(dir)).toEqual({
    allowFolders: ['/srv/media', join(homedir(), 'Music'), homedir()],
  });
});

test('a config that cannot be used is refused with the reason', async () => {
  for (const [text, reason] of [
    ['{', /not JSON/],
    ['[]', /JSON object/],
    [JSON.stringify({ allowFolders: 'x' }), /list of folder paths/],
    [JSON.stringify({ allowFolders: [''] }), /list of folder paths/],
    [JSON.stringify({ allowFolders: ['relative'] }), /not an absolute path: relative/],
    [' '.repeat(70_000), /larger than/],
  ] as const) {
    await write(text);
    const err = await readConfigFile(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(reason);
  }
});
