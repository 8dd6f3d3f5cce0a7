import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const protoDir = resolve(__dirname, '..');
const binDir = resolve(protoDir, '..', 'node_modules', '.bin');

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...listFiles(path));
    else out.push(path);
  }
  return out.sort();
}

function buf(args: string[]): string {
  return execFileSync(join(binDir, 'buf'), args, {
    cwd: protoDir,
    env: { ...process.env, PATH: `${binDir}:${process.env.PATH ?? ''}` },
    encoding: 'utf8',
  });
}

describe('generated TypeScript', () => {
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'enjambre-proto-'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('matches a fresh `buf generate` byte for byte (run `npm run generate -w proto`)', () => {
    buf(['generate', '--output', out]);
    const committedRoot = join(protoDir, 'src', 'gen');
    const freshRoot = join(out, 'src', 'gen');
    const committed = listFiles(committedRoot).map((f) => relative(committedRoot, f));
    const fresh = listFiles(freshRoot).map((f) => relative(freshRoot, f));
    expect(committed).toEqual(fresh);
    expect(fresh.length).toBeGreaterThan(0);
    for (const file of fresh) {
      const a = readFileSync(join(committedRoot, file), 'utf8');
      const b = readFileSync(join(freshRoot, file), 'utf8');
      expect({ file, stale: a !== b }).toEqual({ file, stale: false });
    }
  });

  it('passes buf lint', () => {
    expect(() => buf(['lint'])).not.toThrow();
  });
});
