// The id_token says how the person signed in (issue #15 item 6): `amr` from
// the Latchkey session's methods (RFC 8176 values) and `auth_time` from when
// that session was signed in, as openid-client reads them.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { totpCode } from '../../src/core/totp.ts';
import type { Client } from '../support/http-client.ts';
import { SoftwareAuthenticator } from '../support/software-authenticator.ts';
import { skippedOn, useHttpServer, type HttpSuiteParts } from '../support/http-suite.ts';
import { TestClock } from '../support/server.ts';
import { BACKENDS } from '../support/stores.ts';
import { authorizationRequest, clientsFile, CONFIDENTIAL, follow, relyingParty, signInThroughApp } from './harness.ts';

const PASSWORD = 'correct horse battery staple 42';

let counter = 0;
const uniqueEmail = (label: string) => `${label}.${Date.now()}.${++counter}@example.com`;

for (const backend of BACKENDS) {
  describe(`OpenID Connect amr and auth_time (${backend.name})`, async () => {
    if (await skippedOn(backend)) return;
    let parts!: HttpSuiteParts;
    const clock = new TestClock();
    useHttpServer(backend, { oidcClientsFile: clientsFile([CONFIDENTIAL]), now: clock.now }, (ready) => (parts = ready));

    it('a link sign-in gives amr ["email"]; password + TOTP gives ["pwd","otp"]; auth_time is when the session signed in', async () => {
      const email = uniqueEmail('amr');
      const before = Math.floor(clock.now() / 1000);
      const { config, browser, request, callback } = await signInThroughApp(parts, CONFIDENTIAL, email);
      const byLink = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: request.verifier, expectedNonce: request.nonce, expectedState: request.state });
      assert.deepEqual(byLink.claims()!.amr, ['email']);
      const linkAuthTime = byLink.claims()!.auth_time!;
      assert.ok(linkAuthTime >= before && linkAuthTime <= Math.floor(clock.now() / 1000) + 1, `auth_time ${linkAuthTime}`);

      // The same session later (single sign-on): auth_time stays the sign-in's, not the authorization's.
      clock.advance(120);
      const sso = await authorizationRequest(config, CONFIDENTIAL.redirect_uris[0]!);
      const ssoHop = await follow(browser, sso.url.href);
      const again = await oidc.authorizationCodeGrant(config, new URL(ssoHop.location!), { pkceCodeVerifier: sso.verifier, expectedNonce: sso.nonce, expectedState: sso.state });
      assert.equal(again.claims()!.auth_time, linkAuthTime);
      assert.deepEqual(again.claims()!.amr, ['email']);

      // The account gets a password and TOTP (a recent session may change both).
      assert.equal((await browser.request('/auth/password', { method: 'POST', json: { password: PASSWORD } })).status, 204);
      const { secret } = (await (await browser.request('/auth/totp/enrol', { method: 'POST' })).json()) as { secret: string };
      assert.equal((await browser.request('/auth/totp/confirm', { method: 'POST', json: { code: totpCode(secret, clock.now()) } })).status, 200);

      // Another device: the app sends it to sign in; password, then the authenticator's code.
      clock.advance(60);
      const laptop = parts.server.client();
      const cli = await relyingParty(parts.server.url, CONFIDENTIAL);
      const authorization = await authorizationRequest(cli, CONFIDENTIAL.redirect_uris[0]!);
      const page = await follow(laptop, authorization.url.href);
      const interaction = new URL(page.at, parts.server.url).searchParams.get('redirectTo')!;
      const first = await laptop.request('/auth/sign-in/password', { method: 'POST', json: { email, password: PASSWORD, redirectTo: interaction } });
      assert.deepEqual(await first.json(), { status: 'second_factor_required' });
      const signedInAt = Math.floor(clock.now() / 1000);
      assert.equal((await laptop.request('/auth/sign-in/totp', { method: 'POST', json: { code: totpCode(secret, clock.now() + 30_000) } })).status, 200);
      const back = await follow(laptop, interaction);
      const byPassword = await oidc.authorizationCodeGrant(cli, new URL(back.location!), {
        pkceCodeVerifier: authorization.verifier,
        expectedNonce: authorization.nonce,
        expectedState: authorization.state,
      });
      assert.deepEqual(byPassword.claims()!.amr, ['pwd', 'otp']);
      assert.ok(Math.abs(byPassword.claims()!.auth_time! - signedInAt) <= 1, 'auth_time: this sign-in');
      assert.ok(byPassword.claims()!.auth_time! > linkAuthTime);
    });
  });

  // Issue #17: a passkey is multi-factor on its own. Passkeys need a named host (localhost), not an IP.
  describe(`OpenID Connect amr of a passkey sign-in (${backend.name})`, async () => {
    if (await skippedOn(backend)) return;
    let parts!: HttpSuiteParts;
    const clock = new TestClock();
    useHttpServer(backend, { oidcClientsFile: clientsFile([CONFIDENTIAL]), now: clock.now, host: 'localhost' }, (ready) => (parts = ready));

    async function json<T>(browser: Client, path: string, body: unknown): Promise<T> {
      const response = await browser.request(path, { method: 'POST', json: body });
      assert.ok(response.ok, `${path}: ${response.status} ${await response.clone().text()}`);
      return (await response.json()) as T;
    }
    type Options = { challenge: string; rp: { id: string }; user: { id: string }; rpId: string };

    it('a passkey sign-in gives amr ["swk","user"] for a synced passkey and ["hwk","user"] for a device-bound one', async () => {
      const email = uniqueEmail('amr-passkey');
      const { browser } = await signInThroughApp(parts, CONFIDENTIAL, email);
      const synced = new SoftwareAuthenticator({ backedUp: true });
      const bound = new SoftwareAuthenticator({ backedUp: false });
      for (const authenticator of [synced, bound]) {
        const { options } = await json<{ options: Options }>(browser, '/auth/passkeys/registration/options', {});
        await json(browser, '/auth/passkeys/registration', { response: authenticator.register(options, parts.server.url) });
      }

      for (const [authenticator, amr] of [[synced, ['swk', 'user']], [bound, ['hwk', 'user']]] as const) {
        // Another device: the app sends it to sign in, and it signs in with the passkey alone.
        clock.advance(60);
        const device = parts.server.client();
        const app = await relyingParty(parts.server.url, CONFIDENTIAL);
        const authorization = await authorizationRequest(app, CONFIDENTIAL.redirect_uris[0]!);
        const page = await follow(device, authorization.url.href);
        const interaction = new URL(page.at, parts.server.url).searchParams.get('redirectTo')!;
        const { options } = await json<{ options: Options }>(device, '/auth/passkeys/sign-in/options', {});
        const signedIn = await json<{ user?: unknown }>(device, '/auth/passkeys/sign-in', { response: authenticator.authenticate(options, parts.server.url), redirectTo: interaction });
        assert.ok(signedIn.user, 'a passkey signs in without a second step');
        const back = await follow(device, interaction);
        const tokens = await oidc.authorizationCodeGrant(app, new URL(back.location!), {
          pkceCodeVerifier: authorization.verifier,
          expectedNonce: authorization.nonce,
          expectedState: authorization.state,
        });
        assert.deepEqual(tokens.claims()!.amr, amr);
      }
    });
  });
}
