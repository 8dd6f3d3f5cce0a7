import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { SettingsPage } from './settings';

describe('SettingsPage', () => {
  let fixture: ComponentFixture<SettingsPage>;
  let el: HTMLElement;
  let http: HttpTestingController;
  const settings = {
    downloadDir: '/home/me/Downloads',
    listenPort: 0,
    maxPeers: 50,
    uploadRateLimit: 0,
    downloadRateLimit: 0,
    trackers: ['http://127.0.0.1:7070/announce'],
    allowedFolders: ['/home/me', '/srv/media'],
  };

  beforeEach(async () => {
    TestBed.configureTestingModule({
      imports: [SettingsPage],
      providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()],
    });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(SettingsPage);
    el = fixture.nativeElement;
    http.expectOne('/api/settings').flush(settings);
    http.expectOne('/api/status').flush({ version: '0.2.0', uptime: 5, torrents: 0 });
    http.expectOne('/api/trackers').flush([]);
    await fixture.whenStable();
    // the remote-control card asks for its port once the page is there
    http.match('/api/remote-control').forEach((r) => r.flush({ port: 9091 }));
    await fixture.whenStable();
  });

  afterEach(() => http.verify());

  it('shows the allowed folders read-only, with how to change them', () => {
    const list = el.querySelector('[data-testid=allowed-folders]')!;
    expect([...list.querySelectorAll('li')].map((li) => li.textContent?.trim())).toEqual([
      '/home/me',
      '/srv/media',
    ]);
    expect(list.querySelector('input, textarea')).toBeNull();
    expect(el.textContent).toContain('--allow-folder');
    const editable = [...el.querySelectorAll('input, textarea')].map(
      (i) => (i as HTMLInputElement).value,
    );
    expect(editable).not.toContain('/srv/media');
  });

  it('saves the settings without the allowed folders', async () => {
    (el.querySelector('button[type=submit]') as HTMLButtonElement).click();
    const put = http.expectOne((r) => r.method === 'PUT' && r.url === '/api/settings');
    expect(put.request.body).not.toHaveProperty('allowedFolders');
    expect(put.request.body).not.toHaveProperty('allowedRoots');
    expect(put.request.body).toMatchObject({ downloadDir: '/home/me/Downloads', maxPeers: 50 });
    put.flush(settings);
    await fixture.whenStable();
    http.match('/api/trackers').forEach((r) => r.flush([]));
  });
});
