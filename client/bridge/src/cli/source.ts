import { stat, readFile } from 'node:fs/promises';
import {
  DEFAULT_MAX_TORRENT_SIZE,
  Magnet,
  Metainfo,
  parseMagnet,
  parseTorrent,
  ProtocolError,
} from '@enjambre/bittorrent';
import { describeError, UserError } from './errors';

export type LoadedSource =
  | { kind: 'torrent'; file: string; bytes: Buffer; metainfo: Metainfo }
  | { kind: 'magnet'; uri: string; magnet: Magnet };

export function isMagnet(arg: string): boolean {
  return /^magnet:/i.test(arg);
}

/** Reads a .torrent file or a magnet link; refuses bad input with one line saying why. */
export async function loadSource(arg: string): Promise<LoadedSource> {
  if (isMagnet(arg)) {
    try {
      return { kind: 'magnet', uri: arg, magnet: parseMagnet(arg) };
    } catch (err) {
      throw new UserError(`not a usable magnet link: ${describeError(err)}`);
    }
  }
  let bytes: Buffer;
  try {
    const st = await stat(arg);
    if (!st.isFile()) throw new UserError(`${arg}: not a file`);
    if (st.size > DEFAULT_MAX_TORRENT_SIZE) {
      throw new UserError(`${arg}: too large to be a .torrent (${st.size} bytes)`);
    }
    bytes = await readFile(arg);
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(describeError(err));
  }
  try {
    return { kind: 'torrent', file: arg, bytes, metainfo: parseTorrent(bytes) };
  } catch (err) {
    if (err instanceof ProtocolError) throw new UserError(`${arg}: ${err.message}`);
    throw err;
  }
}
