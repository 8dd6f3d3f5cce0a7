import * as path from 'node:path';
import fc from 'fast-check';
import { isSafeComponent, unsafeComponentReason } from './path-safety';

/** Where `components` land under `root` with each OS's path rules, after its name trimming. */
function staysInside(components: string[]): boolean {
  const posixRoot = '/downloads';
  const posix = path.posix.resolve(posixRoot, ...components);
  // Windows drops trailing dots and spaces of each component when it opens a path.
  const winComponents = components.map((c) => c.replace(/[. ]+$/, ''));
  const winRoot = 'C:\\downloads';
  const win = path.win32.resolve(winRoot, ...winComponents);
  return (
    posix.startsWith(`${posixRoot}/`) &&
    win.toLowerCase().startsWith(`${winRoot.toLowerCase()}\\`) &&
    winComponents.every((c) => c !== '')
  );
}

test('reasons', () => {
  expect(unsafeComponentReason('movie.mkv')).toBeUndefined();
  expect(unsafeComponentReason('..')).toBe('is ".."');
  expect(unsafeComponentReason('a\\b')).toBe('contains a path separator');
  expect(unsafeComponentReason('LPT1.txt')).toBe('is a Windows device name');
  expect(unsafeComponentReason('conin$')).toBe('is a Windows device name');
  expect(unsafeComponentReason('console')).toBeUndefined();
  expect(unsafeComponentReason('é'.repeat(128))).toBe('is longer than 255 bytes');
  expect(unsafeComponentReason('é'.repeat(127))).toBeUndefined();
});

test('the oracle catches escapes', () => {
  expect(staysInside(['a', 'b'])).toBe(true);
  for (const bad of [['..'], ['.. '], ['a', '..', '..'], ['\\x'], ['/etc'], ['D:\\x'], ['...']]) {
    expect(staysInside(bad)).toBe(false);
  }
});

test('a safe component never leaves the folder, on POSIX or Windows', () => {
  const tricky = fc.constantFrom(
    ...['.', '..', '/', '\\', ':', ' ', 'C', 'c', 'a', '\0', '\n', '~', '$', 'N', 'U', 'L'],
  );
  fc.assert(
    fc.property(
      fc.array(fc.string({ unit: tricky, minLength: 0, maxLength: 6 }), {
        minLength: 1,
        maxLength: 4,
      }),
      (components) => {
        if (components.every(isSafeComponent)) expect(staysInside(components)).toBe(true);
      },
    ),
    { numRuns: 5000 },
  );
});
