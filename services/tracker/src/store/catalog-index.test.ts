import fc from 'fast-check';
import { CatalogIndex, matches, words } from './catalog-index';

function all(index: CatalogIndex, query = '', pageSize = 7, maxWork = 50): string[] {
  const out: string[] = [];
  let after = 0;
  for (let calls = 0; calls < 100_000; calls++) {
    const page = index.page(after, pageSize, query, maxWork);
    out.push(...page.keys);
    if (page.next === 0) return out;
    after = page.next;
  }
  throw new Error('paging did not end');
}

describe('CatalogIndex', () => {
  it('splits names into lower-case words of any script', () => {
    expect(words('Debian-13.1_netinst (amd64) ISO')).toEqual([
      'debian',
      '13',
      '1',
      'netinst',
      'amd64',
      'iso',
    ]);
    expect(words('Señor Ñandú 東京')).toEqual(['señor', 'ñandú', '東京']);
    expect(words('...')).toEqual([]);
  });

  it('pages in insertion order, each entry once, with bounded work per call', () => {
    const index = new CatalogIndex();
    const seqs: number[] = [];
    for (let i = 0; i < 300; i++)
      seqs.push(index.add(`k${i}`, i % 3 === 0 ? `fizz ${i}` : `buzz ${i}`));
    for (let i = 0; i < 300; i += 2) index.remove(seqs[i]);
    const expected = [...Array(300).keys()].filter((i) => i % 2 === 1).map((i) => `k${i}`);
    expect(all(index)).toEqual(expected);
    expect(all(index, 'FIZZ')).toEqual(expected.filter((k) => Number(k.slice(1)) % 3 === 0));
    expect(all(index, 'fizz 99')).toEqual(['k99']);
    // The last word may be a prefix (the search box as the user types).
    expect(all(index, 'fi')).toEqual(all(index, 'fizz'));
    expect(all(index, 'fizz 9')).toEqual(['k9', 'k93', 'k99']);
    expect(all(index, 'nothing')).toEqual([]);
    // A page never visits more than maxWork slots, even when most are dead or do not match.
    const page = index.page(0, 500, '', 10);
    expect(page.keys.length).toBeLessThanOrEqual(10);
    expect(page.next).toBeGreaterThan(0);
  });

  it('keeps an entry in place across renames and finds it by its new words only', () => {
    const index = new CatalogIndex();
    const a = index.add('a', 'old name');
    index.add('b', 'other');
    index.rename(a, 'new title');
    expect(all(index)).toEqual(['a', 'b']);
    expect(all(index, 'old')).toEqual([]);
    expect(all(index, 'title')).toEqual(['a']);
    expect(all(index, 'new ti')).toEqual(['a']);
    index.rename(a, 'old name');
    index.rename(a, 'old again');
    expect(all(index, 'old')).toEqual(['a']);
  });

  it('matches a model under random adds, renames and removes', () => {
    const vocab = ['red', 'green', 'blue', 'cyan', 'reddish'];
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.constantFrom('add', 'rename', 'remove'), fc.nat(40), fc.subarray(vocab)),
          { maxLength: 200 },
        ),
        fc.constantFrom('', 'red', 'green blue', 're', 'blue r', 'x'),
        (ops, query) => {
          const index = new CatalogIndex();
          const model = new Map<number, { key: string; name: string }>();
          const live: number[] = [];
          let n = 0;
          for (const [op, pick, w] of ops) {
            const name = w.join(' ');
            if (op === 'add' || live.length === 0) {
              const key = `k${n++}`;
              const seq = index.add(key, name);
              model.set(seq, { key, name });
              live.push(seq);
            } else if (op === 'rename') {
              const seq = live[pick % live.length];
              index.rename(seq, name);
              model.get(seq)!.name = name;
            } else {
              const seq = live.splice(pick % live.length, 1)[0];
              index.remove(seq);
              model.delete(seq);
            }
          }
          const want = words(query);
          const expected = [...model.entries()]
            .sort((x, y) => x[0] - y[0])
            .filter(([, v]) => matches(words(v.name), want))
            .map(([, v]) => v.key);
          expect(all(index, query, 3, 5)).toEqual(expected);
        },
      ),
    );
  });
});
