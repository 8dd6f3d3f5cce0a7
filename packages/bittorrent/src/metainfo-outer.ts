/**
 * The fields of a .torrent outside `info` that enjambre reads: trackers (BEP 12) and web seeds
 * (BEP 19). Values of the wrong type are skipped item by item, as libtorrent skips them.
 */
import { BencodeDict, BencodeValue, isBytes, isList } from './bencode';

/** Text of an outer field, or undefined when it is missing or of another type (libtorrent ignores those). */
export function textOf(v: BencodeValue | undefined): string | undefined {
  return isBytes(v) ? v.toString('utf8') : undefined;
}

export function announceTiers(top: BencodeDict): string[][] {
  const seen = new Set<string>();
  const tiers: string[][] = [];
  const list = top['announce-list'];
  if (isList(list)) {
    for (const tier of list) {
      if (!isList(tier)) continue;
      const urls: string[] = [];
      for (const u of tier) {
        const url = textOf(u)?.trim();
        if (url && !seen.has(url)) {
          seen.add(url);
          urls.push(url);
        }
      }
      if (urls.length > 0) tiers.push(urls);
    }
  }
  // BEP 12: with a usable announce-list, `announce` is ignored.
  if (tiers.length === 0) {
    const url = textOf(top.announce)?.trim();
    if (url) tiers.push([url]);
  }
  return tiers;
}

/** BEP 19 web seeds: one string, or a list whose strings count (other items are skipped). */
export function urlList(top: BencodeDict): string[] {
  const v = top['url-list'];
  const items = isList(v) ? v : isBytes(v) ? [v] : [];
  const out: string[] = [];
  for (const item of items) {
    const url = textOf(item)?.trim();
    if (url && !out.includes(url)) out.push(url);
  }
  return out;
}
