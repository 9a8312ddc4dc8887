// The client id of Basic credentials (RFC 6749 §2.3.1: each part form-urlencoded), read before the provider runs.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { basicClientId } from '../../src/oidc/client-limits.ts';

const basic = (user: string, password = 'secret') => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

it('reads the client id of Basic credentials, form-decoded, and nothing else', () => {
  assert.equal(basicClientId(basic('wiki')), 'wiki');
  assert.equal(basicClientId(basic('my%20app')), 'my app');
  assert.equal(basicClientId(basic('a+b')), 'a b');
  assert.equal(basicClientId(basic('')), null);
  assert.equal(basicClientId(basic('%E0%A4%A')), null, 'malformed escapes');
  assert.equal(basicClientId(`Bearer ${'x'.repeat(20)}`), null);
  assert.equal(basicClientId(undefined), null);
  assert.equal(basicClientId(`Basic ${Buffer.from('no-colon').toString('base64')}`), null);
});
