/**
 * Which file names are safe to store. Every name a parsed torrent gives is rewritten into one
 * (path-sanitize.ts), and a torrent we create must already have only such names. Checked against
 * what would escape the download folder, or write somewhere unexpected, on *any* OS (a torrent
 * made on Linux is opened on Windows too).
 *
 * Unsafe:
 * - empty components, `.` and `..`;
 * - `/` or `\` inside a component (a separator on some OS), `:` (Windows drive letters such as
 *   `C:x` and NTFS alternate streams);
 * - NUL and the other C0 control characters, and DEL;
 * - trailing dots or spaces (Windows strips them, so `.. ` would become `..` and `a.` would
 *   collide with `a`);
 * - Windows device names (`CON`, `PRN`, `AUX`, `NUL`, `COM0`-`COM9`, `LPT0`-`LPT9`, also with
 *   an extension such as `nul.txt`, in any case);
 * - components over 255 bytes in UTF-8 (no common file system stores them).
 *
 * Allowed although Windows cannot create them: `< > " | ? *`. They cannot escape the folder; a
 * Windows client fails to create such a file with a clear error instead.
 */

const DEVICE_NAMES = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?$/i;
export const MAX_COMPONENT_BYTES = 255;

/** Why `component` is not a safe file or folder name, or undefined when it is. */
export function unsafeComponentReason(component: string): string | undefined {
  if (component.length === 0) return 'is empty';
  if (component === '.' || component === '..') return `is "${component}"`;
  for (let i = 0; i < component.length; i++) {
    const c = component.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return 'contains a control character';
    if (c === 0x2f || c === 0x5c) return 'contains a path separator';
    if (c === 0x3a) return 'contains ":"';
  }
  const last = component[component.length - 1];
  if (last === '.' || last === ' ') return 'ends with a dot or a space';
  if (DEVICE_NAMES.test(component)) return 'is a Windows device name';
  if (Buffer.byteLength(component, 'utf8') > MAX_COMPONENT_BYTES) {
    return `is longer than ${MAX_COMPONENT_BYTES} bytes`;
  }
  return undefined;
}

export function isSafeComponent(component: string): boolean {
  return unsafeComponentReason(component) === undefined;
}
