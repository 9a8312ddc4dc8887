// Sign in to an app with Latchkey (issue #15), as a relying party and an
// attacker see it, over real HTTP with openid-client as the relying party.
// Run on every store backend (flow-sqlite.test.ts, flow-postgres.test.ts).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { skippedOn, useHttpServer, type HttpSuiteParts } from '../support/http-suite.ts';
import type { Backend } from '../support/stores.ts';
import { authorizationRequest, clientsFile, CONFIDENTIAL, follow, PUBLIC, relyingParty, signInByLink } from './harness.ts';

let counter = 0;
const uniqueEmail = (label: string) => `${label}.${Date.now()}.${++counter}@example.com`;

export function runOidcFlowSuite(backend: Backend): void {
  describe(`OpenID Connect provider (${backend.name})`, async () => {
    if (await skippedOn(backend)) return;
    let parts!: HttpSuiteParts;
    useHttpServer(backend, { oidcClientsFile: clientsFile() }, (ready) => (parts = ready));
    const issuer = () => parts.server.url;

    /** A person not signed in authorizes `client`: Latchkey's sign-in by link, back to the authorization, a code for the client. */
    async function signInThroughApp(client: typeof CONFIDENTIAL | typeof PUBLIC, email: string) {
      const config = await relyingParty(issuer(), client);
      const browser = parts.server.client();
      const request = await authorizationRequest(config, client.redirect_uris[0]!);
      const first = await follow(browser, request.url.href);
      assert.equal(first.location, null);
      assert.equal(first.final.status, 200);
      assert.match(await first.final.text(), /<form/, 'not signed in: the sign-in page');
      const interaction = await signInByLink(parts, browser, first.at, email);
      const back = await follow(browser, interaction);
      assert.ok(back.location?.startsWith(client.redirect_uris[0]!), `the browser goes back to the client (${back.location})`);
      return { config, browser, request, callback: new URL(back.location!) };
    }

    it('discovery: the issuer is the base URL exactly, and only the code flow is advertised', async () => {
      const response = await fetch(`${issuer()}/.well-known/openid-configuration`);
      assert.equal(response.status, 200);
      const metadata = (await response.json()) as Record<string, unknown>;
      assert.equal(metadata.issuer, issuer());
      assert.deepEqual(metadata.response_types_supported, ['code']);
      assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
      assert.deepEqual(metadata.id_token_signing_alg_values_supported, ['RS256']);
      assert.equal(metadata.authorization_response_iss_parameter_supported, true);
      assert.equal(metadata.token_endpoint, `${issuer()}/oidc/token`);
      assert.equal(metadata.end_session_endpoint, undefined, 'logout is not advertised before it works');
      const jwks = (await (await fetch(String(metadata.jwks_uri))).json()) as { keys: Array<Record<string, unknown>> };
      assert.equal(jwks.keys.length, 1);
      assert.equal(jwks.keys[0]!.alg, 'RS256');
      assert.equal(jwks.keys[0]!.d, undefined, 'the JWKS holds no private part');
    });

    it('a confidential client: sign-in by link, code, tokens, id_token validated, userinfo', async () => {
      const email = uniqueEmail('wiki');
      const { config, request, callback } = await signInThroughApp(CONFIDENTIAL, email);
      assert.equal(callback.searchParams.get('iss'), issuer(), 'RFC 9207 iss in the response');
      const tokens = await oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: request.verifier,
        expectedNonce: request.nonce,
        expectedState: request.state,
        idTokenExpected: true,
      });
      const claims = tokens.claims()!;
      const user = await parts.store.findUserByEmail(email);
      assert.equal(claims.sub, user!.id, 'sub is the stable user id, not the address');
      assert.equal(claims.aud, CONFIDENTIAL.client_id);
      assert.equal(claims.iss, issuer());
      assert.equal(claims.email, email);
      assert.equal(claims.email_verified, true);
      assert.equal(typeof claims.auth_time, 'number');
      const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
      assert.equal(info.email, email);
    });

    it('a public client with PKCE: the code is redeemed without a secret', async () => {
      const email = uniqueEmail('cli');
      const { config, request, callback } = await signInThroughApp(PUBLIC, email);
      const tokens = await oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: request.verifier,
        expectedNonce: request.nonce,
        expectedState: request.state,
      });
      assert.equal(tokens.claims()!.email, email);
    });
  });
}
