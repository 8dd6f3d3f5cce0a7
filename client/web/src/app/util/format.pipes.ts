import { Pipe, PipeTransform } from '@angular/core';
import {
  formatBytes,
  formatEta,
  formatPercent,
  formatRate,
  formatRatio,
  formatRelativeTime,
} from './format';

@Pipe({ name: 'bytes' })
export class BytesPipe implements PipeTransform {
  transform(value: number | undefined): string {
    return formatBytes(value);
  }
}

@Pipe({ name: 'rate' })
export class RatePipe implements PipeTransform {
  transform(value: number | undefined): string {
    return formatRate(value);
  }
}

@Pipe({ name: 'eta' })
export class EtaPipe implements PipeTransform {
  transform(value: number | undefined): string {
    return formatEta(value);
  }
}

@Pipe({ name: 'percent' })
export class PercentPipe implements PipeTransform {
  transform(value: number | undefined): string {
    return formatPercent(value);
  }
}

@Pipe({ name: 'ratio' })
export class RatioPipe implements PipeTransform {
  transform(value: number | undefined): string {
    return formatRatio(value);
  }
}

/** Impure on purpose: "5 s ago" must age while the view re-renders. */
@Pipe({ name: 'ago', pure: false })
export class AgoPipe implements PipeTransform {
  transform(value: number | undefined): string {
    return formatRelativeTime(value);
  }
}

export const FORMAT_PIPES = [
  BytesPipe,
  RatePipe,
  EtaPipe,
  PercentPipe,
  RatioPipe,
  AgoPipe,
] as const;
