import { torrent } from '../../testing/torrent-fixture';
import { countByState, matchesText, sortTorrents, toggleSort, viewTorrents } from './list-view';

const list = [
  torrent({
    infoHash: '1'.repeat(40),
    name: 'Beta',
    state: 'seeding',
    progress: 1,
    downloadRate: 0,
    uploadRate: 50,
    addedAt: 2,
    size: 300,
    wantedSize: 300,
    eta: undefined,
    ratio: 2,
  }),
  torrent({
    infoHash: '2'.repeat(40),
    name: 'alpha',
    state: 'downloading',
    progress: 0.2,
    downloadRate: 500,
    uploadRate: 0,
    addedAt: 3,
    size: 100,
    wantedSize: 100,
    eta: 30,
    ratio: 0.1,
  }),
  torrent({
    infoHash: '3'.repeat(40),
    name: 'Gamma movie',
    state: 'paused',
    paused: true,
    progress: 0.6,
    downloadRate: 0,
    uploadRate: 0,
    addedAt: 1,
    size: 200,
    wantedSize: 200,
    eta: undefined,
    ratio: 0,
  }),
  torrent({
    infoHash: '4'.repeat(40),
    name: 'delta',
    state: 'error',
    error: 'disk full',
    progress: 0.1,
    downloadRate: 0,
    uploadRate: 0,
    addedAt: 4,
    size: 50,
    wantedSize: 50,
    eta: undefined,
    ratio: 0,
  }),
];

const names = (l: { name: string }[]) => l.map((t) => t.name);

describe('list view', () => {
  it('sorts by name case-insensitively, both ways', () => {
    expect(names(sortTorrents(list, { key: 'name', dir: 'asc' }))).toEqual([
      'alpha',
      'Beta',
      'delta',
      'Gamma movie',
    ]);
    expect(names(sortTorrents(list, { key: 'name', dir: 'desc' }))).toEqual([
      'Gamma movie',
      'delta',
      'Beta',
      'alpha',
    ]);
  });

  it('sorts by numbers: size, speed, progress, newest', () => {
    expect(names(sortTorrents(list, { key: 'size', dir: 'desc' }))[0]).toBe('Beta');
    expect(names(sortTorrents(list, { key: 'downloadRate', dir: 'desc' }))[0]).toBe('alpha');
    expect(names(sortTorrents(list, { key: 'progress', dir: 'asc' }))).toEqual([
      'delta',
      'alpha',
      'Gamma movie',
      'Beta',
    ]);
    expect(names(sortTorrents(list, { key: 'addedAt', dir: 'desc' }))[0]).toBe('delta');
  });

  it('puts finished torrents first and unknown ETAs last when sorting by ETA', () => {
    const sorted = names(sortTorrents(list, { key: 'eta', dir: 'asc' }));
    expect(sorted[0]).toBe('Beta');
    expect(sorted[1]).toBe('alpha');
  });

  it('does not change the input array', () => {
    const copy = [...list];
    sortTorrents(list, { key: 'name', dir: 'asc' });
    expect(list).toEqual(copy);
  });

  it('filters by state chip and by words in the name or hash', () => {
    const all = { key: 'name' as const, dir: 'asc' as const };
    expect(names(viewTorrents(list, { state: 'seeding', text: '' }, all))).toEqual(['Beta']);
    expect(names(viewTorrents(list, { state: 'downloading', text: '' }, all))).toEqual(['alpha']);
    expect(names(viewTorrents(list, { state: 'active', text: '' }, all))).toEqual([
      'alpha',
      'Beta',
    ]);
    expect(names(viewTorrents(list, { state: 'error', text: '' }, all))).toEqual(['delta']);
    expect(names(viewTorrents(list, { state: 'all', text: 'MOVIE gam' }, all))).toEqual([
      'Gamma movie',
    ]);
    expect(names(viewTorrents(list, { state: 'paused', text: 'alpha' }, all))).toEqual([]);
    expect(matchesText(list[1], '2222')).toBe(true);
  });

  it('counts torrents per chip', () => {
    expect(countByState(list)).toEqual({
      all: 4,
      downloading: 1,
      seeding: 1,
      paused: 1,
      active: 2,
      error: 1,
    });
  });

  it('flips the direction on the same column, and starts numbers descending', () => {
    expect(toggleSort({ key: 'name', dir: 'asc' }, 'name')).toEqual({ key: 'name', dir: 'desc' });
    expect(toggleSort({ key: 'name', dir: 'asc' }, 'size')).toEqual({ key: 'size', dir: 'desc' });
    expect(toggleSort({ key: 'size', dir: 'desc' }, 'eta')).toEqual({ key: 'eta', dir: 'asc' });
  });
});
