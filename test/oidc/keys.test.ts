// `latchkey keys rotate` (issue #15 item 7), as a relying party sees it: a
// token signed before the rotation still verifies against the JWKS, new
// id_tokens carry the new key id, and the old key leaves the JWKS once what it
// signed has expired. The running server picks the rotation up by itself.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { keysOn } from '../../src/cli/keys.ts';
import { KEY_CHECK_INTERVAL_MS, publishedKeys, RETIRED_KEY_KEPT_MS } from '../../src/oidc/keys.ts';
import { skippedOn, useHttpServer, type HttpSuiteParts } from '../support/http-suite.ts';
import { TestClock } from '../support/server.ts';
import { BACKENDS } from '../support/stores.ts';
import { authorizationRequest, clientsFile, CONFIDENTIAL, follow, signInThroughApp } from './harness.ts';

const SECRET = 'test-secret-that-is-long-enough-0123456789';
const T0 = Date.UTC(2026, 0, 1);

describe('published keys', () => {
  const key = (generation: number, createdAt: number) => ({ kid: `k${generation}`, generation, alg: 'RS256', createdAt, sealedJwk: '' });
  it('the newest signs; a retired key is published until its successor is older than the longest token', () => {
    const keys = [key(1, T0), key(2, T0 + 1000), key(3, T0 + 2000)];
    assert.deepEqual(publishedKeys(keys, T0 + 2000).map((k) => k.kid), ['k3', 'k2', 'k1']);
    assert.deepEqual(publishedKeys(keys, T0 + 1000 + RETIRED_KEY_KEPT_MS).map((k) => k.kid), ['k3', 'k2']);
    assert.deepEqual(publishedKeys(keys, T0 + 2000 + RETIRED_KEY_KEPT_MS).map((k) => k.kid), ['k3']);
    assert.deepEqual(publishedKeys([key(1, T0)], T0 + 10 * RETIRED_KEY_KEPT_MS).map((k) => k.kid), ['k1'], 'the only key is never dropped');
  });
});

for (const backend of BACKENDS) {
  describe(`OpenID Connect key rotation (${backend.name})`, async () => {
    if (await skippedOn(backend)) return;
    let parts!: HttpSuiteParts;
    const clock = new TestClock();
    useHttpServer(backend, { oidcClientsFile: clientsFile([CONFIDENTIAL]), now: clock.now, secret: SECRET }, (ready) => (parts = ready));

    const jwksKids = async () => ((await (await fetch(`${parts.server.url}/oidc/jwks`)).json()) as { keys: Array<{ kid: string; d?: string }> }).keys;

    it('after `keys rotate` new id_tokens carry the new kid, an old one still verifies, and the old key leaves the JWKS once its tokens expired', async () => {
      const email = `rotate.${Date.now()}@example.com`;
      const { config, browser, request, callback } = await signInThroughApp(parts, CONFIDENTIAL, email);
      const before = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: request.verifier, expectedNonce: request.nonce, expectedState: request.state });
      const oldKid = decodeProtectedHeader(before.id_token!).kid!;
      assert.deepEqual((await jwksKids()).map((k) => k.kid), [oldKid]);

      const lines: string[] = [];
      assert.equal(await keysOn(parts.store, 'rotate', SECRET, clock.now, (line) => lines.push(line)), 0);
      const newKid = /new signing key (\S+):/.exec(lines[0] ?? '')?.[1];
      assert.ok(newKid && newKid !== oldKid, lines.join('\n'));
      assert.equal((await parts.store.listAudit({ type: 'oidc.keys_rotated' }))[0]?.reason, newKid);

      // The running server looks for a rotated key at most once a minute.
      clock.advance(KEY_CHECK_INTERVAL_MS / 1000 + 1);
      const published = await jwksKids();
      assert.deepEqual(published.map((k) => k.kid), [newKid, oldKid], 'both published, the new one first');
      assert.ok(published.every((k) => k.d === undefined), 'no private part');
      const jwks = createRemoteJWKSet(new URL(`${parts.server.url}/oidc/jwks`));
      const verified = await jwtVerify(before.id_token!, jwks, { issuer: parts.server.url, audience: CONFIDENTIAL.client_id });
      assert.equal(verified.protectedHeader.kid, oldKid, 'a token signed before the rotation still verifies');

      const again = await authorizationRequest(config, CONFIDENTIAL.redirect_uris[0]!);
      const hop = await follow(browser, again.url.href);
      const after = await oidc.authorizationCodeGrant(config, new URL(hop.location!), { pkceCodeVerifier: again.verifier, expectedNonce: again.nonce, expectedState: again.state });
      assert.equal(decodeProtectedHeader(after.id_token!).kid, newKid, 'new id_tokens carry the new kid');
      assert.equal((await jwtVerify(after.id_token!, jwks, { issuer: parts.server.url })).payload.email, email);

      // Once everything the old key signed has expired, it is no longer published.
      clock.advance(RETIRED_KEY_KEPT_MS / 1000 + 1);
      assert.deepEqual((await jwksKids()).map((k) => k.kid), [newKid]);
      const listed: string[] = [];
      await keysOn(parts.store, 'list', SECRET, clock.now, (line) => listed.push(line));
      assert.match(listed[0]!, new RegExp(`^${newKid}  generation 2 .* signing$`));
      assert.match(listed[1]!, new RegExp(`^${oldKid}  generation 1 .* retired$`));
    });
  });
}
