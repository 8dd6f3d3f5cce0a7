import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import {
  MIN_KEY_BYTES,
  NonceLedger,
  SessionReceiver,
  SessionSender,
  checkProof,
  networkKeyBytes,
  newNonce,
  proofFor,
  sessionKey,
  type Transcript,
} from './auth';

const transcript = (): Transcript => ({
  callerId: randomBytes(16),
  calleeId: randomBytes(16),
  callerAdvertise: 'tracker-0.peers:8169',
  calleeAdvertise: 'tracker-1.peers:8169',
  callerNonce: newNonce(),
  calleeNonce: newNonce(),
});

it('accepts a proof only with the same key, role and transcript', () => {
  const key = Buffer.from('network key');
  const t = transcript();
  const proof = proofFor(key, 'caller', t);
  expect(checkProof(key, 'caller', t, proof)).toBe(true);
  expect(checkProof(Buffer.from('other key'), 'caller', t, proof)).toBe(false);
  // One side's proof is never the other side's.
  expect(checkProof(key, 'callee', t, proof)).toBe(false);
  expect(checkProof(key, 'caller', { ...t, calleeNonce: newNonce() }, proof)).toBe(false);
  expect(checkProof(key, 'caller', t, proof.subarray(0, 16))).toBe(false);
  // The addresses each side gave (where the callee links back) are bound too.
  expect(checkProof(key, 'caller', { ...t, callerAdvertise: 'evil:8169' }, proof)).toBe(false);
  // Neither the proof nor the session key reveals or equals the key.
  expect(proof.includes(key)).toBe(false);
  expect(sessionKey(key, t).equals(proof)).toBe(false);
});

it('keeps field boundaries: moving bytes between fields changes the proof', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 2, maxLength: 40 }), fc.nat(), (bytes, cut) => {
      const b = Buffer.from(bytes);
      const i = 1 + (cut % (b.length - 1));
      const key = Buffer.from('k');
      const base = transcript();
      const t1 = { ...base, callerId: b.subarray(0, i), calleeId: b.subarray(i) };
      const t2 = { ...base, callerId: b.subarray(0, i - 1), calleeId: b.subarray(i - 1) };
      expect(proofFor(key, 'caller', t1).equals(proofFor(key, 'caller', t2))).toBe(false);
    }),
  );
});

it('refuses a reused nonce within its lifetime, and bounds its memory', () => {
  let now = 0;
  const ledger = new NonceLedger(1000, 3, () => now);
  const n = newNonce();
  expect(ledger.remember(n)).toBe(true);
  expect(ledger.remember(n)).toBe(false);
  now = 2000;
  expect(ledger.remember(n)).toBe(true);
  for (let i = 0; i < 10; i++) ledger.remember(newNonce());
  expect((ledger as unknown as { seen: Map<string, number> }).seen.size).toBeLessThanOrEqual(3);
});

it('accepts each session message once, in increasing order, and only with its MAC', () => {
  const key = randomBytes(32);
  const tx = new SessionSender(key, 'c2s');
  const rx = new SessionReceiver(key, 'c2s');
  const m1 = tx.sign(Buffer.from('one'));
  const m2 = tx.sign(Buffer.from('two'));
  expect(rx.accept(m1.seq, m1.payload, m1.mac)).toBe('ok');
  expect(rx.accept(m1.seq, m1.payload, m1.mac)).toBe('replayed');
  expect(rx.accept(m2.seq, Buffer.from('tw0'), m2.mac)).toBe('bad-mac');
  expect(rx.accept(m2.seq + 1, m2.payload, m2.mac)).toBe('bad-mac');
  expect(rx.accept(m2.seq, m2.payload, m2.mac)).toBe('ok');
  // The other direction's messages do not verify here.
  const back = new SessionSender(key, 's2c').sign(Buffer.from('three'));
  expect(rx.accept(back.seq + 10, back.payload, back.mac)).toBe('bad-mac');
});

it('refuses a network key under 32 bytes or the placeholder of the manifests', () => {
  expect(networkKeyBytes('x'.repeat(MIN_KEY_BYTES))).toEqual(Buffer.from('x'.repeat(32)));
  // Bytes, not characters: 11 three-byte characters are 33 bytes.
  expect(networkKeyBytes('€'.repeat(11)).length).toBe(33);
  expect(() => networkKeyBytes('x'.repeat(31))).toThrow(/31 bytes, at least 32/);
  expect(() => networkKeyBytes('')).toThrow(/0 bytes/);
  expect(() => networkKeyBytes('REPLACE-ME-enjambre-placeholder-network-key')).toThrow(
    /placeholder/,
  );
  expect(() => networkKeyBytes('replace-me' + 'x'.repeat(40))).toThrow(/placeholder/);
  expect(() => networkKeyBytes('x'.repeat(31))).toThrow(/openssl rand -base64 48/);
});
