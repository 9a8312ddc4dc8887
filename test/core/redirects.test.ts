import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkRedirect } from '../../src/core/redirects.ts';

const policy = { baseUrl: new URL('https://auth.example.com'), allowedOrigins: ['https://app.example.com'], defaultPath: '/auth/account' };

describe('redirect checks', () => {
  it('accepts same-origin paths and allowlisted origins', () => {
    assert.equal(checkRedirect('/dashboard?tab=1#top', policy), '/dashboard?tab=1#top');
    assert.equal(checkRedirect('https://app.example.com/welcome', policy), 'https://app.example.com/welcome');
    assert.equal(checkRedirect('https://auth.example.com/x', policy), 'https://auth.example.com/x');
  });

  it('refuses open-redirect tricks', () => {
    for (const value of [
      '//evil.example/x',
      '/\\evil.example',
      '\\\\evil.example',
      'https://evil.example/',
      'https://app.example.com.evil.example/',
      'https://user@app.example.com/',
      'http://app.example.com/',
      'javascript:alert(1)',
      'data:text/html,hi',
      '/ok\r\nLocation: https://evil.example',
      ' /leading-space',
      '',
      42,
    ]) {
      assert.equal(checkRedirect(value, policy), null, `accepted ${JSON.stringify(value)}`);
    }
  });
});
