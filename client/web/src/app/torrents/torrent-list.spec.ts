import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { TorrentStore } from '../state/torrent-store';
import { torrent } from '../../testing/torrent-fixture';
import { TorrentList } from './torrent-list';

describe('TorrentList', () => {
  let fixture: ComponentFixture<TorrentList>;
  let el: HTMLElement;
  let store: TorrentStore;

  beforeEach(async () => {
    TestBed.configureTestingModule({
      imports: [TorrentList],
      providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()],
    });
    store = TestBed.inject(TorrentStore);
    fixture = TestBed.createComponent(TorrentList);
    el = fixture.nativeElement;
    await fixture.whenStable();
  });

  const rowNames = () =>
    [...el.querySelectorAll('tbody tr .name a')].map((a) => a.textContent?.trim());

  it('says what to do first when there is nothing', async () => {
    store.apply({ type: 'torrents', torrents: [] });
    await fixture.whenStable();
    expect(el.textContent).toContain('Nothing here yet');
    expect(el.textContent).toContain('Add a torrent');
    expect(el.textContent).toContain('Share files');
  });

  it('shows each torrent with its numbers, live', async () => {
    store.apply({
      type: 'torrents',
      torrents: [
        torrent({
          name: 'ubuntu.iso',
          progress: 0.5,
          downloadRate: 2048,
          size: 1024 ** 3,
          wantedSize: 1024 ** 3,
        }),
      ],
    });
    await fixture.whenStable();
    const row = el.querySelector('tbody tr')!;
    expect(row.textContent).toContain('ubuntu.iso');
    expect(row.textContent).toContain('1.00 GiB');
    expect(row.textContent).toContain('50.0%');
    expect(row.textContent).toContain('2.00 KiB/s');
    expect(row.querySelector('[role=progressbar]')?.getAttribute('aria-valuenow')).toBe('50.0');

    store.apply({ type: 'torrents', torrents: [torrent({ name: 'ubuntu.iso', progress: 0.75 })] });
    await fixture.whenStable();
    expect(el.querySelector('tbody tr')!.textContent).toContain('75.0%');
  });

  it('filters by state chip and text, and sorts by a column', async () => {
    store.apply({
      type: 'torrents',
      torrents: [
        torrent({
          infoHash: '1'.repeat(40),
          name: 'beta',
          state: 'seeding',
          progress: 1,
          addedAt: 1,
        }),
        torrent({ infoHash: '2'.repeat(40), name: 'alpha', state: 'downloading', addedAt: 2 }),
        torrent({
          infoHash: '3'.repeat(40),
          name: 'gamma',
          state: 'paused',
          paused: true,
          addedAt: 3,
        }),
      ],
    });
    await fixture.whenStable();
    expect(rowNames()).toEqual(['gamma', 'alpha', 'beta']); // newest first

    const chip = [...el.querySelectorAll<HTMLButtonElement>('.chip')].find((c) =>
      c.textContent?.includes('Seeding'),
    )!;
    expect(chip.textContent).toContain('1');
    chip.click();
    await fixture.whenStable();
    expect(rowNames()).toEqual(['beta']);
    expect(chip.getAttribute('aria-pressed')).toBe('true');

    [...el.querySelectorAll<HTMLButtonElement>('.chip')][0].click(); // All
    const filter = el.querySelector('#filter') as HTMLInputElement;
    filter.value = 'MM';
    filter.dispatchEvent(new Event('input'));
    await fixture.whenStable();
    expect(rowNames()).toEqual(['gamma']);

    filter.value = '';
    filter.dispatchEvent(new Event('input'));
    const nameHeader = [...el.querySelectorAll<HTMLButtonElement>('th .sort')].find((b) =>
      b.textContent?.includes('Name'),
    )!;
    nameHeader.click();
    await fixture.whenStable();
    expect(rowNames()).toEqual(['alpha', 'beta', 'gamma']);
    expect(nameHeader.closest('th')?.getAttribute('aria-sort')).toBe('ascending');
  });

  it('pauses from the row and shows the error where it happened', async () => {
    store.apply({
      type: 'torrents',
      torrents: [torrent({ name: 'x', error: 'disk full', state: 'error' })],
    });
    await fixture.whenStable();
    expect(el.querySelector('tbody tr')!.textContent).toContain('disk full');
    const http = TestBed.inject(HttpTestingController);
    (el.querySelector('[aria-label="Pause x"]') as HTMLButtonElement).click();
    const req = http.expectOne(`/api/torrents/${'a'.repeat(40)}/pause`);
    req.flush(torrent({ name: 'x', paused: true, state: 'paused' }));
    await fixture.whenStable();
    await vi.waitFor(() => expect(el.querySelector('[aria-label="Resume x"]')).not.toBeNull());
  });
  it('keeps only the rows on screen of a long list in the DOM, the rest as empty space', async () => {
    const many = Array.from({ length: 2000 }, (_, i) =>
      torrent({
        infoHash: i.toString(16).padStart(40, '0'),
        name: `t-${String(i).padStart(4, '0')}`,
        addedAt: i,
      }),
    );
    store.apply({ type: 'torrents', torrents: many });
    await fixture.whenStable();
    const rows = el.querySelectorAll('tbody tr[data-hash]');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(100);
    expect(rowNames()[0]).toBe('t-1999'); // newest first
    const spacer = el.querySelector<HTMLElement>('tbody tr.spacer');
    expect(parseFloat(spacer!.style.height)).toBeGreaterThan(0);
    expect(el.querySelector('table')!.getAttribute('aria-rowcount')).toBe('2001');
    expect(el.textContent).toContain('2000'); // the All chip counts every torrent
  });
});
