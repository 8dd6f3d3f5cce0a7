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
    dhtEnabled: true,
    dhtPort: 0,
    dhtBootstrap: ['tracker.lan:6881'],
    lsdEnabled: true,
    allowedFolders: ['/home/me', '/srv/media'],
  };
  const discovery = {
    dht: {
      enabled: true,
      port: 51413,
      nodes: 23,
      goodNodes: 5,
      health: 'few-nodes',
      bootstrap: ['tracker.lan:6881'],
      trackerNodes: ['tracker.lan:6881'],
      storedPeers: 0,
    },
    lsd: { enabled: true, announcesSent: 3, announcesReceived: 1 },
    restartRequired: false,
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
    http.expectOne('/api/discovery').flush(discovery);
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
    http.match('/api/discovery').forEach((r) => r.flush(discovery));
  });

  it("shows the DHT's node count and health, and LSD", () => {
    const card = el.querySelector('[data-testid=dht-status]')!;
    expect(card.querySelector('[data-testid=dht-nodes]')?.textContent?.trim()).toBe('23');
    expect(card.querySelector('[data-testid=dht-good]')?.textContent?.trim()).toBe('5');
    expect(card.querySelector('[data-testid=dht-health]')?.textContent).toMatch(/few nodes/);
    expect(card.textContent).toContain('51413');
    expect(card.querySelector('[data-testid=lsd-state]')?.textContent?.trim()).toBe('On');
    expect(card.querySelector('[data-testid=dht-tracker-nodes]')?.textContent).toContain(
      'tracker.lan:6881',
    );
    expect(card.querySelector('[data-testid=restart-required]')).toBeNull();
  });

  it('saves DHT and LSD changes and says they take effect after a restart', async () => {
    expect(el.textContent).toContain('takes effect after the bridge restarts');
    const dht = el.querySelector('[data-testid=dht-enabled]') as HTMLInputElement;
    expect(dht.checked).toBe(true);
    const boot = el.querySelector('#s-dht-boot') as HTMLTextAreaElement;
    expect(boot.value).toBe('tracker.lan:6881');
    boot.value = 'tracker.lan:6881\n[fd00::5]:6881';
    boot.dispatchEvent(new Event('input'));
    const port = el.querySelector('#s-dht-port') as HTMLInputElement;
    port.value = '6881';
    port.dispatchEvent(new Event('input'));
    const lsd = el.querySelector('[data-testid=lsd-enabled]') as HTMLInputElement;
    lsd.click();
    await fixture.whenStable();
    (el.querySelector('button[type=submit]') as HTMLButtonElement).click();
    const put = http.expectOne((r) => r.method === 'PUT' && r.url === '/api/settings');
    expect(put.request.body).toMatchObject({
      dhtEnabled: true,
      dhtPort: 6881,
      dhtBootstrap: ['tracker.lan:6881', '[fd00::5]:6881'],
      lsdEnabled: false,
    });
    put.flush({ ...settings, ...put.request.body });
    await fixture.whenStable();
    http.match('/api/trackers').forEach((r) => r.flush([]));
    http.expectOne('/api/discovery').flush({ ...discovery, restartRequired: true });
    // the answer resolves a promise after the flush: let it land, then render
    await new Promise((r) => setTimeout(r, 0));
    await fixture.whenStable();
    expect(el.querySelector('[data-testid=restart-required]')?.textContent).toMatch(
      /after the bridge restarts/,
    );
  });

  it('refuses a bad DHT port or bootstrap node before sending', async () => {
    const port = el.querySelector('#s-dht-port') as HTMLInputElement;
    port.value = '80';
    port.dispatchEvent(new Event('input'));
    const boot = el.querySelector('#s-dht-boot') as HTMLTextAreaElement;
    boot.value = 'udp://tracker.lan:6881';
    boot.dispatchEvent(new Event('input'));
    (el.querySelector('button[type=submit]') as HTMLButtonElement).click();
    await fixture.whenStable();
    http.expectNone((r) => r.method === 'PUT');
    expect(el.querySelector('#s-dht-port-e')?.textContent).toMatch(/1024 to 65535/);
    expect(el.querySelector('#s-dht-boot-e')?.textContent).toMatch(/not host:port/);
  });

  it('says when the DHT is on in the settings but did not start', async () => {
    expect(el.querySelector('[data-testid=dht-failed]')).toBeNull();
    (el.querySelector('[data-testid=dht-status] button') as HTMLButtonElement).click();
    http.expectOne('/api/discovery').flush({
      ...discovery,
      dht: { ...discovery.dht, enabled: false, health: 'off', nodes: 0, goodNodes: 0 },
    });
    await new Promise((r) => setTimeout(r, 0));
    await fixture.whenStable();
    expect(el.querySelector('[data-testid=dht-failed]')?.textContent).toMatch(/did not start/);
    expect(el.querySelector('[data-testid=dht-health]')?.textContent).toMatch(/Off/);
  });
});
