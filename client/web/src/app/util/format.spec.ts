import {
  formatBytes,
  formatEta,
  formatPercent,
  formatRate,
  formatRatio,
  formatRelativeTime,
} from './format';
import { BytesPipe, EtaPipe, PercentPipe, RatePipe, RatioPipe } from './format.pipes';

describe('formatting', () => {
  it('formats sizes in binary units with sensible precision', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(20 * 1024 * 1024)).toBe('20.0 MiB');
    expect(formatBytes(700 * 1024 ** 3)).toBe('700 GiB');
    expect(formatBytes(3 * 1024 ** 4)).toBe('3.00 TiB');
    expect(formatBytes(undefined)).toBe('—');
    expect(formatBytes(-1)).toBe('—');
    expect(formatBytes(Number.NaN)).toBe('—');
  });

  it('formats rates and shows a dash when idle', () => {
    expect(formatRate(0)).toBe('—');
    expect(formatRate(2048)).toBe('2.00 KiB/s');
  });

  it('formats time left', () => {
    expect(formatEta(0)).toBe('0s');
    expect(formatEta(45)).toBe('45s');
    expect(formatEta(200)).toBe('3m 20s');
    expect(formatEta(3900)).toBe('1h 05m');
    expect(formatEta(2 * 86400 + 3 * 3600)).toBe('2d 3h');
    expect(formatEta(undefined)).toBe('∞');
    expect(formatEta(Infinity)).toBe('∞');
    expect(formatEta(1000 * 86400)).toBe('∞');
  });

  it('never rounds an unfinished download up to 100%', () => {
    expect(formatPercent(0.9999)).toBe('99.9%');
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(0)).toBe('0.0%');
    expect(formatPercent(0.4567)).toBe('45.6%');
    expect(formatPercent(1.2)).toBe('100%');
    expect(formatPercent(undefined)).toBe('—');
  });

  it('formats ratios', () => {
    expect(formatRatio(1.234)).toBe('1.23');
    expect(formatRatio(Infinity)).toBe('∞');
  });

  it('formats relative times', () => {
    const now = 1_000_000_000;
    expect(formatRelativeTime(now, now)).toBe('just now');
    expect(formatRelativeTime(now - 5000, now)).toBe('5 s ago');
    expect(formatRelativeTime(now - 180_000, now)).toBe('3 min ago');
    expect(formatRelativeTime(now + 30_000, now)).toBe('in 30 s');
    expect(formatRelativeTime(now - 7_200_000, now)).toBe('2 h ago');
    expect(formatRelativeTime(undefined, now)).toBe('—');
  });

  it('exposes the same through pipes', () => {
    expect(new BytesPipe().transform(1024)).toBe('1.00 KiB');
    expect(new RatePipe().transform(1024)).toBe('1.00 KiB/s');
    expect(new EtaPipe().transform(61)).toBe('1m 01s');
    expect(new PercentPipe().transform(0.5)).toBe('50.0%');
    expect(new RatioPipe().transform(2)).toBe('2.00');
  });
});
