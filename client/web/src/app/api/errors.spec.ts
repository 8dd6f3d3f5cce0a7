import { HttpErrorResponse } from '@angular/common/http';
import { describeError } from './errors';

const http = (status: number, error: unknown) =>
  new HttpErrorResponse({ status, error, url: '/api/x' });

describe('describeError', () => {
  it("uses the bridge's own words, as a sentence", () => {
    expect(describeError(http(400, { error: 'not a valid magnet link' }))).toBe(
      'Not a valid magnet link.',
    );
    expect(describeError(http(409, { error: 'torrent already added!' }))).toBe(
      'Torrent already added!',
    );
  });

  it('explains a bridge that cannot be reached', () => {
    expect(describeError(http(0, new ProgressEvent('error')))).toMatch(/Cannot reach the bridge/);
  });

  it('sends the user to the printed URL on 401', () => {
    expect(describeError(http(401, { error: 'missing or wrong token' }))).toMatch(
      /Open the URL the bridge printed/,
    );
  });

  it('has words for bare statuses', () => {
    expect(describeError(http(507, null))).toBe('The disk is full.');
    expect(describeError(http(404, null))).toMatch(/Not found/);
    expect(describeError(http(502, '<html>bad gateway</html>'))).toMatch(/status 502/);
  });

  it('handles plain errors and unknown values', () => {
    expect(describeError(new Error('the file could not be read'))).toBe(
      'The file could not be read.',
    );
    expect(describeError(42)).toBe('Something went wrong.');
  });
});
