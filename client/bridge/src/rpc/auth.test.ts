import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BridgeState } from '../daemon/state';
import { LoginBans, parseBasic, RpcAuth, WebSessions } from './auth';

let dir: string;
let state: BridgeState;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'enjambre-rpc-auth-'));
  state = new BridgeState(join(dir, 'db'));
  await state.open();
});
afterEach(async () => {
  await state.close();
  await rm(dir, { recursive: true, force: true });
});

const TOKEN = 'T'.repeat(43);

test('by default any user name with the token; once set, exactly the user and password', async () => {
  const auth = new RpcAuth(TOKEN, state);
  await auth.load();
  expect(await auth.verify('anyone', TOKEN)).toBe(true);
  expect(await auth.verify('anyone', 'wrong')).toBe(false);
  await auth.set({ username: 'sonarr', password: 'correct horse' });
  expect(await auth.verify('sonarr', 'correct horse')).toBe(true);
  expect(await auth.verify('radarr', 'correct horse')).toBe(false);
  expect(await auth.verify('sonarr', TOKEN)).toBe(false);
  expect(await auth.verify('sonarr', 'x'.repeat(5000))).toBe(false);
  // Reloaded from LevelDB, and never stored in the clear.
  const again = new RpcAuth(TOKEN, state);
  await again.load();
  expect(again.username).toBe('sonarr');
  expect(await again.verify('sonarr', 'correct horse')).toBe(true);
  const stored = await state.getRpcCredentials();
  expect(JSON.stringify(stored)).not.toContain('correct horse');
  await state.close();
  for (const f of await readdir(join(dir, 'db'))) {
    expect((await readFile(join(dir, 'db', f))).includes('correct horse')).toBe(false);
  }
  await state.open();
  await again.set(undefined);
  expect(await again.verify('whoever', TOKEN)).toBe(true);
});

test('Basic headers', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  expect(parseBasic(`Basic ${b64('a:b:c')}`)).toEqual({ username: 'a', password: 'b:c' });
  expect(parseBasic(`basic ${b64(':p')}`)).toEqual({ username: '', password: 'p' });
  expect(parseBasic(`Basic ${b64('nocolon')}`)).toBeUndefined();
  expect(parseBasic('Bearer x')).toBeUndefined();
  expect(parseBasic(undefined)).toBeUndefined();
  expect(parseBasic(`Basic ${'A'.repeat(5000)}`)).toBeUndefined();
});

test('a ban after the failures, lifted after its time; success clears the count', () => {
  const bans = new LoginBans(3, 1000, 2);
  bans.failed('a', 0);
  bans.failed('a', 0);
  bans.succeeded('a');
  bans.failed('a', 0);
  bans.failed('a', 0);
  expect(bans.banned('a', 1)).toBe(false);
  bans.failed('a', 10);
  expect(bans.banned('a', 11)).toBe(true);
  expect(bans.banned('a', 1011)).toBe(false);
  // Bounded: the oldest address is forgotten.
  bans.failed('b', 0);
  bans.failed('c', 0);
  bans.failed('d', 0);
  expect(bans.banned('b')).toBe(false);
});

test('sessions expire when idle and are bounded', () => {
  const s = new WebSessions(() => ({ n: 1 }), 1000, 2);
  const a = s.open(0);
  expect(s.get(a, 500)).toEqual({ n: 1 });
  expect(s.get(a, 1400)).toEqual({ n: 1 }); // refreshed at 500
  expect(s.get(a, 2500)).toBeUndefined();
  const b = s.open(0);
  s.open(0);
  s.open(0);
  expect(s.get(b, 1)).toBeUndefined();
  expect(s.get('made-up')).toBeUndefined();
});
