/**
 * How the file names a torrent carries become names on disk. The torrent still opens when its
 * names are odd or hostile, with the same info-hash (it covers the raw bytes): each component is
 * rewritten the way libtorrent 2.0 rewrites it, then made portable, so every name is safe on
 * every OS (see `unsafeComponentReason`), and files that end up at the same path get distinct
 * names.
 *
 * Rules (libtorrent's, from its `sanitize_append_path_element`, on Linux):
 * - a component `.`, `..` (and any that is one or two dots once filtered) is dropped; an empty
 *   component becomes `_`; a path whose every component was dropped becomes `_`;
 * - NUL, `/`, `\` and the Unicode direction overrides (U+202A-U+202E, U+200E, U+200F) are
 *   removed; other control characters (below U+0020) and each invalid UTF-8 sequence become `_`;
 * - past 240 bytes a component is cut, keeping an extension that starts within its last 9 bytes.
 * Then, for names every OS can store (libtorrent does this only on Windows): trailing dots and
 * spaces are removed (a name of only those becomes `_`), a Windows device name (`CON`, `nul.txt`)
 * gets a `_` in front, `:` and DEL become `_`.
 */

/** libtorrent's reading of one UTF-8 sequence at `i`: [code point or -1 when invalid, bytes]. */
function codePointAt(b: Uint8Array, i: number): [number, number] {
  const lead = b[i];
  if (lead < 0x80) return [lead, 1];
  let len: number;
  if (lead >> 5 === 0b110) len = 2;
  else if (lead >> 4 === 0b1110) len = 3;
  else if (lead >> 3 === 0b11110) len = 4;
  else if (lead >> 2 === 0b111110)
    return [-1, 5]; // an invalid 5-byte lead still skips 5
  else return [-1, 1];
  if (i + len > b.length) return [-1, b.length - i];
  let cp = lead & (0xff >> (len + 1));
  for (let k = 1; k < len; k++) {
    const c = b[i + k];
    if (c < 0x80 || c > 0xbf) return [-1, len];
    cp = (cp << 6) | (c & 0x3f);
  }
  const overlong =
    (len === 2 && cp < 0x80) || (len === 3 && cp < 0x800) || (cp < 0x10000 && len === 4);
  if (overlong || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return [-1, len];
  return [cp, len];
}

const REMOVED = new Set([0x00, 0x2f, 0x5c, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x200e, 0x200f]);
const UNDERSCORE = 0x5f;
const DOT = 0x2e;
/** Bytes after which a component is cut (libtorrent's limit, under every file system's 255). */
const CUT_AT = 240;

/**
 * One component as libtorrent 2.0 rewrites it (before the portable step), or null when libtorrent
 * drops it. Works on the raw bytes: invalid UTF-8 must be seen to be replaced the same way.
 */
export function libtorrentComponent(raw: Uint8Array): string | null {
  if (raw.length === 1 && raw[0] === DOT) return null;
  if (raw.length === 0) return '_';
  const out: number[] = [];
  let dots = 0;
  let foundExtension = false;
  for (let i = 0; i < raw.length;) {
    const [cp, len] = codePointAt(raw, i);
    if (cp >= 0 && REMOVED.has(cp)) {
      i += len;
      continue;
    }
    if (cp < 0x20) {
      out.push(UNDERSCORE);
      i += len;
      continue;
    }
    for (let k = i; k < i + len; k++) out.push(raw[k]);
    if (cp === DOT) dots++;
    if (out.length >= CUT_AT && !foundExtension) {
      // too long: jump to an extension near the end, if there is one, and keep only that
      let dot = -1;
      for (let j = raw.length - 1; j > Math.max(raw.length - 10, i); j--) {
        if (raw[j] === DOT) {
          dot = j;
          break;
        }
      }
      if (dot === -1) break;
      foundExtension = true;
      i = dot;
      continue;
    }
    i += len;
  }
  if (out.length === dots && out.length <= 2) return null;
  return Buffer.from(out).toString('utf8');
}

const DEVICE_NAMES = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?$/i;

/** The portable step: what Windows cannot store or would read as something else. */
export function portableComponent(s: string): string {
  let out = s.replace(/[:\x7f]/g, '_').replace(/[. ]+$/, '');
  if (out === '') out = '_';
  if (DEVICE_NAMES.test(out)) out = `_${out}`;
  return out;
}

/** A component as enjambre stores it, or null when it is dropped from its path. */
export function sanitizeComponent(raw: Uint8Array): string | null {
  const lt = libtorrentComponent(raw);
  return lt === null ? null : portableComponent(lt);
}

/** Every component sanitized, dropped ones left out; `['_']` when none is left. */
export function sanitizePath(raw: readonly Uint8Array[]): string[] {
  const out: string[] = [];
  for (const c of raw) {
    const s = sanitizeComponent(c);
    if (s !== null) out.push(s);
  }
  return out.length === 0 ? ['_'] : out;
}

/** libtorrent compares names in ASCII lower case only. */
function fold(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

export interface DuplicateInput {
  path: string[];
  pad: boolean;
  length: number;
}

/**
 * Renames files that share a path (case-insensitively, as libtorrent compares them) with an
 * earlier file or with a folder: `a.txt` becomes `a.1.txt`, then `a.2.txt`, as libtorrent does.
 * Pad files of one size may share a path. Returns the new path of each renamed file by index.
 */
export function resolveDuplicatePaths(files: readonly DuplicateInput[]): Map<number, string[]> {
  // what a folded path is taken by: a folder (-1) or a file's index
  const taken = new Map<string, number>();
  for (const f of files) {
    for (let i = 1; i < f.path.length; i++) taken.set(fold(f.path.slice(0, i).join('/')), -1);
  }
  const renamed = new Map<number, string[]>();
  // where the counter of each base name got to: numbers below it are all taken already
  const next = new Map<string, number>();
  files.forEach((f, i) => {
    const key = fold(f.path.join('/'));
    const other = taken.get(key);
    if (other === undefined) {
      taken.set(key, i);
      return;
    }
    const o = other >= 0 ? files[other] : undefined;
    if (o && o.pad && f.pad && o.length === f.length) return;
    const last = f.path[f.path.length - 1];
    const dot = last.lastIndexOf('.');
    const base = dot === -1 ? last : last.slice(0, dot);
    const ext = dot === -1 ? '' : last.slice(dot);
    const dir = f.path.slice(0, -1);
    const counterKey = fold([...dir, base].join('/')) + '\0' + fold(ext);
    for (let n = next.get(counterKey) ?? 1; ; n++) {
      const candidate = [...dir, `${base}.${n}${ext}`];
      const k = fold(candidate.join('/'));
      if (!taken.has(k)) {
        taken.set(k, i);
        next.set(counterKey, n + 1);
        renamed.set(i, candidate);
        return;
      }
    }
  });
  return renamed;
}
