import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
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

// Issue #12 finding 13: '/.//evil.example/login' came out as '//evil.example/login',
// a protocol-relative URL that the next check (or a browser) sends off-site.
describe('redirect checks are idempotent (issue #12 finding 13)', () => {
  const fragments = fc.constantFrom(
    '/', '//', '\\', '.', '..', '/./', '/../', '/.//', '/..//', '%2F', '%2f', '%5C', '%5c', '%2e', '%2E%2E', '\t', '\n', '\r',
    'evil.example', 'app.example.com', 'auth.example.com', 'login', '?', '#', '@', ':', 'https:', 'http:', 'https://',
    '\u3002', '\uff0f', '\u2215', 'é', '\u200b', ' ', 'javascript:',
  );
  const candidate = fc.oneof(
    fc.array(fragments, { maxLength: 8 }).map((parts) => parts.join('')),
    fc.array(fragments, { maxLength: 6 }).map((parts) => `/${parts.join('')}`),
    fc.string({ unit: 'binary', maxLength: 40 }),
  );

  it('answers "/.//evil.example/login" and its kin without a protocol-relative path', () => {
    for (const value of ['/.//evil.example/login', '/..//evil.example/login', '/a/..//evil.example', '/./\u002f/evil.example', '/%2e//evil.example']) {
      const checked = checkRedirect(value, policy);
      assert.ok(checked === null || !checked.startsWith('//'), `${JSON.stringify(value)} -> ${JSON.stringify(checked)}`);
      assert.equal(checkRedirect(checked, policy), checked, `not idempotent for ${JSON.stringify(value)}`);
    }
  });

  // A variant of finding 13: the 2,048-character bound was checked on the input only,
  // and percent-encoding makes 'é' six characters ('%C3%A9'), so an accepted answer
  // could be refused by the same check (and a stored redirectTo grew sixfold).
  it('an answer that percent-encoding lengthens past the bound is refused, not answered', () => {
    for (const value of [`/${'é'.repeat(2000)}`, `/?q=${'é'.repeat(2000)}`, `https://app.example.com/${'é'.repeat(2000)}`, `/#${'\u{1F600}'.repeat(1000)}`]) {
      assert.ok(value.length <= 2048, 'the input itself is within the bound');
      const checked = checkRedirect(value, policy);
      assert.ok(checked === null || checked.length <= 2048, `${value.slice(0, 30)}… -> ${checked?.length} characters`);
      assert.equal(checkRedirect(checked, policy), checked, `not idempotent for ${value.slice(0, 30)}…`);
    }
  });

  it('check(check(x)) === check(x), and an accepted target stays on our origin or an allowlisted one', () => {
    fc.assert(
      fc.property(candidate, (value) => {
        const checked = checkRedirect(value, policy);
        if (checked === null) return;
        assert.equal(checkRedirect(checked, policy), checked, `${JSON.stringify(value)} -> ${JSON.stringify(checked)}`);
        assert.ok(!checked.startsWith('//') && !checked.startsWith('/\\'), `${JSON.stringify(value)} -> ${JSON.stringify(checked)}`);
        const origin = new URL(checked, policy.baseUrl).origin;
        assert.ok(origin === policy.baseUrl.origin || policy.allowedOrigins.includes(origin), `${JSON.stringify(value)} -> ${origin}`);
      }),
      { numRuns: 5000 },
    );
  });
});
