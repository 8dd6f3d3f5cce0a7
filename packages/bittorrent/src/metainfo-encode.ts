/** Writing .torrent files around an `info` dictionary kept byte for byte. */
import { RawBencode, encode } from './bencode';
import { MetainfoError } from './errors';
import { parseInfoDictionary } from './metainfo';

export interface TorrentWrapper {
  /** Tracker tiers, or a flat list meaning one tracker per tier (as mktorrent writes them). */
  announce?: readonly (readonly string[])[] | readonly string[];
  urlList?: readonly string[];
  comment?: string;
  createdBy?: string;
  creationDate?: number;
}

/** Normalizes `announce` input into tiers of non-empty URLs. */
export function toTiers(announce: TorrentWrapper['announce']): string[][] {
  if (announce === undefined) return [];
  const tiers = announce.map((t) => (typeof t === 'string' ? [t] : [...t]));
  return tiers.map((t) => t.filter((u) => u !== '')).filter((t) => t.length > 0);
}

/**
 * Wraps a raw `info` dictionary (kept byte for byte, so the info-hash does not change) into a
 * .torrent with trackers and the other outer fields.
 */
export function encodeTorrent(
  info: Uint8Array,
  wrapper: TorrentWrapper = {},
  /** BEP 52 piece layers, keyed by pieces root (as a latin1 string of its 32 bytes). */
  pieceLayers?: ReadonlyMap<string, Buffer>,
): Buffer {
  parseInfoDictionary(info); // refuse to write a torrent we could not read back
  const tiers = toTiers(wrapper.announce);
  const urls = wrapper.urlList?.filter((u) => u !== '') ?? [];
  if (wrapper.creationDate !== undefined && !Number.isSafeInteger(wrapper.creationDate)) {
    throw new MetainfoError('metainfo.bad-type', 'creationDate must be an integer (seconds)');
  }
  return encode({
    announce: tiers.length > 0 ? tiers[0][0] : undefined,
    // A single tracker needs no announce-list; several keep their tiers.
    'announce-list': tiers.length > 1 || (tiers[0]?.length ?? 0) > 1 ? tiers : undefined,
    comment: wrapper.comment,
    'created by': wrapper.createdBy,
    'creation date': wrapper.creationDate,
    info: new RawBencode(info),
    'piece layers':
      pieceLayers && pieceLayers.size > 0 ? Object.fromEntries(pieceLayers) : undefined,
    'url-list': urls.length === 0 ? undefined : urls.length === 1 ? urls[0] : urls,
  });
}
