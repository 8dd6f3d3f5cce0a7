import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { ApiService } from './api.service';
import { authInterceptor } from './auth.interceptor';
import { describeError } from './errors';
import { TokenService } from './token';

const HASH = 'a'.repeat(40);

describe('ApiService', () => {
  let api: ApiService;
  let http: HttpTestingController;
  let tokens: TokenService;

  beforeEach(() => {
    sessionStorage.clear();
    window.history.replaceState(null, '', '/?token=tok-1');
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(withInterceptors([authInterceptor])),
        provideHttpClientTesting(),
      ],
    });
    api = TestBed.inject(ApiService);
    http = TestBed.inject(HttpTestingController);
    tokens = TestBed.inject(TokenService);
  });

  afterEach(() => http.verify());

  it('sends the token as a Bearer header on every call', async () => {
    const answer = api.torrents();
    const req = http.expectOne('/api/torrents');
    expect(req.request.method).toBe('GET');
    expect(req.request.headers.get('Authorization')).toBe('Bearer tok-1');
    req.flush([]);
    expect(await answer).toEqual([]);
  });

  it('adds a magnet with its options in one body', async () => {
    const answer = api.add({ magnet: 'magnet:?xt=urn:btih:' + HASH }, { paused: true });
    const req = http.expectOne('/api/torrents');
    expect(req.request.method).toBe('POST');
    expect(req.request.body).toEqual({ magnet: 'magnet:?xt=urn:btih:' + HASH, paused: true });
    req.flush({ infoHash: HASH, name: 'x' }, { status: 201, statusText: 'Created' });
    expect((await answer).infoHash).toBe(HASH);
  });

  it('maps each action to its endpoint', async () => {
    const calls: [Promise<unknown>, string, string, unknown?][] = [
      [api.pause(HASH), 'POST', `/api/torrents/${HASH}/pause`],
      [api.resume(HASH), 'POST', `/api/torrents/${HASH}/resume`],
      [api.recheck(HASH), 'POST', `/api/torrents/${HASH}/recheck`],
      [
        api.setSequential(HASH, true),
        'PUT',
        `/api/torrents/${HASH}/sequential`,
        { sequential: true },
      ],
      [
        api.setFilePriority(HASH, 3, 0),
        'PUT',
        `/api/torrents/${HASH}/files/3/priority`,
        { priority: 0 },
      ],
      [api.files(HASH), 'GET', `/api/torrents/${HASH}/files`],
      [api.peers(HASH), 'GET', `/api/torrents/${HASH}/peers`],
      [api.trackers(HASH), 'GET', `/api/torrents/${HASH}/trackers`],
      [api.pieces(HASH), 'GET', `/api/torrents/${HASH}/pieces`],
      [api.shareJob('job 1'), 'GET', '/api/shares/job%201'],
      [api.trackerHealth(), 'GET', '/api/trackers'],
      [api.settings(), 'GET', '/api/settings'],
      [api.saveSettings({ maxPeers: 9 }), 'PUT', '/api/settings', { maxPeers: 9 }],
    ];
    for (const [promise, method, url, body] of calls) {
      const req = http.expectOne({ url, method });
      if (body !== undefined) expect(req.request.body).toEqual(body);
      req.flush({});
      await promise;
    }
  });

  it('removes with or without data', async () => {
    const keep = api.remove(HASH, false);
    const r1 = http.expectOne(`/api/torrents/${HASH}`);
    expect(r1.request.method).toBe('DELETE');
    expect(r1.request.params.has('deleteData')).toBe(false);
    r1.flush(null, { status: 204, statusText: 'No Content' });
    await keep;

    const wipe = api.remove(HASH, true);
    const r2 = http.expectOne(`/api/torrents/${HASH}?deleteData=true`);
    r2.flush(null, { status: 204, statusText: 'No Content' });
    await wipe;
  });

  it('passes only the catalog query parameters that are set', async () => {
    const answer = api.catalog({ search: 'linux', tracker: undefined, pageToken: '' });
    const req = http.expectOne((r) => r.url === '/api/catalog');
    expect(req.request.params.keys()).toEqual(['search']);
    expect(req.request.params.get('search')).toBe('linux');
    req.flush({ trackers: [] });
    expect(await answer).toEqual({ trackers: [] });
  });

  it('lists a folder for the share picker', async () => {
    const answer = api.fs('/home/me');
    const req = http.expectOne('/api/fs?path=/home/me');
    req.flush({ path: '/home/me', entries: [] });
    expect((await answer).path).toBe('/home/me');
  });

  it("rejects with the bridge's error, which describeError puts in words", async () => {
    const answer = api.add({ magnet: 'magnet:?xt=bad' });
    http
      .expectOne('/api/torrents')
      .flush({ error: 'not a valid magnet link' }, { status: 400, statusText: 'Bad Request' });
    await expect(answer).rejects.toSatisfy(
      (e: unknown) => describeError(e) === 'Not a valid magnet link.',
    );
  });

  it('marks the token as rejected on 401', async () => {
    const answer = api.status();
    http
      .expectOne('/api/status')
      .flush({ error: 'missing or wrong token' }, { status: 401, statusText: 'Unauthorized' });
    await expect(answer).rejects.toBeTruthy();
    expect(tokens.rejected()).toBe(true);
  });

  it('builds links with the token for files the browser opens', () => {
    expect(api.streamUrl(HASH, 2)).toBe(`/api/torrents/${HASH}/files/2/stream?token=tok-1`);
    expect(api.torrentFileUrl(HASH)).toBe(`/api/torrents/${HASH}/torrent?token=tok-1`);
  });
});
