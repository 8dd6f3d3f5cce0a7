import { BencodeError, ProtocolError } from './errors';

test('subclasses keep their own name and a stable code', () => {
  const e = new BencodeError('bencode.leading-zero', 'integer with a leading zero at byte 3');
  expect(e).toBeInstanceOf(ProtocolError);
  expect(e.name).toBe('BencodeError');
  expect(e.code).toBe('bencode.leading-zero');
});
