import type { TorrentMeta } from '../meta';
import { BLOCK_SIZE, type BlockRequest, type PickerPeer, type PiecePicker } from '../picker/picker';
import { fetchRanges, WebSeedError, type FetchOptions } from './http-range';
import { BlockAssembler, type PlacedBlock } from './plan';

/** Bytes read past the last claimed block before a stream gives up on the rest of the data. */
const SKIP_LIMIT = 64 * 1024 * 1024;

/** Ends a stream early (not an error of the seed). */
class StopStream extends WebSeedError {
  constructor() {
    super('stream ended', false);
  }
}

export interface StreamJobParts {
  meta: TorrentMeta;
  picker: PiecePicker;
  seed: PickerPeer;
  fetch: FetchOptions;
  url(fileIndex: number): string;
  deliver(b: PlacedBlock, data: Buffer): void;
}

/**
 * One job for a server that ignores Range (it sends every file whole, from its first byte):
 * instead of asking for a run of pieces and reading each file from its start again for every
 * run, the body is read once, in torrent order, from the file holding the first piece the picker
 * lets this seed claim, and each piece is claimed as the body reaches it (pieces already had or
 * being fetched elsewhere are skipped). So a torrent is read about once, not once per job.
 * Returns undefined, at once, when there is nothing to claim.
 */
export function streamJob(o: StreamJobParts): Promise<void> | undefined {
  const { meta, picker, seed } = o;
  const blocks: PlacedBlock[] = [];
  const scratch: BlockRequest[] = [];
  let claimedEnd = -1;
  const claim = (p: number): void => {
    scratch.length = 0;
    picker.claim(seed, p, picker.blocksIn(p), scratch);
    for (const r of scratch) {
      const offset = p * meta.pieceLength + r.begin;
      blocks.push({ ...r, offset });
      claimedEnd = offset + r.length;
    }
  };
  let next = 0;
  while (next < meta.pieceCount && claimedEnd < 0) claim(next++);
  if (claimedEnd < 0) return undefined;
  return read(
    o,
    blocks,
    () => next,
    claim,
    (n) => (next = n),
    () => claimedEnd,
  );
}

async function read(
  o: StreamJobParts,
  blocks: PlacedBlock[],
  getNext: () => number,
  claim: (p: number) => void,
  setNext: (n: number) => void,
  claimedEnd: () => number,
): Promise<void> {
  const { meta, picker, seed } = o;
  const delivered = new Set<PlacedBlock>();
  const asm = new BlockAssembler(blocks, (b, data) => {
    delivered.add(b);
    o.deliver(b, data);
  });
  const onData = (at: number, chunk: Buffer): void => {
    let next = getNext();
    while (next < meta.pieceCount && next * meta.pieceLength < at + chunk.length) claim(next++);
    setNext(next);
    // nothing left to claim ahead, everything claimed has come: stop reading
    if (next >= meta.pieceCount && asm.done === blocks.length) throw new StopStream();
    if (at - claimedEnd() > SKIP_LIMIT) throw new StopStream();
    asm.write(at, chunk);
  };
  try {
    const first = blocks[0].offset;
    for (let f = 0; f < meta.files.length; f++) {
      const file = meta.files[f];
      if (file.length === 0 || file.offset + file.length <= first) continue;
      if (file.pad) {
        const z = Buffer.alloc(Math.min(file.length, BLOCK_SIZE));
        for (let p = 0; p < file.length; p += z.length)
          onData(file.offset + p, z.subarray(0, Math.min(z.length, file.length - p)));
        continue;
      }
      await fetchRanges(
        o.url(f),
        [{ start: 0, length: file.length }],
        (at, chunk) => onData(file.offset + at, chunk),
        o.fetch,
      );
    }
  } catch (err) {
    if (!(err instanceof StopStream)) throw err;
  } finally {
    for (const b of blocks) if (!delivered.has(b)) picker.release(seed, b.index, b.begin);
  }
}
