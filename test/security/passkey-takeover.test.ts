// Attack: a passkey as the intruder's way back in (issue #17 review F2), and the
// operator's recovery path, over real HTTP with mail from a real SMTP server and
// answers signed by a software authenticator, on SQLite and PostgreSQL.
// - An intruder with a session adds a passkey, makes email sign-in ask for it
//   and moves the address: the owner's "this wasn't me" link must take the
//   passkey away too, and leave the owner able to sign in by email.
// - Someone who lost every second factor asks the operator: the reset leaves
//   an emailed link signing in alone, and the old passkey useless.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { totpCode } from '../../src/core/totp.ts';
import { errorCode, linkToken, tokenFrom, type Client } from '../support/http-client.ts';
import { TestClock, type TestServer } from '../support/server.ts';
import type { ParsedMessage, SmtpSink } from '../support/smtp-sink.ts';
import { SoftwareAuthenticator } from '../support/software-authenticator.ts';
import { BACKENDS } from '../support/stores.ts';
import { skippedOn, useHttpServer } from '../support/http-suite.ts';

let counter = 0;
const uniqueEmail = (label: string) => `${label}.${Date.now()}.${++counter}@example.com`;
const ADMIN_TOKEN = 'admin-token-0123456789-abcdefghijklmnop';
type Options = { challenge: string; rp: { id: string }; user: { id: string }; rpId: string };

for (const backend of BACKENDS) {
  describe(`attack: a passkey as a way back in (${backend.name})`, async () => {
    if (await skippedOn(backend)) return;

    let sink!: SmtpSink;
    let server!: TestServer;
    const clock = new TestClock();
    const seen = new Set<object>();
    useHttpServer(
      backend,
      { now: clock.now, host: 'localhost', adminToken: ADMIN_TOKEN, limits: { mailsPerAddressPer15Minutes: 100, mailsPerAddressPerDay: 1000 } },
      (parts) => ({ sink, server } = parts),
    );

    async function nextMail(to: string, subject: RegExp): Promise<ParsedMessage> {
      const message = await sink.waitFor((m) => m.to === to && !seen.has(m) && subject.test(m.subject));
      seen.add(message);
      return message;
    }

    /** An emailed link opened in `browser`: the /auth/verify answer. */
    async function linkSignIn(browser: Client, email: string) {
      clock.advance(61);
      assert.equal((await browser.request('/auth/sign-in/email', { method: 'POST', json: { email } })).status, 202);
      const message = await nextMail(email, /^Sign in to /);
      return (await browser.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(message.text) } })).json() as Promise<{ user?: { email: string }; status?: string }>;
    }

    async function options(client: Client, path: string): Promise<Options> {
      const response = await client.request(path, { method: 'POST', json: {} });
      assert.equal(response.status, 200, await response.clone().text());
      return ((await response.json()) as { options: Options }).options;
    }

    async function addPasskey(browser: Client): Promise<SoftwareAuthenticator> {
      const authenticator = new SoftwareAuthenticator();
      const asked = await options(browser, '/auth/passkeys/registration/options');
      const response = await browser.request('/auth/passkeys/registration', { method: 'POST', json: { response: authenticator.register(asked, server.url) } });
      assert.equal(response.status, 201, await response.clone().text());
      return authenticator;
    }

    /** A passkey sign-in from a fresh browser. */
    async function passkeySignIn(authenticator: SoftwareAuthenticator) {
      const device = server.client();
      const asked = await options(device, '/auth/passkeys/sign-in/options');
      const response = await device.request('/auth/passkeys/sign-in', { method: 'POST', json: { response: authenticator.authenticate(asked, server.url) } });
      return { device, response };
    }

    async function noSession(device: Client) {
      assert.equal((await device.request('/auth/session')).status, 401);
    }

    /** The intruder, signed in with a fresh session, asks to move the address: the owner's cancel link. */
    async function moveAddress(intruder: Client, email: string, confirm: boolean): Promise<string> {
      const newEmail = uniqueEmail('intruder-new');
      clock.advance(61);
      assert.equal((await intruder.request('/auth/email/change', { method: 'POST', json: { newEmail } })).status, 202);
      const cancel = linkToken((await nextMail(email, /about to change/)).text, '/auth/email/cancel');
      if (confirm) {
        const token = linkToken((await nextMail(newEmail, /^Confirm your new/)).text, '/auth/email/confirm');
        assert.equal((await intruder.request('/auth/email/confirm', { method: 'POST', json: { token } })).status, 200);
      }
      return cancel;
    }

    it('an intruder adds a passkey, makes email sign-in ask for it and moves the address: "this wasn\'t me" takes the passkey away', async () => {
      const email = uniqueEmail('pk-intruder');
      assert.ok((await linkSignIn(server.client(), email)).user);
      clock.advance(3600);
      const intruder = server.client();
      assert.ok((await linkSignIn(intruder, email)).user);
      const intrudersKey = await addPasskey(intruder);
      await nextMail(email, /passkey was added/);
      assert.equal((await intruder.request('/auth/passkeys/settings', { method: 'POST', json: { emailSignInRequiresPasskey: true } })).status, 204);
      const cancel = await moveAddress(intruder, email, true);

      const undone = await server.client().request('/auth/email/cancel', { method: 'POST', json: { token: cancel } });
      assert.equal(undone.status, 200);
      assert.deepEqual(await undone.json(), { status: 'cancelled', email, restored: true, passwordRemoved: false, totpRemoved: false, passkeysRemoved: 1 });
      await noSession(intruder);

      const { device, response } = await passkeySignIn(intrudersKey);
      assert.equal(await errorCode(response), 'passkey_unknown', "the intruder's passkey no longer signs in");
      await noSession(device);
      const back = await linkSignIn(server.client(), email);
      assert.equal(back.user?.email, email, 'the owner signs in by email alone: the requirement went with the passkey');
    });

    it('the undo removes the owner\'s older passkey too (a passkey signs in alone, whenever it was added), and the page says so', async () => {
      const email = uniqueEmail('pk-owner');
      const owner = server.client();
      assert.ok((await linkSignIn(owner, email)).user);
      const ownersKey = await addPasskey(owner);
      clock.advance(3600);
      const intruder = server.client();
      assert.ok((await linkSignIn(intruder, email)).user);
      const intrudersKey = await addPasskey(intruder);
      const cancel = await moveAddress(intruder, email, false);

      const page = await server.client().request('/auth/email/cancel', { method: 'POST', form: { token: cancel } });
      assert.equal(page.status, 200);
      assert.match(await page.text(), /Every passkey of the account was removed too/);
      assert.equal(await errorCode((await passkeySignIn(intrudersKey)).response), 'passkey_unknown');
      const { device, response } = await passkeySignIn(ownersKey);
      assert.equal(await errorCode(response), 'passkey_unknown', 'the older passkey is gone too: it could be the intruder\'s');
      assert.equal((await device.request('/auth/session')).status, 401);
      assert.equal((await linkSignIn(server.client(), email)).user?.email, email, 'the owner signs in by email and adds a passkey anew');
    });

    it('the owner whose own passkey guards email sign-in moves the address: the old mailbox gets no "this wasn\'t me" link', async () => {
      const email = uniqueEmail('pk-guarded');
      const browser = server.client();
      assert.ok((await linkSignIn(browser, email)).user);
      const key = await addPasskey(browser);
      assert.equal((await browser.request('/auth/passkeys/settings', { method: 'POST', json: { emailSignInRequiresPasskey: true } })).status, 204);
      clock.advance(3600); // the owner has had the passkey for a while
      const { device: owner, response } = await passkeySignIn(key);
      assert.equal(response.status, 200);
      const newEmail = uniqueEmail('pk-guarded-new');
      clock.advance(61);
      assert.equal((await owner.request('/auth/email/change', { method: 'POST', json: { newEmail } })).status, 202);
      const notice = await nextMail(email, /about to change/);
      assert.doesNotMatch(notice.text, /\/auth\/email\/cancel/, 'the mailbox alone could not sign in, so it cannot undo');
      assert.match(notice.text.replace(/\s+/g, ' '), /an authenticator app or a passkey\) guards it/);
      const denied = await server.latchkey.store.listAudit({ email, type: 'policy.denied' });
      assert.ok(denied.some((e) => e.reason === 'second_factor_protected'));
    });

    it('an operator resets a locked-out account: TOTP and every passkey gone, signed out everywhere, an emailed link signs in alone', async () => {
      const email = uniqueEmail('pk-reset');
      const browser = server.client();
      assert.ok((await linkSignIn(browser, email)).user);
      const { secret } = (await (await browser.request('/auth/totp/enrol', { method: 'POST' })).json()) as { secret: string };
      assert.equal((await browser.request('/auth/totp/confirm', { method: 'POST', json: { code: totpCode(secret, clock.now()) } })).status, 200);
      const key = await addPasskey(browser);
      assert.equal((await browser.request('/auth/passkeys/settings', { method: 'POST', json: { emailSignInRequiresPasskey: true } })).status, 204);
      assert.equal((await linkSignIn(server.client(), email)).status, 'second_factor_required', 'the mailbox alone does not sign in');

      const admin = (json: unknown) =>
        server.client().request('/admin/users/second-factor/reset', { method: 'POST', json, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const reset = await admin({ email: email.toUpperCase() });
      assert.equal(reset.status, 200);
      const body = (await reset.json()) as { user: { email: string }; totpRemoved: boolean; passkeysRemoved: number; passwordRemoved: boolean; sessionsRevoked: number };
      assert.deepEqual({ ...body, user: body.user.email }, { user: email, totpRemoved: true, passkeysRemoved: 1, passwordRemoved: false, sessionsRevoked: 1 });
      await noSession(browser);
      const notice = await nextMail(email, /second factors of your .* account were reset/);
      assert.doesNotMatch(notice.text, /\/auth\/verify\?token=/, 'the notice signs nobody in');

      assert.equal(await errorCode((await passkeySignIn(key)).response), 'passkey_unknown', 'the old passkey is gone');
      const back = await linkSignIn(server.client(), email);
      assert.equal(back.user?.email, email, 'an emailed link signs in alone');
      const events = await server.latchkey.store.listAudit({ type: 'second_factor.reset' });
      assert.ok(events.some((e) => e.reason === 'admin_api'));

      assert.equal(await errorCode(await admin({ email: uniqueEmail('nobody') })), 'not_found');
      assert.equal(await errorCode(await admin({ email: 'not an address' })), 'invalid_email');
      const unauthorised = await server.client().request('/admin/users/second-factor/reset', { method: 'POST', json: { email } });
      assert.equal(unauthorised.status, 401);
    });
  });
}
