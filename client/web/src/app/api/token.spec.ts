import { TestBed } from '@angular/core/testing';
import { TokenService, takeTokenFromUrl } from './token';

describe('takeTokenFromUrl', () => {
  it('takes the token and keeps the rest of the URL', () => {
    expect(takeTokenFromUrl('http://127.0.0.1:9080/torrents?token=abc123&x=1#top')).toEqual({
      token: 'abc123',
      cleanUrl: '/torrents?x=1#top',
    });
  });

  it('leaves a URL without a token alone', () => {
    expect(takeTokenFromUrl('http://127.0.0.1:9080/share')).toEqual({
      token: undefined,
      cleanUrl: '/share',
    });
  });

  it('treats an empty token as none', () => {
    expect(takeTokenFromUrl('http://127.0.0.1:9080/?token=').token).toBeUndefined();
  });
});

describe('TokenService', () => {
  beforeEach(() => sessionStorage.clear());

  it('stores the token from the URL, strips it from the address bar, and keeps it', () => {
    window.history.replaceState(null, '', '/torrents?token=s3cret');
    const service = TestBed.inject(TokenService);
    expect(service.token()).toBe('s3cret');
    expect(window.location.search).toBe('');
    expect(window.location.pathname).toBe('/torrents');
    expect(sessionStorage.getItem('enjambre.token')).toBe('s3cret');

    // A reload (no token in the URL any more) finds it in sessionStorage.
    service.load(window.location.href);
    expect(service.token()).toBe('s3cret');
  });

  it('has no token when neither the URL nor the session has one', () => {
    window.history.replaceState(null, '', '/');
    const service = TestBed.inject(TokenService);
    expect(service.token()).toBeUndefined();
  });

  it('adds the token to links the browser opens itself', () => {
    window.history.replaceState(null, '', '/?token=a%2Bb');
    const service = TestBed.inject(TokenService);
    expect(service.withToken('/api/torrents/ab/torrent')).toBe(
      '/api/torrents/ab/torrent?token=a%2Bb',
    );
    expect(service.withToken('/x?y=1')).toBe('/x?y=1&token=a%2Bb');
  });
});
