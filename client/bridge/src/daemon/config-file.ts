import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/** `DATA_DIR/config.json`: what the user sets by hand and the API can never change. */
export interface ConfigFile {
  /** Folders the API may read, share from and download into (`--allow-folder` overrides). */
  allowFolders?: string[];
}

export const CONFIG_FILE = 'config.json';
const MAX_BYTES = 64 * 1024;

/** A config file that cannot be used: the daemon says why and does not start. */
export class ConfigError extends Error {}

/** Reads the config file of a data dir; no file is an empty config. */
export async function readConfigFile(dataDir: string): Promise<ConfigFile> {
  const file = join(dataDir, CONFIG_FILE);
  let text: string;
  try {
    const bytes = await readFile(file);
    if (bytes.length > MAX_BYTES) throw new ConfigError(`${file}: larger than ${MAX_BYTES} bytes`);
    text = bytes.toString('utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file}: not JSON (${(err as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`${file}: expected a JSON object`);
  }
  const config: ConfigFile = {};
  const folders = (parsed as { allowFolders?: unknown }).allowFolders;
  if (folders !== undefined) {
    if (!Array.isArray(folders) || folders.some((f) => typeof f !== 'string' || f === '')) {
      throw new ConfigError(`${file}: allowFolders must be a list of folder paths`);
    }
    config.allowFolders = folders.map((f: string) => {
      const path = f === '~' ? homedir() : f.startsWith('~/') ? join(homedir(), f.slice(2)) : f;
      if (!isAbsolute(path)) throw new ConfigError(`${file}: not an absolute path: ${f}`);
      return path;
    });
  }
  return config;
}
