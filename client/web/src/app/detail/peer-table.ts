import { ChangeDetectionStrategy, Component, input } from '@angular/core';
import type { PeerStatus } from '../api/types';
import { FORMAT_PIPES } from '../util/format.pipes';

const FLAG_WORDS: Record<string, string> = {
  D: 'downloading from them',
  d: 'we want their pieces',
  U: 'uploading to them',
  u: 'they want our pieces',
  O: 'optimistic unchoke',
  S: 'snubbed',
  I: 'incoming connection',
  X: 'found through PEX',
  H: 'found through DHT',
  L: 'found on the local network',
  E: 'encrypted',
  P: 'uTP',
  K: 'they are not interested',
  '?': 'we are not interested',
};

export function explainFlags(flags: string): string {
  return [...flags]
    .map((f) => FLAG_WORDS[f])
    .filter(Boolean)
    .join(', ');
}

const SOURCE_WORDS: Record<PeerStatus['source'], { label: string; title: string }> = {
  tracker: { label: 'Tracker', title: 'A tracker gave us its address' },
  dht: { label: 'DHT', title: 'Found through the DHT, without a tracker' },
  pex: { label: 'PEX', title: 'Another peer told us about it (peer exchange)' },
  lsd: { label: 'Local network', title: 'It announced itself on the local network (LSD)' },
  incoming: { label: 'Incoming', title: 'It connected to us' },
  manual: { label: 'Added by hand', title: 'Added by hand, or named in the magnet link' },
};

/** Where we met a peer, in words (a source the GUI does not know yet is shown as it is). */
export function peerSource(source: string): { label: string; title: string } {
  return SOURCE_WORDS[source as PeerStatus['source']] ?? { label: source, title: source };
}

/** A torrent's connected peers: who, how we met, what they do. */
@Component({
  selector: 'ej-peer-table',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [...FORMAT_PIPES],
  template: `
    <div class="card table-wrap">
      <table class="table" aria-label="Peers">
        <thead>
          <tr>
            <th scope="col">Address</th>
            <th scope="col">Client</th>
            <th scope="col">Found via</th>
            <th scope="col">Flags</th>
            <th scope="col">Progress</th>
            <th scope="col" class="num">Down</th>
            <th scope="col" class="num">Up</th>
            <th scope="col" class="num">Downloaded</th>
            <th scope="col" class="num">Uploaded</th>
          </tr>
        </thead>
        <tbody>
          @for (p of peers() ?? []; track p.address) {
            <tr>
              <td class="mono">{{ p.address }}</td>
              <td>{{ p.client || 'Unknown' }}</td>
              <td [title]="peerSource(p.source).title" data-testid="peer-source">
                {{ peerSource(p.source).label }}
              </td>
              <td class="mono" [title]="explainFlags(p.flags)">
                {{ p.flags }}<span class="sr-only">: {{ explainFlags(p.flags) }}</span>
              </td>
              <td>{{ p.progress | percent }}</td>
              <td class="num down">{{ p.downloadRate | rate }}</td>
              <td class="num up">{{ p.uploadRate | rate }}</td>
              <td class="num">{{ p.downloaded | bytes }}</td>
              <td class="num">{{ p.uploaded | bytes }}</td>
            </tr>
          } @empty {
            <tr>
              <td colspan="9" class="muted">
                {{ peers() ? 'No peers connected right now.' : 'Loading…' }}
              </td>
            </tr>
          }
        </tbody>
      </table>
    </div>
  `,
})
export class PeerTable {
  readonly peers = input<PeerStatus[] | undefined>(undefined);
  protected readonly explainFlags = explainFlags;
  protected readonly peerSource = peerSource;
}
