import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { authInterceptor } from '../api/auth.interceptor';
import { TorrentStore } from '../state/torrent-store';
import { torrent } from '../../testing/torrent-fixture';
import { AddDialog } from './add-dialog';

const HEX = 'c'.repeat(40);

describe('AddDialog', () => {
  let fixture: ComponentFixture<AddDialog>;
  let el: HTMLElement;
  let http: HttpTestingController;

  beforeEach(async () => {
    sessionStorage.clear();
    window.history.replaceState(null, '', '/?token=tk');
    TestBed.configureTestingModule({
      imports: [AddDialog],
      providers: [
        provideRouter([]),
        provideHttpClient(withInterceptors([authInterceptor])),
        provideHttpClientTesting(),
      ],
    });
    fixture = TestBed.createComponent(AddDialog);
    el = fixture.nativeElement;
    http = TestBed.inject(HttpTestingController);
    await fixture.whenStable();
  });

  afterEach(() => http.verify());

  function click(selector: string): void {
    (el.querySelector(selector) as HTMLElement).click();
  }

  function tab(label: string): void {
    const tabs = [...el.querySelectorAll<HTMLButtonElement>('[role=tab]')];
    tabs.find((t) => t.textContent?.trim() === label)!.click();
  }

  async function typeMagnet(text: string): Promise<void> {
    tab('Magnet link');
    await fixture.whenStable();
    const box = el.querySelector('#magnet') as HTMLTextAreaElement;
    box.value = text;
    box.dispatchEvent(new Event('input'));
    await fixture.whenStable();
  }

  it('asks for a file before sending anything', async () => {
    click('[data-testid=add-submit]');
    await fixture.whenStable();
    expect(el.textContent).toContain('Choose a .torrent file or drop one here.');
    http.expectNone('/api/torrents');
  });

  it('refuses a file that is not a .torrent', async () => {
    const input = el.querySelector('[data-testid=torrent-file]') as HTMLInputElement;
    const file = new File(['hello'], 'notes.txt', { type: 'text/plain' });
    Object.defineProperty(input, 'files', { value: [file] });
    input.dispatchEvent(new Event('change'));
    await fixture.whenStable();
    expect(el.textContent).toContain('"notes.txt" is not a .torrent file.');
    expect(input.getAttribute('aria-invalid')).toBe('true');
  });

  it('checks a magnet link before sending it', async () => {
    await typeMagnet('magnet:?xt=urn:btih:nothex');
    click('[data-testid=add-submit]');
    await fixture.whenStable();
    expect(el.textContent).toContain('not a BitTorrent info-hash');
    http.expectNone('/api/torrents');
  });

  it("shows the bridge's refusal inside the dialog", async () => {
    await typeMagnet(`magnet:?xt=urn:btih:${HEX}`);
    click('[data-testid=add-submit]');
    await fixture.whenStable();
    const req = http.expectOne('/api/torrents');
    expect(req.request.body).toEqual({
      magnet: `magnet:?xt=urn:btih:${HEX}`,
      paused: false,
      sequential: false,
    });
    req.flush({ error: 'torrent already added' }, { status: 409, statusText: 'Conflict' });
    const error = await vi.waitFor(async () => {
      await fixture.whenStable();
      const found = el.querySelector('[data-testid=add-error]');
      expect(found).not.toBeNull();
      return found;
    });
    expect(error?.textContent).toContain('Torrent already added.');
    expect(error?.getAttribute('role')).toBe('alert');
  });

  it('uploads a .torrent as base64, puts the answer in the store and closes', async () => {
    const closed: unknown[] = [];
    fixture.componentInstance.closed.subscribe((t) => closed.push(t));
    const input = el.querySelector('[data-testid=torrent-file]') as HTMLInputElement;
    const bytes = new TextEncoder().encode('d4:infod4:name1:xee');
    Object.defineProperty(input, 'files', { value: [new File([bytes], 'x.torrent')] });
    input.dispatchEvent(new Event('change'));
    await fixture.whenStable();
    click('[data-testid=add-submit]');
    const req = await vi.waitFor(() => http.expectOne('/api/torrents'));
    expect(req.request.body.torrent).toBe(btoa('d4:infod4:name1:xee'));
    expect(req.request.headers.get('Authorization')).toBe('Bearer tk');
    req.flush(torrent({ infoHash: HEX, name: 'x' }), { status: 201, statusText: 'Created' });
    await vi.waitFor(() => expect(closed).toHaveLength(1));
    expect(TestBed.inject(TorrentStore).torrent(HEX)?.name).toBe('x');
  });
});
