import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { TorrentStore } from '../state/torrent-store';
import { torrent } from '../../testing/torrent-fixture';
import { TorrentList } from './torrent-list';

describe('LabelFilter in the torrent list', () => {
  it('shows a chip per category and tag, and a chip filters the list', async () => {
    TestBed.configureTestingModule({
      imports: [TorrentList],
      providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()],
    });
    const http = TestBed.inject(HttpTestingController);
    const store = TestBed.inject(TorrentStore);
    const fixture = TestBed.createComponent(TorrentList);
    const el: HTMLElement = fixture.nativeElement;
    // The labels arrive through a promise the fixture does not track: let it resolve, then render.
    const settle = async () => {
      await new Promise((r) => setTimeout(r, 0));
      fixture.detectChanges();
      await fixture.whenStable();
    };
    const a = 'a'.repeat(40);
    const b = 'b'.repeat(40);
    store.apply({
      type: 'torrents',
      torrents: [
        torrent({ infoHash: a, name: 'film.mkv' }),
        torrent({ infoHash: b, name: 'song.flac' }),
      ],
    });
    await fixture.whenStable();
    http.expectOne('/api/labels').flush({
      categories: [{ name: 'movies', savePath: '' }],
      tags: ['hd'],
      torrents: { [a]: { category: 'movies', tags: ['hd'] } },
    });
    await settle();
    const chips = [...el.querySelectorAll('[aria-label="Categories and tags"] button')];
    expect(chips.map((c) => c.textContent?.replace(/\s+/g, ' ').trim())).toEqual([
      'movies 1',
      '#hd 1',
    ]);
    const names = () =>
      [...el.querySelectorAll('tbody tr .name a')].map((x) => x.textContent?.trim());
    expect(names().sort()).toEqual(['film.mkv', 'song.flac']);
    (chips[0] as HTMLButtonElement).click();
    await settle();
    expect(names()).toEqual(['film.mkv']);
    expect(chips[0].getAttribute('aria-pressed')).toBe('true');
    (chips[0] as HTMLButtonElement).click();
    await settle();
    expect(names().sort()).toEqual(['film.mkv', 'song.flac']);
    fixture.destroy();
  });
});
