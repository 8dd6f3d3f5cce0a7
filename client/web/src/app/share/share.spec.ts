import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { TorrentStore } from '../state/torrent-store';
import { Share } from './share';

describe('Share', () => {
  let fixture: ComponentFixture<Share>;
  let el: HTMLElement;
  let http: HttpTestingController;

  beforeEach(async () => {
    TestBed.configureTestingModule({
      imports: [Share],
      providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()],
    });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(Share);
    el = fixture.nativeElement;
    http.expectOne('/api/settings').flush({
      downloadDir: '/dl',
      listenPort: 0,
      maxPeers: 50,
      uploadRateLimit: 0,
      downloadRateLimit: 0,
      trackers: ['http://127.0.0.1:7070/announce'],
      allowedFolders: ['/dl'],
    });
    await fixture.whenStable();
  });

  afterEach(() => http.verify());

  function type(selector: string, value: string): void {
    const box = el.querySelector(selector) as HTMLInputElement;
    box.value = value;
    box.dispatchEvent(new Event('input'));
  }

  const submit = () =>
    (el.querySelector('[data-testid=share-submit]') as HTMLButtonElement).click();

  it("starts with the default trackers from the bridge's settings", () => {
    expect((el.querySelector('#share-trackers') as HTMLTextAreaElement).value).toBe(
      'http://127.0.0.1:7070/announce',
    );
  });

  it('asks for a full path and valid trackers before sending', async () => {
    type('#share-path', 'relative/dir');
    type('#share-trackers', 'http://ok:1/announce\nbogus');
    submit();
    await fixture.whenStable();
    expect(el.textContent).toContain('Use a full path, starting with "/".');
    expect(el.textContent).toContain('"bogus" is not a URL.');
    expect(el.querySelector('#share-path')?.getAttribute('aria-invalid')).toBe('true');
    http.expectNone('/api/shares');
  });

  it("shows the bridge's refusal next to the form", async () => {
    type('#share-path', '/etc/shadow');
    submit();
    await fixture.whenStable();
    http
      .expectOne('/api/shares')
      .flush(
        { error: 'that path is outside the allowed folders' },
        { status: 400, statusText: 'Bad' },
      );
    await vi.waitFor(async () => {
      await fixture.whenStable();
      expect(el.querySelector('[data-testid=share-error]')?.textContent).toContain(
        'That path is outside the allowed folders.',
      );
    });
  });

  it('sends the chosen format (BEP 52: v1, v2 or hybrid, hybrid by default)', async () => {
    type('#share-path', '/srv/photos');
    const select = el.querySelector('#share-format') as HTMLSelectElement;
    expect(select.value).toBe('hybrid');
    select.value = 'v2';
    select.dispatchEvent(new Event('change'));
    submit();
    await fixture.whenStable();
    const post = http.expectOne('/api/shares');
    expect(post.request.body).toMatchObject({ path: '/srv/photos', format: 'v2' });
    post.flush({ id: 'job-8' }, { status: 202, statusText: 'Accepted' });
    await vi.waitFor(() =>
      http.expectOne('/api/shares/job-8').flush({
        id: 'job-8',
        path: '/srv/photos',
        state: 'error',
        progress: 0,
        error: 'stop here',
      }),
    );
  });

  it('follows the hashing job to its magnet link', async () => {
    type('#share-path', '/srv/photos');
    type('#share-trackers', '');
    (el.querySelector('#share-comment') as HTMLInputElement).value = 'holiday';
    el.querySelector('#share-comment')!.dispatchEvent(new Event('input'));
    submit();
    await fixture.whenStable();
    const post = http.expectOne('/api/shares');
    expect(post.request.body).toEqual({
      path: '/srv/photos',
      trackers: [],
      private: false,
      comment: 'holiday',
      format: 'hybrid',
    });
    post.flush({ id: 'job-7' }, { status: 202, statusText: 'Accepted' });
    await vi.waitFor(() =>
      http.expectOne('/api/shares/job-7').flush({
        id: 'job-7',
        path: '/srv/photos',
        state: 'hashing',
        progress: 0.25,
        name: 'photos',
      }),
    );
    await fixture.whenStable();
    expect(el.textContent).toContain('Preparing photos');
    expect(el.textContent).toContain('25.0%');

    // The WebSocket's push arrives before the next poll.
    const hash = 'd'.repeat(40);
    TestBed.inject(TorrentStore).apply({
      type: 'share',
      share: {
        id: 'job-7',
        path: '/srv/photos',
        state: 'done',
        progress: 1,
        name: 'photos',
        infoHash: hash,
        magnet: `magnet:?xt=urn:btih:${hash}`,
      },
    });
    await fixture.whenStable();
    expect((el.querySelector('[data-testid=share-magnet]') as HTMLInputElement).value).toBe(
      `magnet:?xt=urn:btih:${hash}`,
    );
    expect(el.textContent).toContain('Save .torrent');
    fixture.destroy(); // stops the polling
  });
});
