/** Checks for what a user types or drops into the Add and Share forms, with words for each. */

/** The bridge accepts bodies up to 16 MiB; base64 grows a file by a third. */
export const MAX_TORRENT_FILE_BYTES = 10 * 1024 * 1024;

/** undefined when `text` is a usable magnet link, else what is wrong with it. */
export function magnetProblem(text: string): string | undefined {
  const m = text.trim();
  if (m === '') return 'Paste a magnet link.';
  if (!m.toLowerCase().startsWith('magnet:?')) return 'A magnet link starts with "magnet:?".';
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(m.slice(m.indexOf('?') + 1));
  } catch {
    return 'This magnet link is not a valid URL.';
  }
  const topics = params.getAll('xt');
  if (topics.length === 0) return 'This magnet link has no "xt" (the torrent\'s hash).';
  const ok = topics.some(
    (xt) =>
      /^urn:btih:([0-9a-f]{40}|[a-z2-7]{32})$/i.test(xt) || /^urn:btmh:1220[0-9a-f]{64}$/i.test(xt),
  );
  if (!ok) return 'The hash in this magnet link is not a BitTorrent info-hash.';
  return undefined;
}

/** undefined when `file` looks like a .torrent we can upload, else what is wrong with it. */
export function torrentFileProblem(file: { name: string; size: number }): string | undefined {
  if (!file.name.toLowerCase().endsWith('.torrent')) {
    return `"${file.name}" is not a .torrent file.`;
  }
  if (file.size === 0) return `"${file.name}" is empty.`;
  if (file.size > MAX_TORRENT_FILE_BYTES) return `"${file.name}" is too large for a .torrent.`;
  return undefined;
}

/** undefined when `path` can be shared, else what is wrong with it. */
export function sharePathProblem(path: string): string | undefined {
  const p = path.trim();
  if (p === '') return 'Choose a file or folder to share.';
  if (!p.startsWith('/') && !/^[a-zA-Z]:[\\/]/.test(p)) {
    return 'Use a full path, starting with "/".';
  }
  return undefined;
}

/** Splits a textarea of tracker URLs (one per line or comma-separated) and checks each. */
export function parseTrackers(text: string): { urls: string[]; problem?: string } {
  const urls = text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  for (const u of urls) {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      return { urls, problem: `"${u}" is not a URL.` };
    }
    if (!['http:', 'https:', 'udp:', 'grpc:', 'grpcs:'].includes(url.protocol)) {
      return { urls, problem: `"${u}" is not a tracker URL (http, https, udp or grpc).` };
    }
  }
  return { urls: [...new Set(urls)] };
}

/** Reads a File as base64 (without the data: prefix). */
export function fileToBase64(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onerror = () => reject(new Error('The file could not be read.'));
    reader.onload = () => {
      const url = String(reader.result);
      resolve(url.slice(url.indexOf(',') + 1));
    };
    reader.readAsDataURL(file);
  });
}
