import { readFile, stat } from 'node:fs/promises';
import type { TorrentSource } from '@enjambre/engine';
import type { AllowedFolders } from '../daemon/roots';
import { RpcError } from './errors';

/** The largest .torrent either API fetches or reads (the protocol core's own bound is 64 MiB). */
export const MAX_TORRENT_BYTES = 16 * 1024 * 1024;
const FETCH_TIMEOUT_MS = 30_000;

/**
 * What a remote-control client names as a torrent: a magnet link, a bare info-hash, an http(s)
 * URL of a .torrent (fetched, bounded), or a path on this machine (only inside the allowed
 * folders: the API must not read what the user did not open to it).
 */
export async function sourceFromName(
  name: string,
  folders: AllowedFolders,
): Promise<TorrentSource> {
  const text = name.trim();
  if (/^magnet:\?/i.test(text)) return { magnet: text };
  if (/^([0-9a-f]{40})$/i.test(text))
    return { magnet: `magnet:?xt=urn:btih:${text.toLowerCase()}` };
  if (/^https?:\/\//i.test(text)) return { torrent: await fetchTorrent(text) };
  if (text.startsWith('/')) {
    const path = await folders.shareSource(text);
    const st = await stat(path);
    if (!st.isFile()) throw new RpcError(400, `not a file: ${text}`);
    if (st.size > MAX_TORRENT_BYTES)
      throw new RpcError(413, `larger than a .torrent can be: ${text}`);
    return { torrent: await readFile(path) };
  }
  throw new RpcError(400, 'not a magnet link, URL, info-hash or absolute path');
}

async function fetchTorrent(url: string): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch (err) {
    throw new RpcError(400, `could not fetch ${url}: ${(err as Error).message}`);
  }
  if (!res.ok) throw new RpcError(400, `could not fetch ${url}: HTTP ${res.status}`);
  if (!res.body) throw new RpcError(400, `could not fetch ${url}: empty answer`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > MAX_TORRENT_BYTES)
      throw new RpcError(413, `${url} is larger than a .torrent can be`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
