import { InvalidArgumentError } from 'commander';

/** Integer option parser for commander: `--port 6881`. */
export function intOption(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Sizes and rates in bytes with an optional binary suffix: `512k`, `2M`, `1G`, `0`. */
export function sizeOption(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?(?:\/s)?$/i.exec(value.trim());
  if (!m) throw new InvalidArgumentError('expected a size like 500k, 2M or 0');
  return Math.round(Number(m[1]) * UNITS[m[2].toLowerCase()]);
}

/** Collects a repeatable option: `--announce A --announce B`. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
