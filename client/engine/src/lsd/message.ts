/**
 * BEP 14 (Local Service Discovery) announces: an HTTP-like `BT-SEARCH` datagram with the peer
 * port, one or more info-hashes and a cookie that lets a sender recognise its own announces.
 * Pure: formatting and a bounded, strict parser.
 */
export const LSD_GROUP4 = '239.192.152.143';
export const LSD_GROUP6 = 'ff15::efc0:988f';
export const LSD_PORT = 6771;
/** Largest datagram parsed (Transmission sends and accepts at most 200 bytes). */
export const LSD_MAX_DATAGRAM = 1400;
const MAX_HASHES = 16;

export interface LsdAnnounce {
  port: number;
  /** Lower-case hex info-hashes. */
  infoHashes: string[];
  cookie?: string;
}

export function formatLsdAnnounce(host: string, a: LsdAnnounce): Buffer {
  const lines = ['BT-SEARCH * HTTP/1.1', `Host: ${host}`, `Port: ${a.port}`];
  for (const h of a.infoHashes) lines.push(`Infohash: ${h}`);
  if (a.cookie) lines.push(`cookie: ${a.cookie}`);
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n\r\n', 'latin1');
}

/** Parses one announce, or returns null for anything that is not a valid one. */
export function parseLsdAnnounce(datagram: Uint8Array): LsdAnnounce | null {
  if (datagram.length > LSD_MAX_DATAGRAM) return null;
  const text = Buffer.from(datagram).toString('latin1');
  const lines = text.split(/\r?\n/);
  if (lines[0]?.trim() !== 'BT-SEARCH * HTTP/1.1') return null;
  let port = -1;
  let cookie: string | undefined;
  const infoHashes: string[] = [];
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) return null;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'port') {
      if (!/^\d{1,5}$/.test(value)) return null;
      port = Number(value);
    } else if (name === 'infohash') {
      if (!/^[0-9a-fA-F]{40}$/.test(value)) return null;
      const h = value.toLowerCase();
      if (!infoHashes.includes(h) && infoHashes.length < MAX_HASHES) infoHashes.push(h);
    } else if (name === 'cookie') {
      cookie = value.slice(0, 64);
    }
  }
  if (port < 1 || port > 65535 || infoHashes.length === 0) return null;
  return { port, infoHashes, ...(cookie !== undefined && { cookie }) };
}
