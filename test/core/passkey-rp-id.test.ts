// The passkeys' relying-party ID (issue #17): the base URL's host by default,
// LATCHKEY_PASSKEY_RP_ID only when it is that host or a registrable parent of
// it, and no passkeys at all on an IP-address base URL (browsers refuse them).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, resolveConfig } from '../../src/config.ts';
import { resolvePasskeyRpId } from '../../src/passkey-rp-id.ts';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
const rp = (base: string, configured: string | null = null) => resolvePasskeyRpId(new URL(base), configured);

describe('passkey RP ID', () => {
  it('is the base URL host by default; localhost works', () => {
    assert.deepEqual(rp('https://auth.example.com'), { rpId: 'auth.example.com', problem: null });
    assert.deepEqual(rp('http://localhost:3000'), { rpId: 'localhost', problem: null });
    assert.equal(resolveConfig({ secret: SECRET }).passkeyRpId, 'localhost');
  });

  it('may be a registrable parent of the host (the shared-cookie setup), case and trailing dot folded', () => {
    assert.deepEqual(rp('https://auth.example.com', 'Example.COM.'), { rpId: 'example.com', problem: null });
    assert.deepEqual(rp('https://auth.example.com', 'auth.example.com'), { rpId: 'auth.example.com', problem: null });
  });

  it('refuses another site, a public suffix alone, a look-alike suffix and a malformed name, naming the variable', () => {
    for (const configured of ['evil.com', 'com', 'ample.com', 'example..com', '-x.example.com', 'app.auth.example.com']) {
      const { rpId, problem } = rp('https://auth.example.com', configured);
      assert.equal(rpId, null, configured);
      assert.match(problem ?? '', /^LATCHKEY_PASSKEY_RP_ID: /, configured);
    }
    assert.throws(() => resolveConfig({ secret: SECRET, baseUrl: 'https://auth.example.com', passkeyRpId: 'evil.com' }), ConfigError);
  });

  it('is null (passkeys unavailable) on an IP-address base URL, and a configured one is a start-up error there', () => {
    assert.deepEqual(rp('http://127.0.0.1:3000'), { rpId: null, problem: null });
    assert.deepEqual(rp('http://[::1]:3000'), { rpId: null, problem: null });
    assert.match(rp('http://192.0.2.1', 'example.com').problem ?? '', /IP address/);
    assert.equal(resolveConfig({ secret: SECRET, baseUrl: 'http://127.0.0.1:3000' }).passkeyRpId, null);
  });
});
