import type { TorrentStatus } from '../api/types';

/** The state chips above the list. 'active' = moving bytes right now. */
export type StateFilter = 'all' | 'downloading' | 'seeding' | 'paused' | 'active' | 'error';

export type SortKey =
  | 'name'
  | 'size'
  | 'progress'
  | 'state'
  | 'downloadRate'
  | 'uploadRate'
  | 'eta'
  | 'peers'
  | 'ratio'
  | 'addedAt';

export interface Sort {
  key: SortKey;
  dir: 'asc' | 'desc';
}

export function matchesState(t: TorrentStatus, filter: StateFilter): boolean {
  switch (filter) {
    case 'all':
      return true;
    case 'downloading':
      return t.state === 'downloading' || t.state === 'metadata' || t.state === 'checking';
    case 'seeding':
      return t.state === 'seeding';
    case 'paused':
      return t.state === 'paused';
    case 'active':
      return t.downloadRate > 0 || t.uploadRate > 0;
    case 'error':
      return t.state === 'error';
  }
}

/** Case-insensitive match of every word in `text` against the name or the info-hash. */
export function matchesText(t: TorrentStatus, text: string): boolean {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const hay = `${t.name.toLowerCase()} ${t.infoHash}`;
  return words.every((w) => hay.includes(w));
}

export function countByState(list: readonly TorrentStatus[]): Record<StateFilter, number> {
  const counts: Record<StateFilter, number> = {
    all: 0,
    downloading: 0,
    seeding: 0,
    paused: 0,
    active: 0,
    error: 0,
  };
  for (const t of list) {
    for (const f of Object.keys(counts) as StateFilter[]) {
      if (matchesState(t, f)) counts[f]++;
    }
  }
  return counts;
}

const STATE_ORDER: Record<TorrentStatus['state'], number> = {
  error: 0,
  metadata: 1,
  checking: 2,
  downloading: 3,
  seeding: 4,
  paused: 5,
};

/** One collator for every comparison: `localeCompare` builds one per call, too slow for 10,000. */
const collator = new Intl.Collator();

function sortValue(t: TorrentStatus, key: SortKey): number | string {
  switch (key) {
    case 'name':
      return t.name.toLowerCase();
    case 'size':
      return t.wantedSize || t.size;
    case 'progress':
      return t.progress;
    case 'state':
      return STATE_ORDER[t.state];
    case 'downloadRate':
      return t.downloadRate;
    case 'uploadRate':
      return t.uploadRate;
    case 'eta':
      // Finished first, unknown last.
      return t.progress >= 1 ? -1 : (t.eta ?? Number.MAX_SAFE_INTEGER);
    case 'peers':
      return t.seeders + t.leechers;
    case 'ratio':
      return Number.isFinite(t.ratio) ? t.ratio : Number.MAX_SAFE_INTEGER;
    case 'addedAt':
      return t.addedAt;
  }
}

/** A new sorted array; ties keep a stable order by name, then info-hash. */
export function sortTorrents(list: readonly TorrentStatus[], sort: Sort): TorrentStatus[] {
  const sign = sort.dir === 'asc' ? 1 : -1;
  // each key computed once, not twice per comparison
  const keyed = list.map((t) => ({ t, v: sortValue(t, sort.key) }));
  keyed.sort((a, b) => {
    const c =
      typeof a.v === 'string' ? collator.compare(a.v, b.v as string) : a.v - (b.v as number);
    if (c !== 0) return sign * c;
    return collator.compare(a.t.name, b.t.name) || collator.compare(a.t.infoHash, b.t.infoHash);
  });
  return keyed.map((k) => k.t);
}

export function viewTorrents(
  list: readonly TorrentStatus[],
  filter: { state: StateFilter; text: string },
  sort: Sort,
): TorrentStatus[] {
  return sortTorrents(
    list.filter((t) => matchesState(t, filter.state) && matchesText(t, filter.text)),
    sort,
  );
}

/** Clicking a column: a new key starts in its natural direction, the same key flips. */
export function toggleSort(current: Sort, key: SortKey): Sort {
  if (current.key === key) return { key, dir: current.dir === 'asc' ? 'desc' : 'asc' };
  const ascending: SortKey[] = ['name', 'state', 'eta'];
  return { key, dir: ascending.includes(key) ? 'asc' : 'desc' };
}
