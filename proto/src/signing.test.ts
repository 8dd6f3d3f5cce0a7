import { generateKeyPairSync } from 'node:crypto';
import {
  publishSignedBytes,
  rawPublicKey,
  signBytes,
  verifySignature,
  withdrawSignedBytes,
} from './signing';

describe('publisher signatures', () => {
  const { privateKey } = generateKeyPairSync('ed25519');
  const raw = rawPublicKey(privateKey);
  const p = {
    infoHash: Buffer.alloc(20, 1),
    signedAtMs: 1_700_000_000_000,
    name: 'Debian',
    totalSize: 2 ** 40,
    fileCount: 3,
  };

  it('verifies what the key signed, and nothing else', () => {
    const sig = signBytes(privateKey, publishSignedBytes(p));
    expect(raw).toHaveLength(32);
    expect(verifySignature(raw, publishSignedBytes(p), sig)).toBe(true);
    expect(verifySignature(raw, publishSignedBytes({ ...p, name: 'Debiam' }), sig)).toBe(false);
    expect(
      verifySignature(raw, publishSignedBytes({ ...p, signedAtMs: p.signedAtMs + 1 }), sig),
    ).toBe(false);
    // A publish signature is not a withdrawal.
    expect(verifySignature(raw, withdrawSignedBytes(p.infoHash, p.signedAtMs), sig)).toBe(false);
    const other = rawPublicKey(generateKeyPairSync('ed25519').privateKey);
    expect(verifySignature(other, publishSignedBytes(p), sig)).toBe(false);
  });

  it('is false for malformed keys and signatures, never a throw', () => {
    const bytes = withdrawSignedBytes(p.infoHash, 1);
    expect(verifySignature(Buffer.alloc(31), bytes, Buffer.alloc(64))).toBe(false);
    expect(verifySignature(Buffer.alloc(32), bytes, Buffer.alloc(64))).toBe(false);
    expect(verifySignature(raw, bytes, Buffer.alloc(10))).toBe(false);
    // The identity point "signs" everything with R = identity, S = 0: refused as a key.
    const identity = Buffer.alloc(32);
    identity[0] = 1;
    expect(verifySignature(identity, bytes, Buffer.concat([identity, Buffer.alloc(32)]))).toBe(
      false,
    );
  });
});
