import { Choker, type ChokerPeer } from './choker';

function peer(down: number, up = 0, interested = true): ChokerPeer & { name: number } {
  return {
    name: down,
    peerInterested: interested,
    amChoking: true,
    optimistic: false,
    snubbed: false,
    downRate: () => down,
    upRate: () => up,
    choke() {
      this.amChoking = true;
    },
    unchoke() {
      this.amChoking = false;
    },
  };
}

test('tit-for-tat unchokes the fastest uploaders plus one optimistic peer', () => {
  const peers = [10, 50, 30, 5, 40, 20].map((r) => peer(r));
  const c = new Choker(3);
  c.run(peers, false);
  const unchoked = peers.filter((p) => !p.amChoking);
  expect(unchoked).toHaveLength(4);
  for (const r of [50, 40, 30]) expect(peers.find((p) => p.name === r)!.amChoking).toBe(false);
  expect(unchoked.filter((p) => p.optimistic)).toHaveLength(1);
  expect([10, 5, 20]).toContain(unchoked.find((p) => p.optimistic)!.name);
});

test('seeding ranks by upload rate; uninterested peers stay choked', () => {
  const a = peer(0, 100);
  const b = peer(0, 1);
  const idle = peer(0, 1000, false);
  const c = new Choker(1);
  c.run([a, b, idle], true);
  expect(a.amChoking).toBe(false);
  expect(idle.amChoking).toBe(true);
});

test('a newly interested peer gets a free slot at once', () => {
  const c = new Choker(2);
  const p = peer(0);
  c.offerSlot(p, [p]);
  expect(p.amChoking).toBe(false);
  const busy = [peer(1), peer(2), peer(3)].map((x) => (x.unchoke(), x));
  const late = peer(0);
  c.offerSlot(late, [...busy, late]);
  expect(late.amChoking).toBe(true);
});

test('an idle peer unchoked on connect keeps its unchoke while slots are free, not beyond', () => {
  const c = new Choker(2);
  const idle = peer(0, 0, false);
  c.offerSlot(idle, [idle]); // preemptive unchoke on connect
  expect(idle.amChoking).toBe(false);
  c.run([idle], true);
  expect(idle.amChoking).toBe(false);

  // three interested peers take both slots and the optimistic one: the idle peer is choked
  const busy = [peer(0, 30), peer(0, 20), peer(0, 10)];
  c.run([idle, ...busy], true);
  expect(idle.amChoking).toBe(true);
  expect(busy.filter((p) => !p.amChoking)).toHaveLength(3);
});

test('idle unchoked peers do not use up the slots a newly interested peer is offered', () => {
  const c = new Choker(1);
  const idle = [peer(0, 0, false), peer(0, 0, false)].map((x) => (x.unchoke(), x));
  const p = peer(5);
  c.offerSlot(p, [...idle, p]);
  expect(p.amChoking).toBe(false);
});
