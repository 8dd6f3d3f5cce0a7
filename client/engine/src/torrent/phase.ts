import type { TorrentState } from '../api';
import type { TorrentContent } from './content';
import type { Live } from './live';

/**
 * A torrent's phases (see STATE.md). Each holds what only it needs: the content exists once the
 * metadata is known, the live run only while downloading or seeding.
 */
export type Phase =
  | { name: 'metadata' }
  | { name: 'checking'; content: TorrentContent }
  | { name: 'live'; live: Live }
  | { name: 'paused'; content?: TorrentContent }
  | { name: 'error'; message: string; content?: TorrentContent };

export function contentOf(p: Phase): TorrentContent | undefined {
  return p.name === 'live' ? p.live.content : p.name === 'metadata' ? undefined : p.content;
}

export function stateOf(p: Phase): TorrentState {
  return p.name === 'live' ? (p.live.seeding ? 'seeding' : 'downloading') : p.name;
}
