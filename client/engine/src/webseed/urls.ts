import type { TorrentMeta } from '../meta';
import { isLoopbackHost } from './ssrf';

/** Web seeds used per torrent: the torrent's author chooses them, so a list of thousands is
 * no reason to open thousands of connections (libtorrent has no limit; 8 covers real torrents). */
export const MAX_WEB_SEEDS = 8;
const MAX_URL_LENGTH = 2048;

/**
 * The `url-list` entries a torrent may make us fetch: http and https only (no file:, ftp:,
 * data: or any scheme that reaches past the network), no credentials in the URL, a host, a
 * bounded length; duplicates and anything else are dropped, at most MAX_WEB_SEEDS kept.
 */
export function usableWebSeeds(urls: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of urls) {
    if (out.length >= MAX_WEB_SEEDS) break;
    const url = raw.trim();
    if (url.length === 0 || url.length > MAX_URL_LENGTH || hasControlOrSpace(url)) continue;
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      continue;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') continue;
    if (u.hostname === '' || u.username !== '' || u.password !== '') continue;
    // as libtorrent's ssrf_mitigation: local web UIs act on GET queries (see ssrf.ts)
    if (u.search !== '' && isLoopbackHost(u.hostname)) continue;
    // the fragment never reaches the server; keep the URL as written otherwise (BEP 19 appends
    // to it textually, a trailing '/' matters)
    const clean = u.hash ? url.slice(0, url.indexOf('#')) : url;
    if (!out.includes(clean)) out.push(clean);
  }
  return out;
}

function hasControlOrSpace(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** Percent-encodes one path component (everything but unreserved characters). */
function encodeComponent(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);
}

/**
 * BEP 19: the URL of file `fileIndex` on web seed `base`. A single-file torrent's URL is the
 * file itself, unless it ends in '/', which names a folder holding a file called `name`. A
 * multi-file torrent's URL is a folder holding the torrent's folder: base + name + '/' + path.
 */
export function fileUrl(base: string, meta: TorrentMeta, fileIndex: number): string {
  if (meta.singleFile) return base.endsWith('/') ? base + encodeComponent(meta.name) : base;
  const dir = base.endsWith('/') ? base : `${base}/`;
  const parts = [meta.name, ...meta.files[fileIndex].path].map(encodeComponent);
  return dir + parts.join('/');
}
