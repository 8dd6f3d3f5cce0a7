// BEP 42 is enforced for public addresses only, so the check needs public-looking addresses:
// a fresh network namespace whose loopback carries 198.51.100.x (TEST-NET-2).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { LoopbackNamespace } from './netns';

const ns = new LoopbackNamespace('ejbep42');

describe('BEP 42 node-id enforcement on public addresses', () => {
  beforeAll(() => ns.create(['198.51.100.1', '198.51.100.2', '198.51.100.3']));
  afterAll(() => ns.destroy());

  it('admits a node whose id fits its address and refuses a forged one; loopback is exempt', () => {
    const out = execFileSync('ip', ns.node(path.join(__dirname, 'bep42-child.ts')), {
      encoding: 'utf8',
      timeout: 30000,
    });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { table: string[]; rejected: number };
    expect(r.table.sort()).toEqual(['127.0.0.5', '198.51.100.2']);
    expect(r.rejected).toBeGreaterThan(0);
  });
});
