// Red team: a replica cannot be started with a weak network key. The real `enjambre-tracker`
// command line is given a short key, the key the kustomize base ships, and keys at the boundary,
// from the flag and from the environment as Kubernetes passes it.
import { containerEnv, renderKustomize } from '../deploy/manifests';
import { KEY, buildTracker, runToExit, startReplica } from './replication-helpers';

jest.setTimeout(60_000);

beforeAll(() => buildTracker(), 120_000);

/** The refusal is one clear line on stderr and a non-zero exit, and nothing was served. */
function expectRefused(
  r: { code: number | null; stdout: string; stderr: string },
  reason: RegExp,
): void {
  expect(r.code).not.toBe(0);
  expect(r.code).not.toBeNull();
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(reason);
  expect(lines[0]).toMatch(/openssl rand -base64 48/);
  expect(r.stdout).not.toMatch(/"msg":"listening"|replication listening/);
}

it.each([
  ['a short key', 'secret'],
  ['a key of 31 bytes', 'k'.repeat(31)],
  ['31 bytes of 2-byte characters that are only 15 characters long', 'é'.repeat(15) + 'x'],
])('refuses %s, from the flag and from the environment', async (_name, key) => {
  expectRefused(await runToExit(['--red-key', key]), /at least 32/);
  expectRefused(await runToExit([], { ENJAMBRE_TRACKER_RED_KEY: key }), /at least 32/);
});

it('refuses the placeholder the kustomize base ships, exactly as a pod gets it', async () => {
  const env = containerEnv(renderKustomize(), { 'metadata.name': 'enjambre-tracker-0' });
  const shipped = env.ENJAMBRE_TRACKER_RED_KEY;
  // Long enough, so only the placeholder rule can refuse it.
  expect(Buffer.byteLength(shipped)).toBeGreaterThanOrEqual(32);
  expectRefused(await runToExit([], { ENJAMBRE_TRACKER_RED_KEY: shipped }), /placeholder/);
  // Any value carrying the marker, whatever its case or position.
  expectRefused(await runToExit(['--red-key', `my-${'x'.repeat(32)}-replace-me`]), /placeholder/);
});

it('starts with a key of 32 bytes and with one made by openssl rand -base64 48', async () => {
  for (const key of ['k'.repeat(32), KEY]) {
    const r = await startReplica([], { ENJAMBRE_TRACKER_RED_KEY: key });
    try {
      expect(r.replicationPort).toBeGreaterThan(0);
      expect(r.replicationPort).not.toBe(r.grpcPort);
    } finally {
      await r.stop();
    }
  }
});

it('refuses a replication port equal to the client gRPC port', async () => {
  const r = await runToExit(['--red-key', KEY, '--port', '18168', '--replication-port', '18168']);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/--replication-port must differ from --port/);
});
