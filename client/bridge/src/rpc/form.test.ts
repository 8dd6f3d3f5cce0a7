import fc from 'fast-check';
import { RpcError } from './errors';
import { addBody, emptyForm } from './form';

function multipart(boundary: string, parts: string[]): Buffer {
  return Buffer.from(
    parts.map((p) => `--${boundary}\r\n${p}\r\n`).join('') + `--${boundary}--\r\n`,
    'latin1',
  );
}

test('fields and files of a multipart body, a file under any field name', () => {
  const form = emptyForm();
  addBody(
    form,
    'multipart/form-data; boundary="----x"',
    multipart('----x', [
      'Content-Disposition: form-data; name="category"\r\n\r\nlinux',
      'Content-Disposition: form-data; name="fileselect[]"; filename="a \\"b\\".torrent"\r\nContent-Type: application/x-bittorrent\r\n\r\nd4:spam\r\n--not-a-boundary',
      'content-disposition: form-data; name="urls"\r\n\r\nmagnet:?a\nmagnet:?b',
    ]),
  );
  expect(form.fields.get('category')).toBe('linux');
  expect(form.fields.get('urls')).toBe('magnet:?a\nmagnet:?b');
  expect(form.files).toHaveLength(1);
  expect(form.files[0].field).toBe('fileselect[]');
  expect(form.files[0].filename).toBe('a "b".torrent');
  expect(form.files[0].data.toString('latin1')).toBe('d4:spam\r\n--not-a-boundary');
});

test('url-encoded bodies; the first of a repeated name wins', () => {
  const form = emptyForm();
  addBody(form, 'application/x-www-form-urlencoded; charset=UTF-8', Buffer.from('a=1&a=2&b=%20x'));
  expect([...form.fields]).toEqual([
    ['a', '1'],
    ['b', ' x'],
  ]);
});

test('broken bodies are 400 or 415, never anything else', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(
        'multipart/form-data; boundary=b',
        'multipart/form-data',
        'text/xml',
        'application/x-www-form-urlencoded',
      ),
      fc.uint8Array({ maxLength: 500 }),
      fc.array(
        fc.constantFrom(
          '--b\r\n',
          '--b--',
          '\r\n\r\n',
          'Content-Disposition: form-data; name="x"',
          '; filename="f"',
          '\r\n--b',
        ),
      ),
      (type, bytes, pieces) => {
        const body = Buffer.concat([Buffer.from(pieces.join('')), Buffer.from(bytes)]);
        try {
          addBody(emptyForm(), type, body);
        } catch (err) {
          expect(err).toBeInstanceOf(RpcError);
          expect([400, 415]).toContain((err as RpcError).status);
        }
      },
    ),
    { numRuns: 2000 },
  );
});
