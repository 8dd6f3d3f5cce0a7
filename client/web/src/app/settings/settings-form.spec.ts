import { fromDraft, toDraft } from './settings-form';

const settings = {
  downloadDir: '/home/me/Downloads',
  listenPort: 6881,
  maxPeers: 200,
  uploadRateLimit: 512 * 1024,
  downloadRateLimit: 0,
  trackers: ['http://127.0.0.1:7000/announce'],
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
    });
    expect(out).toBeUndefined();
    expect(Object.keys(problems).sort()).toEqual([
      'downloadDir',
      'downloadKib',
      'listenPort',
      'maxPeers',
      'trackers',
      'uploadKib',
    ]);
    expect(problems.listenPort).toMatch(/0 to 65535/);
  });
});
