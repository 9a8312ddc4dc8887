// Back-channel logout (issue #15 item 8) as a relying party sees it: a real
// HTTP receiver in this process stands for the app's back-channel logout
// endpoint and verifies each logout token with jose against the provider's
// JWKS. Signing out of Latchkey, and RP-initiated logout, both send one.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { JWTPayload } from 'jose';
import * as oidc from 'openid-client';
import { skippedOn, useHttpServer, type HttpSuiteParts } from '../support/http-suite.ts';
import { BACKENDS } from '../support/stores.ts';
import { startReceiver, verifyLogoutToken as verifyFor } from './backchannel-receiver.ts';
import { clientsFile, signInThroughApp } from './harness.ts';

let counter = 0;
const uniqueEmail = (label: string) => `${label}.${Date.now()}.${++counter}@example.com`;

for (const backend of BACKENDS) {
  describe(`OpenID Connect back-channel logout (${backend.name})`, async () => {
    if (await skippedOn(backend)) return;
    const receiver = await startReceiver();
    after(() => receiver.close());
    const NOTES = {
      client_id: 'notes',
      client_secret: 'notes-secret-0123456789-0123456789-0123456789',
      redirect_uris: ['https://notes.example.com/cb'],
      post_logout_redirect_uris: ['https://notes.example.com/bye'],
      backchannel_logout_uri: `${receiver.url}/backchannel`,
      backchannel_logout_session_required: true,
      first_party: true,
    };
    const BROKEN = { ...NOTES, client_id: 'broken', backchannel_logout_uri: `${receiver.url}/fail`, backchannel_logout_session_required: false };
    let parts!: HttpSuiteParts;
    useHttpServer(backend, { oidcClientsFile: clientsFile([NOTES, BROKEN]) }, (ready) => (parts = ready));

    async function signedInWithTokens(client: typeof NOTES, email: string) {
      const signedIn = await signInThroughApp(parts, client, email);
      const { config, request, callback } = signedIn;
      const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: request.verifier, expectedNonce: request.nonce, expectedState: request.state });
      return { ...signedIn, tokens };
    }

    const verifyLogoutToken = (token: string): Promise<JWTPayload> => verifyFor(token, parts.server.url, NOTES.client_id);

    it('signing out of Latchkey posts a logout token the app verifies against the JWKS (sub and sid of its sign-in)', async () => {
      const email = uniqueEmail('bcl');
      const { browser, tokens } = await signedInWithTokens(NOTES, email);
      const arriving = receiver.next();
      const out = await browser.request('/auth/sign-out', { method: 'POST', form: {} });
      assert.equal(out.status, 303);
      const payload = await verifyLogoutToken(await arriving);
      const user = await parts.store.findUserByEmail(email);
      assert.equal(payload.sub, user!.id);
      assert.ok(payload.sid, 'backchannel_logout_session_required: a sid');
      assert.equal(payload.sid, tokens.claims()!.sid, 'the sid of the id_token it ends');
      const [event] = await parts.store.listAudit({ userId: user!.id, type: 'oidc.backchannel_logout' });
      assert.equal(event?.outcome, 'success');
      assert.equal(event?.reason, NOTES.client_id);
      // A second sign-out (no session left) sends nothing more.
      const count = receiver.received.length;
      await browser.request('/auth/sign-out', { method: 'POST', form: {} });
      assert.equal(receiver.received.length, count);
    });

    it('RP-initiated logout posts a logout token too', async () => {
      const email = uniqueEmail('bcl-rp');
      const { browser, config, tokens } = await signedInWithTokens(NOTES, email);
      const end = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: NOTES.post_logout_redirect_uris[0]!, state: 's' });
      const page = await (await browser.request(end.pathname + end.search)).text();
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(page)?.[1];
      assert.ok(xsrf);
      const arriving = receiver.next();
      const confirmed = await browser.request('/oidc/session/end/confirm', { method: 'POST', form: { xsrf, logout: 'yes' }, csrf: false });
      assert.equal(confirmed.status, 303);
      const payload = await verifyLogoutToken(await arriving);
      assert.equal(payload.sub, (await parts.store.findUserByEmail(email))!.id);
      assert.equal(payload.sid, tokens.claims()!.sid);
    });

    it('an app that refuses the logout token does not stop the sign-out; the failure is audited', async () => {
      const email = uniqueEmail('bcl-fail');
      const { browser } = await signedInWithTokens(BROKEN, email);
      const out = await browser.request('/auth/sign-out', { method: 'POST', form: {} });
      assert.equal(out.status, 303);
      assert.equal((await browser.request('/auth/session')).status, 401, 'signed out');
      const user = await parts.store.findUserByEmail(email);
      const [event] = await parts.store.listAudit({ userId: user!.id, type: 'oidc.backchannel_logout' });
      assert.equal(event?.outcome, 'failure');
      assert.equal(event?.reason, BROKEN.client_id);
    });
  });
}
