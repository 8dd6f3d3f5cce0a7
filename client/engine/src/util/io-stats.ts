import type { IoCounter, IoStats } from '../api';

export function createIoStats(): IoStats {
  const counter = (): IoCounter => ({ seconds: 0, bytes: 0, operations: 0 });
  return { hash: counter(), diskRead: counter(), diskWrite: counter() };
}

/**
 * Runs `work` and adds its duration to `counter` (when there is one), whether it succeeds or
 * not: a failing disk is slow too, and that is what an operator looks for.
 */
export async function timeIo<T>(
  counter: IoCounter | undefined,
  bytes: number,
  work: () => Promise<T>,
): Promise<T> {
  if (!counter) return work();
  const start = process.hrtime.bigint();
  try {
    return await work();
  } finally {
    countIo(counter, Number(process.hrtime.bigint() - start) / 1e9, bytes);
  }
}

/** Adds one operation of `seconds` and `bytes` to `counter`. */
export function countIo(counter: IoCounter, seconds: number, bytes: number): void {
  counter.seconds += seconds;
  counter.bytes += bytes;
  counter.operations++;
}
