import { formatBytes, formatDuration, formatRate } from './format';

test('sizes use binary units with three significant digits', () => {
  expect(formatBytes(0)).toBe('0 B');
  expect(formatBytes(1023)).toBe('1023 B');
  expect(formatBytes(1536)).toBe('1.50 KiB');
  expect(formatBytes(1024 ** 3)).toBe('1.00 GiB');
  expect(formatBytes(150 * 1024 ** 2)).toBe('150 MiB');
  expect(formatBytes(-1)).toBe('?');
});

test('rates and durations', () => {
  expect(formatRate(2 * 1024 * 1024)).toBe('2.00 MiB/s');
  expect(formatDuration(7)).toBe('7s');
  expect(formatDuration(187)).toBe('3m07s');
  expect(formatDuration(3720)).toBe('1h02m');
  expect(formatDuration(Infinity)).toBe('∞');
});
