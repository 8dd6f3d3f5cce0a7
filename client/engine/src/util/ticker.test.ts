import { Ticker } from './ticker';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('calls every subscriber each period, stops calling a cancelled one, survives a throw', async () => {
  const t = new Ticker(10);
  const calls = { a: 0, b: 0 };
  const a = t.add(() => void calls.a++);
  t.add(() => {
    calls.b++;
    throw new Error('one bad subscriber');
  });
  await wait(60);
  expect(calls.a).toBeGreaterThan(0);
  expect(calls.b).toBeGreaterThan(0);
  a.cancel();
  a.cancel();
  const before = calls.a;
  await wait(40);
  expect(calls.a).toBe(before);
  expect(t.size).toBe(1);
  t.stop();
});

test('the timer runs only while someone is subscribed', async () => {
  const t = new Ticker(10);
  let n = 0;
  const sub = t.add(() => void n++);
  sub.cancel();
  expect(t.size).toBe(0);
  await wait(40);
  expect(n).toBe(0);
  const again = t.add(() => void n++);
  await wait(40);
  expect(n).toBeGreaterThan(0);
  again.cancel();
});

test('an idle subscriber sleeps until woken; a cancelled one stays asleep', async () => {
  const t = new Ticker(10);
  let n = 0;
  let idle = true;
  const sub = t.add(() => {
    n++;
    return idle;
  });
  await wait(50);
  expect(n).toBe(1); // called once, said it was idle
  expect(t.size).toBe(0);
  idle = false;
  sub.wake();
  sub.wake(); // awake already: one subscription still
  expect(t.size).toBe(1);
  await wait(50);
  expect(n).toBeGreaterThan(2);
  idle = true;
  await wait(30);
  const asleep = n;
  await wait(40);
  expect(n).toBe(asleep);
  sub.cancel();
  sub.wake();
  expect(t.size).toBe(0);
  await wait(30);
  expect(n).toBe(asleep);
});
