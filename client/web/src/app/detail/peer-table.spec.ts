import { ComponentFixture, TestBed } from '@angular/core/testing';
import type { PeerStatus } from '../api/types';
import { PeerTable, peerSource } from './peer-table';

const peer = (address: string, source: PeerStatus['source'], flags = ''): PeerStatus => ({
  address,
  client: 'libtorrent 2.0.11',
  flags,
  progress: 0.5,
  downloadRate: 1024,
  uploadRate: 0,
  downloaded: 2048,
  uploaded: 0,
  source,
});

describe('PeerTable', () => {
  let fixture: ComponentFixture<PeerTable>;
  let el: HTMLElement;

  beforeEach(async () => {
    TestBed.configureTestingModule({ imports: [PeerTable] });
    fixture = TestBed.createComponent(PeerTable);
    el = fixture.nativeElement;
  });

  it('says where each peer came from', async () => {
    fixture.componentRef.setInput('peers', [
      peer('10.0.0.1:6881', 'tracker'),
      peer('10.0.0.2:6881', 'dht'),
      peer('10.0.0.3:6881', 'pex', 'X'),
      peer('10.0.0.4:6881', 'lsd'),
      peer('10.0.0.5:6881', 'incoming', 'I'),
      peer('10.0.0.6:6881', 'manual'),
    ]);
    await fixture.whenStable();
    const cells = [...el.querySelectorAll('[data-testid=peer-source]')];
    expect(cells.map((c) => c.textContent?.trim())).toEqual([
      'Tracker',
      'DHT',
      'PEX',
      'Local network',
      'Incoming',
      'Added by hand',
    ]);
    expect(cells[1].getAttribute('title')).toMatch(/DHT, without a tracker/);
    expect(el.querySelector('thead')?.textContent).toContain('Found via');
  });

  it('shows a source it does not know as it is, and an empty swarm in words', async () => {
    expect(peerSource('utp-holepunch')).toEqual({ label: 'utp-holepunch', title: 'utp-holepunch' });
    fixture.componentRef.setInput('peers', []);
    await fixture.whenStable();
    expect(el.textContent).toContain('No peers connected right now.');
    fixture.componentRef.setInput('peers', undefined);
    await fixture.whenStable();
    expect(el.textContent).toContain('Loading…');
  });
});
