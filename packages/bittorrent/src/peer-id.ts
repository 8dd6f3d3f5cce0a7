/**
 * Peer ids: which client a peer runs, from the conventions clients follow
 * (Azureus style `-XXvvvv-`, Shadow style `Xvvvvv---`, Mainline style `M4-3-6--`), and making
 * enjambre's own.
 */
import { randomBytes } from 'node:crypto';

/** Azureus-style two-letter codes of the clients one meets in swarms. */
const AZUREUS: Record<string, string> = {
  '7T': 'aTorrent',
  AG: 'Ares',
  'A~': 'Ares',
  AR: 'Arctic',
  AT: 'Artemis',
  AV: 'Avicora',
  AX: 'BitPump',
  AZ: 'Vuze',
  BB: 'BitBuddy',
  BC: 'BitComet',
  BE: 'BitTorrent SDK',
  BF: 'Bitflu',
  BG: 'BTG',
  BI: 'BiglyBT',
  BL: 'BitBlinder',
  BP: 'BitTorrent Pro',
  BR: 'BitRocket',
  BS: 'BTSlave',
  BT: 'BitTorrent',
  BW: 'BitWombat',
  CD: 'Enhanced CTorrent',
  CT: 'CTorrent',
  DE: 'Deluge',
  EB: 'EBit',
  EJ: 'enjambre',
  ES: 'Electric Sheep',
  FC: 'FileCroc',
  FD: 'Free Download Manager',
  FG: 'FlashGet',
  FW: 'FrostWire',
  FX: 'Freebox BitTorrent',
  GS: 'GSTorrent',
  HL: 'Halite',
  HN: 'Hydranode',
  IL: 'iLivid',
  KG: 'KGet',
  KT: 'KTorrent',
  LC: 'LeechCraft',
  LH: 'LH-ABC',
  LP: 'Lphant',
  LT: 'libtorrent (Rasterbar)',
  lt: 'libtorrent (rakshasa)',
  LW: 'LimeWire',
  MO: 'MonoTorrent',
  MP: 'MooPolice',
  MR: 'Miro',
  NB: 'Net::BitTorrent',
  NX: 'Net Transport',
  OS: 'OneSwarm',
  OT: 'OmegaTorrent',
  PD: 'Pando',
  PI: 'PicoTorrent',
  qB: 'qBittorrent',
  QD: 'QQDownload',
  QT: 'Qt 4 Torrent example',
  RT: 'Retriever',
  RZ: 'RezTorrent',
  SB: 'Swiftbit',
  SD: 'Thunder',
  SM: 'SoMud',
  SP: 'BitSpirit',
  SS: 'SwarmScope',
  ST: 'SymTorrent',
  st: 'SharkTorrent',
  SZ: 'Shareaza',
  'S~': 'Shareaza',
  TB: 'Torch',
  TL: 'Tribler',
  TN: 'TorrentDotNET',
  TR: 'Transmission',
  TS: 'Torrentstorm',
  TT: 'TuoTu',
  UL: 'uLeecher!',
  UM: 'µTorrent for Mac',
  UT: 'µTorrent',
  UW: 'µTorrent Web',
  VG: 'Vagaa',
  WD: 'WebTorrent Desktop',
  WT: 'BitLet',
  WW: 'WebTorrent',
  WY: 'FireTorrent',
  XL: 'Xunlei',
  XT: 'XanTorrent',
  XX: 'Xtorrent',
  ZT: 'ZipTorrent',
};

/** Shadow-style one-letter codes. */
const SHADOW: Record<string, string> = {
  A: 'ABC',
  O: 'Osprey Permaseed',
  Q: 'BTQueue',
  R: 'Tribler',
  S: 'Shadow',
  T: 'BitTornado',
  U: 'UPnP NAT Bit Torrent',
};

/** Mainline-style prefixes: name, then version numbers separated by dashes. */
const MAINLINE: Record<string, string> = { M: 'Mainline', Q: 'Queen Bee', A2: 'aria2' };

const SHADOW_DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.-';

export interface PeerClient {
  /** Client name, e.g. "qBittorrent". */
  name: string;
  /** Version as the client writes it, e.g. "4.5.2"; empty when the id carries none. */
  version: string;
}

/** A version character of an Azureus-style id: 0-9, then A-Z for 10-35 (as rakshasa's `0D8`). */
function azDigit(c: string): number {
  const v = SHADOW_DIGITS.indexOf(c);
  return v >= 0 && v < 36 ? v : -1;
}

function azureusVersion(code: string, v: string): string | null {
  const d = [...v].map(azDigit);
  if (d.some((x) => x < 0)) return null;
  if (code === 'TR') {
    // Transmission: 1.x-3.x write major + two-digit minor ("3.00"); 4+ write major.minor.patch.
    return d[0] >= 4 ? `${d[0]}.${d[1]}.${d[2]}` : `${d[0]}.${d[1]}${d[2]}`;
  }
  if (code === 'WW' || code === 'WD') {
    // WebTorrent: two-digit major and minor ("0105" is 1.5).
    return `${d[0] * 10 + d[1]}.${d[2] * 10 + d[3]}`;
  }
  // Others: one character per component, a trailing zero fourth component dropped.
  const parts = d[3] === 0 ? d.slice(0, 3) : d;
  return parts.join('.');
}

/** Recognises the client that made `peerId`, or null for an unknown scheme. */
export function parsePeerId(peerId: Uint8Array): PeerClient | null {
  if (peerId.length !== 20) return null;
  const s = Buffer.from(peerId).toString('latin1');

  // Azureus style: -XXvvvv-
  if (s[0] === '-' && s[7] === '-') {
    const code = s.slice(1, 3);
    const name = AZUREUS[code];
    if (name) {
      const version = azureusVersion(code, s.slice(3, 7));
      if (version !== null) return { name, version };
    }
  }

  // Mainline style (also aria2): letters, then numbers separated by dashes: M4-3-6--, A2-1-36-0-
  const m = /^(?:(A2)-|(M|Q))(\d{1,3})-(\d{1,3})-(\d{1,3})-/.exec(s);
  if (m) {
    return { name: MAINLINE[m[1] ?? m[2]], version: `${+m[3]}.${+m[4]}.${+m[5]}` };
  }

  // Shadow style: one letter, up to five version characters padded with '-', then '---'.
  const shadow = SHADOW[s[0]];
  if (shadow && s.slice(6, 9) === '---') {
    const v = s.slice(1, 6).replace(/-+$/, '');
    const digits = [...v].map((c) => SHADOW_DIGITS.indexOf(c));
    if (v.length > 0 && digits.every((x) => x >= 0 && x < 62)) {
      return { name: shadow, version: digits.join('.') };
    }
  }
  return null;
}

/**
 * A name for logs and the GUI's peer list: "Transmission 3.00", "qBittorrent 4.5.2", or for an
 * unknown scheme the hex of its first 8 bytes ("unknown 2d5858...").
 */
export function describePeerId(peerId: Uint8Array): string {
  const c = parsePeerId(peerId);
  if (c) return c.version ? `${c.name} ${c.version}` : c.name;
  return `unknown ${Buffer.from(peerId.subarray(0, 8)).toString('hex')}`;
}

/** enjambre's Azureus-style prefix for a version "major.minor.patch" (each 0..35). */
export function enjambrePeerIdPrefix(version = '0.1.0'): string {
  const parts = version.split('.').map((p) => Number(p));
  while (parts.length < 4) parts.push(0);
  if (parts.length > 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 35)) {
    throw new RangeError(`version ${version} does not fit an Azureus-style peer id`);
  }
  return `-EJ${parts.map((p) => SHADOW_DIGITS[p]).join('')}-`;
}

/** A fresh 20-byte peer id: the 8-byte prefix and 12 random bytes. */
export function createPeerId(prefix = enjambrePeerIdPrefix()): Buffer {
  const p = Buffer.from(prefix, 'latin1');
  if (p.length > 20) throw new RangeError('peer id prefix longer than 20 bytes');
  return Buffer.concat([p, randomBytes(20 - p.length)]);
}
