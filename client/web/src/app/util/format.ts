/** Human-readable numbers for the GUI: binary units like qBittorrent and Transmission. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  const digits = value < 10 ? 2 : value < 100 ? 1 : 0;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

export function formatRate(bytesPerSecond: number | undefined): string {
  if (!bytesPerSecond || bytesPerSecond < 1) return '—';
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** Seconds left as "45s", "3m 20s", "1h 05m", "2d 3h"; "∞" when it will never finish. */
export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '∞';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  const d = Math.floor(h / 24);
  if (d > 365) return '∞';
  return `${d}d ${h % 24}h`;
}

/**
 * 0..1 as a percentage with one decimal, rounded down so that "100%" means really complete.
 */
export function formatPercent(fraction: number | undefined): string {
  if (fraction === undefined || !Number.isFinite(fraction)) return '—';
  const clamped = Math.min(1, Math.max(0, fraction));
  if (clamped === 1) return '100%';
  return `${(Math.floor(clamped * 1000) / 10).toFixed(1)}%`;
}

export function formatRatio(ratio: number | undefined): string {
  if (ratio === undefined || !Number.isFinite(ratio) || ratio < 0) return '∞';
  return ratio.toFixed(2);
}

/** "just now", "5 s ago", "3 min ago", "2 h ago", or a date; "in 30 s" for future times. */
export function formatRelativeTime(epochMs: number | undefined, now = Date.now()): string {
  if (epochMs === undefined) return '—';
  const diff = Math.round((now - epochMs) / 1000);
  const abs = Math.abs(diff);
  const say = (n: number, unit: string) => (diff >= 0 ? `${n} ${unit} ago` : `in ${n} ${unit}`);
  if (abs < 2) return 'just now';
  if (abs < 60) return say(abs, 's');
  if (abs < 3600) return say(Math.floor(abs / 60), 'min');
  if (abs < 86400) return say(Math.floor(abs / 3600), 'h');
  return new Date(epochMs).toLocaleDateString();
}

/** Parses a user's "1.5 MiB/s"-style limit field given in KiB/s: returns bytes per second. */
export function kibToBytes(kib: number): number {
  return Math.round(kib * 1024);
}
