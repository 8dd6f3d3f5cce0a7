import { virtualWindow } from './virtual-window';

describe('virtualWindow', () => {
  it('renders every row of a short list', () => {
    expect(virtualWindow(5, 50, 100, 800)).toEqual({ start: 0, end: 5, before: 0, after: 0 });
  });

  it('renders only the rows on screen and the overscan of a long list, at the top', () => {
    const w = virtualWindow(10_000, 50, 200, 800, 10, 1);
    expect(w.start).toBe(0);
    // 600 px of rows visible below the list's top: 12 rows, +1 partial, +10 overscan
    expect(w.end).toBe(23);
    expect(w.after).toBe((10_000 - 23) * 50);
  });

  it('follows the scroll: the space above and the rows drawn add up to the whole list', () => {
    const w = virtualWindow(10_000, 50, -250_000, 800, 10, 1);
    expect(w.start).toBe(5_000 - 10);
    expect(w.end).toBe(5_000 + 17 + 10);
    expect(w.before + (w.end - w.start) * 50 + w.after).toBe(10_000 * 50);
  });

  it('moves in whole chunks: a scroll of a few rows changes nothing, one past the chunk does', () => {
    const at = (row: number) => virtualWindow(10_000, 50, -row * 50, 800, 10, 20);
    expect(at(100)).toEqual(at(105));
    expect(at(100).start % 20).toBe(0);
    expect(at(100).end % 20).toBe(0);
    expect(at(100).start).toBeLessThanOrEqual(90);
    expect(at(100).end).toBeGreaterThanOrEqual(100 + 17 + 10);
    expect(at(125)).not.toEqual(at(100));
  });

  it('stays inside the list when scrolled past its end', () => {
    const w = virtualWindow(100, 50, -1_000_000, 800);
    expect(w.end).toBe(100);
    expect(w.start).toBeLessThanOrEqual(100);
    expect(w.after).toBe(0);
  });
});
