import { MessageCollector } from './collect';
import { WireDecoder } from './decoder';
import { encodeBitfield, encodeHaveNone } from './messages';

test('singleBitfield: false passes a later bitfield to the handler (aria2 sends have-none, then a bitfield)', () => {
  const stream = Buffer.concat([encodeHaveNone(), encodeBitfield(Buffer.from([0x80]))]);
  expect(() =>
    new WireDecoder(new MessageCollector(), { handshake: false, pieceCount: 8 }).push(stream),
  ).toThrow(/second bitfield/);
  const c = new MessageCollector();
  new WireDecoder(c, { handshake: false, pieceCount: 8, singleBitfield: false }).push(stream);
  expect(c.events.map((e) => e.type)).toEqual(['have-none', 'bitfield']);
});
