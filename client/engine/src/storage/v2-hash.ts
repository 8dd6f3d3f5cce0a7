import type { createHash } from 'node:crypto';

/**
 * The BEP 52 hashes of one piece (merkle.ts's `layerRoot` over `blockHashes`, and a SHA-1 over
 * the piece padded with zeros). Plain JavaScript with its dependency passed in, like
 * `writeTargets`: the worker evaluates its source text.
 */
export function v2Hashes(
  hash: typeof createHash,
  view: Buffer,
  width: number,
  sha1Length: number | undefined,
): { v2: Uint8Array; sha1?: Uint8Array } {
  const BLOCK = 16384;
  let level: Buffer[] = [];
  for (let o = 0; o < view.length; o += BLOCK) {
    level.push(
      hash('sha256')
        .update(view.subarray(o, Math.min(o + BLOCK, view.length)))
        .digest(),
    );
  }
  let pad = Buffer.alloc(32);
  for (let w = width; w > 1; w /= 2) {
    const up: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) {
      up.push(
        hash('sha256')
          .update(level[i])
          .update(level[i + 1] ?? pad)
          .digest(),
      );
    }
    level = up;
    pad = hash('sha256').update(pad).update(pad).digest();
  }
  const out: { v2: Uint8Array; sha1?: Uint8Array } = { v2: new Uint8Array(level[0] ?? pad) };
  if (sha1Length !== undefined) {
    const h = hash('sha1').update(view);
    const zeros = Buffer.alloc(Math.min(sha1Length - view.length, 1 << 20));
    for (let left = sha1Length - view.length; left > 0; left -= zeros.length) {
      h.update(zeros.subarray(0, Math.min(left, zeros.length)));
    }
    out.sha1 = new Uint8Array(h.digest());
  }
  return out;
}
