/** The slice of a long list to render, and the room the rows above and below it take. */
export interface VirtualWindow {
  start: number;
  end: number;
  /** Height in px of the rows before `start` and after `end`, drawn as empty space. */
  before: number;
  after: number;
}

/**
 * Which rows of `count` rows of `rowHeight` px are on screen when the first row's top is at
 * `listTop` px in the viewport (negative once scrolled past) and the viewport is
 * `viewportHeight` px tall; `overscan` rows more on each side so a fast scroll shows no gap.
 * Both ends snap to multiples of `chunk` rows, so the DOM changes once per `chunk` rows
 * scrolled, not at every row: between changes a scroll is the browser's alone.
 */
export function virtualWindow(
  count: number,
  rowHeight: number,
  listTop: number,
  viewportHeight: number,
  overscan = 10,
  chunk = 20,
): VirtualWindow {
  const h = Math.max(1, rowHeight);
  const c = Math.max(1, Math.floor(chunk));
  const firstVisible = Math.floor(Math.max(0, -listTop) / h);
  const visible = Math.ceil(Math.max(0, viewportHeight - Math.max(0, listTop)) / h) + 1;
  const start = Math.min(count, Math.max(0, Math.floor((firstVisible - overscan) / c) * c));
  const end = Math.min(count, Math.ceil((firstVisible + visible + overscan) / c) * c);
  return { start, end, before: start * h, after: (count - end) * h };
}
