/**
 * Magnet links (BEP 9): `magnet:?xt=urn:btih:<info-hash>&dn=<name>&tr=<tracker>...`, plus `x.pe`
 * peer addresses, `ws` web seeds (BEP 19) and `so` select-only file indexes (BEP 53).
 * The info-hash comes as 40 hex or 32 base32 characters. A BEP 52 `urn:btmh:1220<sha-256>` hash
 * is read too: a hybrid link has both, a v2-only link only that one, and its swarm is found with
 * the v2 info-hash truncated to 20 bytes.
 */
import { MagnetError } from './errors';

export interface MagnetPeer {
  host: string;
  port: number;
}

export interface Magnet {
  /**
   * The info-hash of the swarm, 40 lowercase hex characters: the v1 info-hash (`btih`), or for a
   * v2-only link the v2 info-hash truncated to 20 bytes.
   */
  infoHash: string;
  infoHashBuffer: Buffer;
  /** BEP 52 v2 info-hash (SHA-256, hex) when the link has a `urn:btmh:`. */
  infoHashV2?: string;
  /** The link has only a v2 info-hash (a v2-only torrent). */
  v2Only?: true;
  /** Display name (`dn`). */
  name?: string;
  /** Tracker URLs (`tr`), in order, without duplicates. */
  trackers: string[];
  /** Web seeds (`ws`). */
  webSeeds: string[];
  /** Peers to try directly (`x.pe`). */
  peers: MagnetPeer[];
  /** BEP 53 file indexes to download (`so`); absent means all files. */
  selectOnly?: number[];
}

export interface MagnetOptions {
  /** Longest link accepted, in characters. Default 64 KiB. */
  maxLength?: number;
  /** Most file indexes `so` may select. Default 100,000. */
  maxSelect?: number;
}

export const DEFAULT_MAX_MAGNET_LENGTH = 64 * 1024;

function fail(code: string, message: string): never {
  throw new MagnetError(`magnet.${code}`, `invalid magnet link: ${message}`);
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32Decode(s: string): Buffer {
  const out = Buffer.alloc(Math.floor((s.length * 5) / 8));
  let bits = 0;
  let value = 0;
  let o = 0;
  for (const ch of s.toUpperCase()) {
    const v = BASE32.indexOf(ch);
    if (v < 0) fail('bad-hash', `"${ch}" is not a base32 character`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out[o++] = (value >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  return out;
}

function btih(hash: string): Buffer {
  if (/^[0-9a-fA-F]{40}$/.test(hash)) return Buffer.from(hash, 'hex');
  if (hash.length === 32) return base32Decode(hash);
  return fail('bad-hash', `btih must be 40 hex or 32 base32 characters, got ${hash.length}`);
}

function btmh(hash: string): string {
  // multihash: 0x12 (sha2-256), 0x20 (32 bytes), digest
  if (!/^1220[0-9a-fA-F]{64}$/.test(hash)) {
    fail('bad-hash', 'btmh must be a SHA-256 multihash (1220 followed by 64 hex characters)');
  }
  return hash.slice(4).toLowerCase();
}

function peer(s: string): MagnetPeer {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[3]) : 0;
  if (!m || port < 1 || port > 65535) fail('bad-peer', `x.pe "${s}" is not host:port`);
  return { host: m[1] ?? m[2], port };
}

function selectOnly(s: string, max: number, into: Set<number>): void {
  for (const part of s.split(',')) {
    const m = /^(\d{1,9})(?:-(\d{1,9}))?$/.exec(part);
    if (!m) fail('bad-select', `so "${part}" is not an index or a range`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) fail('bad-select', `so range "${part}" is backwards`);
    if (to - from + 1 + into.size > max) fail('bad-select', `so selects more than ${max} files`);
    for (let i = from; i <= to; i++) into.add(i);
  }
}

function unescape(s: string, what: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return fail('bad-escape', `${what} has a malformed %-escape`);
  }
}

/** Parses a magnet URI. Throws MagnetError on anything malformed. */
export function parseMagnet(uri: string, options: MagnetOptions = {}): Magnet {
  const maxLength = options.maxLength ?? DEFAULT_MAX_MAGNET_LENGTH;
  if (typeof uri !== 'string') fail('not-a-magnet', 'not a string');
  uri = uri.trim();
  if (uri.length > maxLength) fail('too-long', `${uri.length} characters (limit ${maxLength})`);
  if (!/^magnet:\?/i.test(uri)) fail('not-a-magnet', 'does not start with "magnet:?"');

  let hash: Buffer | undefined;
  let hashV2: string | undefined;
  let name: string | undefined;
  const trackers: string[] = [];
  const webSeeds: string[] = [];
  const peers: MagnetPeer[] = [];
  let select: Set<number> | undefined;

  const query = uri.slice(8).split('#')[0];
  for (const param of query.split('&')) {
    if (param === '') continue;
    const eq = param.indexOf('=');
    const rawKey = eq < 0 ? param : param.slice(0, eq);
    // Numbered variants (`tr.1`, `xt.2`) mean the same as the plain key.
    const key = rawKey.toLowerCase().replace(/\.\d+$/, '');
    const rawValue = eq < 0 ? '' : param.slice(eq + 1);
    switch (key) {
      case 'xt': {
        const value = unescape(rawValue, 'xt');
        const m = /^urn:(btih|btmh):(.*)$/i.exec(value);
        if (!m) break; // other URNs (e.g. sha1:, ed2k:) are not BitTorrent's; ignore them
        if (m[1].toLowerCase() === 'btih') {
          const h = btih(m[2]);
          if (hash && !hash.equals(h)) fail('conflicting-hash', 'two different btih info-hashes');
          hash = h;
        } else {
          const h = btmh(m[2]);
          if (hashV2 !== undefined && hashV2 !== h) {
            fail('conflicting-hash', 'two different btmh info-hashes');
          }
          hashV2 = h;
        }
        break;
      }
      case 'dn':
        name = unescape(rawValue.replace(/\+/g, ' '), 'dn');
        break;
      case 'tr': {
        const url = unescape(rawValue, 'tr').trim();
        if (url !== '' && !trackers.includes(url)) trackers.push(url);
        break;
      }
      case 'ws': {
        const url = unescape(rawValue, 'ws').trim();
        if (url !== '' && !webSeeds.includes(url)) webSeeds.push(url);
        break;
      }
      case 'x.pe':
        peers.push(peer(unescape(rawValue, 'x.pe')));
        break;
      case 'so':
        select ??= new Set();
        selectOnly(unescape(rawValue, 'so'), options.maxSelect ?? 100_000, select);
        break;
      default:
        break; // unknown parameters (xl, as, kt, ...) carry nothing we use
    }
  }
  const v2Only = hash === undefined && hashV2 !== undefined;
  if (v2Only) hash = Buffer.from(hashV2!.slice(0, 40), 'hex');
  if (hash === undefined) fail('missing-hash', 'no xt=urn:btih: or urn:btmh: info-hash');
  const out: Magnet = {
    infoHash: hash.toString('hex'),
    infoHashBuffer: hash,
    trackers,
    webSeeds,
    peers,
  };
  if (hashV2 !== undefined) out.infoHashV2 = hashV2;
  if (v2Only) out.v2Only = true;
  if (name !== undefined) out.name = name;
  if (select !== undefined) out.selectOnly = [...select].sort((a, b) => a - b);
  return out;
}

export interface MagnetInput {
  /** 40 hex characters or a 20-byte buffer; omitted (or `v2Only`) for a v2-only link. */
  infoHash?: string | Uint8Array;
  v2Only?: boolean;
  infoHashV2?: string;
  name?: string;
  trackers?: readonly string[];
  webSeeds?: readonly string[];
  peers?: readonly MagnetPeer[];
  selectOnly?: readonly number[];
}

/** Compresses sorted indexes into BEP 53 ranges: [0,1,2,5] -> "0-2,5". */
function formatSelect(indexes: readonly number[]): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j === i ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j;
  }
  return parts.join(',');
}

/** Formats a magnet URI; the info-hash is written in lowercase hex. */
export function formatMagnet(m: MagnetInput): string {
  const parts: string[] = [];
  const v2Only = m.v2Only === true || m.infoHash === undefined;
  if (!v2Only) {
    const hash =
      typeof m.infoHash === 'string'
        ? m.infoHash.toLowerCase()
        : Buffer.from(m.infoHash!).toString('hex');
    if (!/^[0-9a-f]{40}$/.test(hash)) {
      throw new MagnetError('magnet.bad-hash', 'infoHash must be 40 hex characters or 20 bytes');
    }
    parts.push(`xt=urn:btih:${hash}`);
  }
  if (m.infoHashV2 !== undefined) parts.push(`xt=urn:btmh:1220${btmh(`1220${m.infoHashV2}`)}`);
  else if (v2Only) throw new MagnetError('magnet.bad-hash', 'a v2-only link needs infoHashV2');
  if (m.name !== undefined) parts.push(`dn=${encodeURIComponent(m.name)}`);
  for (const t of m.trackers ?? []) parts.push(`tr=${encodeURIComponent(t)}`);
  for (const w of m.webSeeds ?? []) parts.push(`ws=${encodeURIComponent(w)}`);
  for (const p of m.peers ?? []) {
    const host = p.host.includes(':') ? `[${p.host}]` : p.host;
    parts.push(`x.pe=${encodeURIComponent(`${host}:${p.port}`)}`);
  }
  if (m.selectOnly !== undefined && m.selectOnly.length > 0) {
    parts.push(`so=${formatSelect(m.selectOnly)}`);
  }
  return `magnet:?${parts.join('&')}`;
}

/** The magnet link of a parsed torrent: hash, name, every tracker (flattened) and web seed. */
export function magnetFromMetainfo(m: {
  infoHash: string;
  infoHashV2?: string;
  metaVersion?: 1 | 2;
  hybrid?: boolean;
  name: string;
  announce: string[][];
  urlList: string[];
}): string {
  return formatMagnet({
    infoHash: m.infoHash,
    v2Only: m.metaVersion === 2 && m.hybrid === false,
    infoHashV2: m.infoHashV2,
    name: m.name,
    trackers: m.announce.flat(),
    webSeeds: m.urlList,
  });
}
