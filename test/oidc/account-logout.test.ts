// Account-wide sign-out reaches the apps (issue #15 follow-up): an operator who
// disables an account, revokes its sessions or resets its second factors, and an
// owner who says "this wasn't me", end the person's sessions at every app that
// registered a back-channel logout URI. The app here is a real HTTP receiver that
// verifies each logout token against the provider's JWKS, as openid-client's
// relying party signed in for real; the CLI's path builds its own provider.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { createAdmin } from '../../src/core/admin.ts';
import { nodeRandom } from '../../src/core/random.ts';
import { cliAppsLogout } from '../../src/cli/apps-logout.ts';
import { linkToken, type Client } from '../support/http-client.ts';
import { skippedOn, useHttpServer, type HttpSuiteParts } from '../support/http-suite.ts';
import { BACKENDS } from '../support/stores.ts';
import { startReceiver, verifyLogoutToken } from './backchannel-receiver.ts';
import { authorizationRequest, clientsFile, follow, relyingParty, signInThroughApp, type RegisteredClient } from './harness.ts';

const ADMIN_TOKEN = 'admin-token-0123456789-abcdefghijklmnop';
const SECRET = 'test-secret-that-is-long-enough-0123456789';

let counter = 0;
const uniqueEmail = (label: string) => `${label}.${Date.now()}.${++counter}@example.com`;

for (const backend of BACKENDS) {
  describe(`back-channel logout on account-wide sign-out (${backend.name})`, async () => {
    if (await skippedOn(backend)) return;
    const receiver = await startReceiver();
    after(() => receiver.close());
    const app = (client_id: string, extra: Record<string, unknown>) => ({
      client_id,
      client_secret: `${client_id}-secret-0123456789-0123456789-0123456789`,
      redirect_uris: [`https://${client_id}.example.com/cb`],
      first_party: true,
      ...extra,
    });
    // It asked for a sid in every logout token: an account-wide one still names none (every session of the person).
    const NOTES = app('notes', { backchannel_logout_uri: `${receiver.url}/notes`, backchannel_logout_session_required: true });
    const CHAT = app('chat', { backchannel_logout_uri: `${receiver.url}/chat` });
    const BROKEN = app('broken', { backchannel_logout_uri: `${receiver.url}/fail` });
    const PLAIN = app('plain', {});
    const file = clientsFile([NOTES, CHAT, BROKEN, PLAIN]);
    let parts!: HttpSuiteParts;
    useHttpServer(backend, { oidcClientsFile: file, adminToken: ADMIN_TOKEN }, (ready) => (parts = ready));

    const admin = (path: string, email: string) =>
      parts.server.client().request(path, { method: 'POST', json: { email }, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });

    /** Signed in at the app through Latchkey, with its tokens: the account now has a grant and tokens of `client`. */
    async function signedInAt(client: RegisteredClient, email: string) {
      const { config, browser, request, callback } = await signInThroughApp(parts, client, email);
      await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: request.verifier, expectedNonce: request.nonce, expectedState: request.state });
      return browser;
    }

    /** The same person, already signed in to Latchkey, signs in at another app (single sign-on, no mail). */
    async function alsoAt(browser: Client, client: RegisteredClient) {
      const config = await relyingParty(parts.server.url, client);
      const request = await authorizationRequest(config, client.redirect_uris[0]!);
      const back = await follow(browser, request.url.href);
      assert.ok(back.location?.startsWith(client.redirect_uris[0]!), `back at the app (${back.location})`);
      await oidc.authorizationCodeGrant(config, new URL(back.location!), { pkceCodeVerifier: request.verifier, expectedNonce: request.nonce, expectedState: request.state });
    }

    const userId = async (email: string) => (await parts.store.findUserByEmail(email))!.id;
    const auditOf = async (id: string) =>
      (await parts.store.listAudit({ userId: id, type: 'oidc.backchannel_logout' })).map((e) => `${e.reason}:${e.outcome}`).sort();
    const tokensTo = (path: string, from: number) => receiver.received.slice(from).filter((r) => r.path === path);

    /** Each app the account used gets one logout token for it: sub, no sid; and one audit row each. */
    async function assertAppsTold(email: string, from: number, apps: Array<{ client_id: string; path: string }>) {
      const id = await userId(email);
      for (const { client_id, path } of apps) {
        const tokens = tokensTo(path, from);
        assert.equal(tokens.length, 1, `${client_id} gets one logout token`);
        const payload = await verifyLogoutToken(tokens[0]!.token, parts.server.url, client_id);
        assert.equal(payload.sub, id, 'the account');
        assert.equal(payload.sid, undefined, 'no sid: every session of this person at the app');
      }
      assert.deepEqual(await auditOf(id), apps.map((a) => `${a.client_id}:success`).sort());
    }

    it('disabling an account posts a logout token to each app it signed in to, verified against the JWKS', async () => {
      const email = uniqueEmail('disable');
      await alsoAt(await signedInAt(NOTES, email), CHAT);
      const from = receiver.received.length;
      const disabled = await admin('/admin/users/disable', email);
      assert.equal(disabled.status, 200);
      assert.equal(((await disabled.json()) as { changed: boolean }).changed, true);
      await assertAppsTold(email, from, [
        { client_id: 'notes', path: '/notes' },
        { client_id: 'chat', path: '/chat' },
      ]);
      // Disabling again changes nothing and tells nobody again; enabling tells nobody.
      const count = receiver.received.length;
      assert.equal((await admin('/admin/users/disable', email)).status, 200);
      assert.equal((await admin('/admin/users/enable', email)).status, 200);
      assert.equal(receiver.received.length, count);
    });

    it("revoking an account's sessions posts a logout token to its apps", async () => {
      const email = uniqueEmail('revoke');
      await signedInAt(NOTES, email);
      const from = receiver.received.length;
      const revoked = await admin('/admin/sessions/revoke', email);
      assert.equal(revoked.status, 200);
      assert.ok(((await revoked.json()) as { revoked: number }).revoked >= 1);
      await assertAppsTold(email, from, [{ client_id: 'notes', path: '/notes' }]);
    });

    it("the operator's second-factor reset posts a logout token to the apps whose grants it deleted", async () => {
      const email = uniqueEmail('reset');
      await signedInAt(CHAT, email);
      const from = receiver.received.length;
      const reset = await admin('/admin/users/second-factor/reset', email);
      assert.equal(reset.status, 200);
      assert.deepEqual(await parts.store.listOidcClientsOfAccount(await userId(email), Date.now()), [], 'every grant and token of the account is gone');
      await assertAppsTold(email, from, [{ client_id: 'chat', path: '/chat' }]);
    });

    it('"this wasn\'t me" posts a logout token to the apps the account signed in to', async () => {
      const email = uniqueEmail('notme');
      const browser = await signedInAt(NOTES, email);
      const asked = await browser.request('/auth/email/change', { method: 'POST', json: { newEmail: uniqueEmail('intruder') } });
      assert.equal(asked.status, 202);
      const notice = await parts.sink.waitFor((m) => m.to === email && /about to change/.test(m.subject));
      const from = receiver.received.length;
      const undone = await parts.server.client().request('/auth/email/cancel', { method: 'POST', json: { token: linkToken(notice.text, '/auth/email/cancel') } });
      assert.equal(undone.status, 200);
      await assertAppsTold(email, from, [{ client_id: 'notes', path: '/notes' }]);
    });

    it('an app without a back-channel logout URI gets nothing, and no audit row names it', async () => {
      const email = uniqueEmail('plain');
      await signedInAt(PLAIN, email);
      const from = receiver.received.length;
      assert.equal((await admin('/admin/users/disable', email)).status, 200);
      assert.equal(receiver.received.length, from);
      assert.deepEqual(await auditOf(await userId(email)), []);
    });

    it("an app answering 500 does not fail the operator's action; the failure is audited", async () => {
      const email = uniqueEmail('broken');
      await alsoAt(await signedInAt(BROKEN, email), NOTES);
      const from = receiver.received.length;
      const disabled = await admin('/admin/users/disable', email);
      assert.equal(disabled.status, 200);
      assert.equal((await parts.store.findUserByEmail(email))?.disabled, true);
      assert.equal(tokensTo('/fail', from).length, 1, 'the broken app was asked');
      assert.deepEqual(await auditOf(await userId(email)), ['broken:failure', 'notes:success']);
    });

    it('the CLI (`latchkey sessions revoke`, its own process) builds the provider from the environment and sends the tokens itself', async () => {
      const email = uniqueEmail('cli');
      await signedInAt(NOTES, email);
      const from = receiver.received.length;
      const warnings: string[] = [];
      const env = { LATCHKEY_OIDC_CLIENTS: file, LATCHKEY_SECRET: SECRET, LATCHKEY_BASE_URL: parts.server.url };
      const cli = createAdmin({ store: parts.store, now: Date.now, random: nodeRandom, appsLogout: cliAppsLogout(env, parts.store, (line) => warnings.push(line)) });
      const context = { requestId: null, ip: null, userAgent: 'latchkey-cli' };
      const result = await cli.revokeSessions(email, 'cli', context);
      assert.equal(result.ok, true);
      await assertAppsTold(email, from, [{ client_id: 'notes', path: '/notes' }]);
      assert.equal(warnings.length, 0, warnings.join('\n'));
      // Without the server's environment nothing is sent, and the operator is told which apps were not.
      const other = uniqueEmail('cli-bare');
      await signedInAt(NOTES, other);
      const bare = createAdmin({ store: parts.store, now: Date.now, random: nodeRandom, appsLogout: cliAppsLogout({ LATCHKEY_SECRET: SECRET }, parts.store, (line) => warnings.push(line)) });
      const count = receiver.received.length;
      assert.equal((await bare.revokeSessions(other, 'cli', context)).ok, true);
      assert.equal(receiver.received.length, count);
      assert.match(warnings.join('\n'), /no back-channel logout sent to notes: LATCHKEY_OIDC_CLIENTS is unset/);
    });
  });
}
