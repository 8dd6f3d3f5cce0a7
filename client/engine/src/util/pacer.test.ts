import { Pacer } from './pacer';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('starts a few jobs at once, then at most perSecond a second, in order', async () => {
  const p = new Pacer(5);
  const ran: number[] = [];
  for (let i = 0; i < 12; i++) p.run(() => void ran.push(i));
  expect(ran).toEqual([0, 1, 2, 3, 4]);
  await wait(1_150);
  expect(ran).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  await wait(1_000);
  expect(ran).toHaveLength(12);
  expect(ran).toEqual([...ran].sort((a, b) => a - b));
  // a job that throws does not stop the rest
  p.run(() => {
    throw new Error('bad job');
  });
  for (let i = 0; i < 8; i++) p.run(() => void ran.push(100 + i));
  await wait(2_300);
  expect(ran.filter((x) => x >= 100)).toHaveLength(8);
});
