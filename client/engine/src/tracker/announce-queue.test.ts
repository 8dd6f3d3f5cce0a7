import { AnnounceQueue, jitter, retryDelay } from './announce-queue';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const settle = () => new Promise((r) => setTimeout(r, 5));

test('never runs more than maxInFlight jobs at once, and runs every job', async () => {
  const q = new AnnounceQueue({ maxInFlight: 3 });
  const gates = Array.from({ length: 10 }, deferred);
  let running = 0;
  let peak = 0;
  const ran: number[] = [];
  gates.forEach((g, i) =>
    q.schedule(async () => {
      running++;
      peak = Math.max(peak, running);
      ran.push(i);
      await g.promise;
      running--;
    }, 0),
  );
  await settle();
  expect(running).toBe(3);
  for (const g of gates) {
    g.resolve();
    await settle();
  }
  expect(peak).toBe(3);
  expect(ran).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  q.close();
});

test('runs jobs in order of due time, not of scheduling', async () => {
  const q = new AnnounceQueue({ maxInFlight: 1 });
  const ran: string[] = [];
  const done = deferred();
  q.schedule(async () => {
    ran.push('late');
    done.resolve();
  }, 40);
  q.schedule(async () => void ran.push('soon'), 10);
  q.schedule(async () => void ran.push('now'), 0);
  await done.promise;
  expect(ran).toEqual(['now', 'soon', 'late']);
  q.close();
});

test('a cancelled job never runs; a failing job frees its slot', async () => {
  const q = new AnnounceQueue({ maxInFlight: 1 });
  const ran: string[] = [];
  q.schedule(async () => {
    ran.push('fails');
    throw new Error('tracker down');
  }, 0);
  const dropped = q.schedule(async () => void ran.push('cancelled'), 0);
  q.schedule(async () => void ran.push('after'), 0);
  dropped.cancel();
  await settle();
  expect(ran).toEqual(['fails', 'after']);
  expect(q.running).toBe(0);
  q.close();
});

test('close drops waiting jobs and refuses new ones', async () => {
  const q = new AnnounceQueue();
  const ran: string[] = [];
  q.schedule(async () => void ran.push('waiting'), 20);
  q.close();
  q.schedule(async () => void ran.push('late'), 0);
  await new Promise((r) => setTimeout(r, 40));
  expect(ran).toEqual([]);
  expect(q.pending).toBe(0);
});

test('retry delays double from 15 s and stop at 30 min; jitter stays within its fraction', () => {
  expect([1, 2, 3, 4].map(retryDelay)).toEqual([15_000, 30_000, 60_000, 120_000]);
  expect(retryDelay(50)).toBe(30 * 60_000);
  for (let i = 0; i < 200; i++) {
    const j = jitter(10_000, 0.2);
    expect(j).toBeGreaterThanOrEqual(8_000);
    expect(j).toBeLessThanOrEqual(12_000);
  }
  expect(new Set(Array.from({ length: 50 }, () => jitter(10_000))).size).toBeGreaterThan(1);
});
