import { fromDraft, toDraft } from './settings-form';

const settings = {
  downloadDir: '/home/me/Downloads',
  listenPort: 6881,
  maxPeers: 200,
  uploadRateLimit: 512 * 1024,
  downloadRateLimit: 0,
  trackers: ['http://127.0.0.1:7000/announce'],
  dhtEnabled: true,
  dhtPort: 0,
  dhtBootstrap: ['tracker.lan:6881', '[::1]:6881'],
  lsdEnabled: false,
};

describe('settings form', () => {
  it('round-trips settings through the draft (rates in KiB/s)', () => {
    const draft = toDraft(settings);
    expect(draft.uploadKib).toBe('512');
    expect(draft.trackers).toBe('http://127.0.0.1:7000/announce');
    expect(fromDraft(draft)).toEqual({ problems: {}, settings });
  });

  it('never sends the allowed folders: the bridge sets them at start', () => {
    const draft = toDraft({ ...settings, allowedFolders: ['/home/me'] });
    expect(Object.keys(draft)).not.toContain('allowedFolders');
    expect(fromDraft(draft).settings).not.toHaveProperty('allowedFolders');
    expect(fromDraft(draft).settings).not.toHaveProperty('allowedRoots');
  });

  it('names every bad field', () => {
    const { settings: out, problems } = fromDraft({
      downloadDir: 'Downloads',
      listenPort: '70000',
      maxPeers: '0',
      uploadKib: '-1',
      downloadKib: 'fast',
      trackers: 'nope',
      dhtEnabled: true,
      dhtPort: '99999',
      dhtBootstrap: 'tracker.lan',
      lsdEnabled: true,
    });
    expect(out).toBeUndefined();
    expect(Object.keys(problems).sort()).toEqual([
      'dhtBootstrap',
      'dhtPort',
      'downloadDir',
      'downloadKib',
      'listenPort',
      'maxPeers',
      'trackers',
      'uploadKib',
    ]);
    expect(problems.listenPort).toMatch(/0 to 65535/);
  });

  it('takes bootstrap nodes one per line or comma-separated, without repeats, at most 32', () => {
    const d = { ...toDraft(settings), dhtBootstrap: ' a.lan:1, b.lan:2\n\na.lan:1 ' };
    expect(fromDraft(d).settings?.dhtBootstrap).toEqual(['a.lan:1', 'b.lan:2']);
    const many = Array.from({ length: 33 }, (_, i) => `10.0.0.${i}:6881`).join('\n');
    expect(fromDraft({ ...d, dhtBootstrap: many }).problems.dhtBootstrap).toMatch(/At most 32/);
    for (const bad of ['a.lan:0', 'a.lan:65536', 'a b:1', 'http://a.lan:1', '[x]:1', ':6881']) {
      expect(fromDraft({ ...d, dhtBootstrap: bad }).problems.dhtBootstrap).toBeDefined();
    }
    for (const port of ['0', '1024', '65535'])
      expect(fromDraft({ ...d, dhtPort: port }).problems.dhtPort).toBeUndefined();
    for (const port of ['1', '1023', '65536', '-1', 'x'])
      expect(fromDraft({ ...d, dhtPort: port }).problems.dhtPort).toBeDefined();
  });
});
