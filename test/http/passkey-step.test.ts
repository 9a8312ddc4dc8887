// "Email sign-in also asks for my passkey or authenticator code" over real
// HTTP (issue #17, review F1/F3/F4), on SQLite and PostgreSQL, with answers
// signed by a software authenticator (test/support): an attacker who holds
// only the mailbox (link, code, password reset by link or code, and the
// password that reset would set) gets the second step and no session; a reset
// held in that step changes nothing until a passkey of the account completes
// it; another account's passkey is refused; TOTP holds the setting when the
// last passkey goes, and turning TOTP off then drops it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { totpCode } from '../../src/core/totp.ts';
import type { Store } from '../../src/store/store.ts';
import { codeFrom, errorCode, linkToken, tokenFrom, type Client } from '../support/http-client.ts';
import { TestClock, type TestServer } from '../support/server.ts';
import type { ParsedMessage, SmtpSink } from '../support/smtp-sink.ts';
import { SoftwareAuthenticator } from '../support/software-authenticator.ts';
import { BACKENDS } from '../support/stores.ts';
import { skippedOn, useHttpServer } from '../support/http-suite.ts';

let counter = 0;
const uniqueEmail = (label: string) => `${label}.${Date.now()}.${++counter}@example.com`;
const PASSWORD = 'correct horse battery staple 42';
const NEW_PASSWORD = 'a passphrase the attacker chose';
type Options = { challenge: string; rp: { id: string }; user: { id: string }; rpId: string };

for (const backend of BACKENDS) {
  describe(`the passkey second step on every mailbox path (${backend.name})`, async () => {
    if (await skippedOn(backend)) return;

    let sink!: SmtpSink;
    let server!: TestServer;
    let store!: Store;
    const clock = new TestClock();
    const seen = new Set<object>();
    const limits = { mailsPerAddressPer15Minutes: 100, mailsPerAddressPerDay: 1000, accountFailuresBeforeDelay: 100 };
    useHttpServer(backend, { now: clock.now, host: 'localhost', limits }, (parts) => ({ sink, server, store } = parts));
    const origin = () => server.url;

    async function nextMail(to: string, subject: RegExp): Promise<ParsedMessage> {
      const message = await sink.waitFor((m) => m.to === to && !seen.has(m) && subject.test(m.subject));
      seen.add(message);
      return message;
    }

    async function signInByLink(email: string, client: Client = server.client()): Promise<Response> {
      clock.advance(61);
      assert.equal((await client.request('/auth/sign-in/email', { method: 'POST', json: { email } })).status, 202);
      const message = await nextMail(email, /^Sign in to /);
      return client.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(message.text) } });
    }

    async function options(client: Client): Promise<Options> {
      const response = await client.request('/auth/passkeys/sign-in/options', { method: 'POST', json: {} });
      assert.equal(response.status, 200, await response.clone().text());
      return ((await response.json()) as { options: Options }).options;
    }

    /** An account with a password and a passkey whose email sign-in asks for it (TOTP off). */
    async function guarded(label: string) {
      const email = uniqueEmail(label);
      const browser = server.client();
      assert.equal((await signInByLink(email, browser)).status, 200);
      assert.equal((await browser.request('/auth/password', { method: 'POST', json: { password: PASSWORD } })).status, 204);
      const authenticator = new SoftwareAuthenticator();
      const asked = await browser.request('/auth/passkeys/registration/options', { method: 'POST', json: {} });
      const registration = authenticator.register(((await asked.json()) as { options: Options }).options, origin());
      assert.equal((await browser.request('/auth/passkeys/registration', { method: 'POST', json: { response: registration } })).status, 201);
      assert.equal((await browser.request('/auth/passkeys/settings', { method: 'POST', json: { emailSignInRequiresPasskey: true } })).status, 204);
      const user = await store.findUserByEmail(email);
      return { email, browser, authenticator, userId: user!.id };
    }

    /** What the holder of the mailbox sees: the second step, no session. */
    async function stopsAtStep(response: Response, client: Client) {
      assert.equal(response.status, 200, await response.clone().text());
      assert.deepEqual(await response.json(), { status: 'second_factor_required' });
      assert.equal([...client.cookies.keys()].some((name) => name.endsWith('latchkey_session')), false, 'no session cookie');
      assert.equal((await client.request('/auth/session')).status, 401);
    }

    async function completeWithPasskey(client: Client, authenticator: SoftwareAuthenticator) {
      const asked = await options(client);
      return client.request('/auth/sign-in/passkey', { method: 'POST', json: { response: authenticator.authenticate(asked, origin()) } });
    }

    const passwordHash = async (userId: string) => (await store.getPassword(userId))?.passwordHash ?? null;

    it('link, code and password sign-in each stop at the second step, which a passkey of the account completes', async () => {
      const { email, authenticator } = await guarded('paths');

      const byLink = server.client();
      await stopsAtStep(await signInByLink(email, byLink), byLink);
      const done = await completeWithPasskey(byLink, authenticator);
      assert.equal(done.status, 200, await done.clone().text());
      const session = (await (await byLink.request('/auth/session')).json()) as { session: { amr: string[] } };
      // RFC 8176: the first factor's method, then the passkey's (a synced one, verified by the user).
      assert.deepEqual(session.session.amr, ['email', 'swk', 'user']);

      const byCode = server.client();
      clock.advance(61);
      await byCode.request('/auth/sign-in/email', { method: 'POST', json: { email } });
      const code = codeFrom((await nextMail(email, /^Sign in to /)).text);
      await stopsAtStep(await byCode.request('/auth/sign-in/code', { method: 'POST', json: { email, code } }), byCode);

      const byPassword = server.client();
      await stopsAtStep(await byPassword.request('/auth/sign-in/password', { method: 'POST', json: { email, password: PASSWORD } }), byPassword);
      assert.equal((await completeWithPasskey(byPassword, authenticator)).status, 200);
      const amr = ((await (await byPassword.request('/auth/session')).json()) as { session: { amr: string[] } }).session.amr;
      assert.deepEqual(amr, ['pwd', 'swk', 'user']);

      const reasons = (await store.listAudit({ email, type: 'sign_in.succeeded' })).map((event) => event.reason);
      assert.ok(reasons.includes('link+passkey') && reasons.includes('password+passkey'), reasons.join());
    });

    it('a password reset by link is held: nothing changes until a passkey of the account completes the step; another account\'s passkey is refused', async () => {
      const ada = await guarded('held');
      const eve = await guarded('other');
      const before = await passwordHash(ada.userId);

      clock.advance(61);
      assert.equal((await server.client().request('/auth/password/forgot', { method: 'POST', json: { email: ada.email } })).status, 202);
      const token = linkToken((await nextMail(ada.email, /^Reset your/)).text, '/auth/password/reset');
      const attacker = server.client();
      await stopsAtStep(await attacker.request('/auth/password/reset', { method: 'POST', json: { token, password: NEW_PASSWORD } }), attacker);
      assert.equal(await passwordHash(ada.userId), before, 'the new password waits in the step');
      assert.equal((await ada.browser.request('/auth/session')).status, 200, 'nobody was signed out');
      const tried = await server.client().request('/auth/sign-in/password', { method: 'POST', json: { email: ada.email, password: NEW_PASSWORD } });
      assert.equal(await errorCode(tried), 'credentials_invalid', 'the held password does not sign in');

      // The step page offers the passkey, and it posts to the step (not to a fresh sign-in).
      const page = await (await attacker.request('/auth/sign-in/totp', { headers: { accept: 'text/html' } })).text();
      assert.match(page, /id="passkey-sign-in"/);
      assert.match(page, /data-verify-url="\/auth\/sign-in\/passkey"/);

      // Eve's own passkey, on Ada's step: refused, nothing applied, the step still Ada's to finish.
      const borrowed = await completeWithPasskey(attacker, eve.authenticator);
      assert.equal(await errorCode(borrowed), 'passkey_wrong_account');
      assert.equal((await attacker.request('/auth/session')).status, 401);
      assert.equal(await passwordHash(ada.userId), before);
      const rejected = await store.listAudit({ email: eve.email, type: 'passkey.rejected' });
      assert.equal(rejected[0]?.reason, 'passkey_wrong_account');

      const done = await completeWithPasskey(attacker, ada.authenticator);
      assert.equal(done.status, 200, await done.clone().text());
      assert.equal(((await done.json()) as { user: { email: string } }).user.email, ada.email);
      assert.notEqual(await passwordHash(ada.userId), before, 'set now');
      assert.equal((await ada.browser.request('/auth/session')).status, 401, 'every earlier session is gone');
      await nextMail(ada.email, /password was reset/);
      const types = (await store.listAudit({ email: ada.email })).map((event) => event.type);
      assert.ok(types.includes('password.set') && types.includes('session.revoked'));
      // The step is used up.
      assert.equal(await errorCode(await completeWithPasskey(attacker, ada.authenticator)), 'second_factor_expired');
    });

    it('a password reset by code is held the same way, and the step page offers the passkey', async () => {
      const { email, authenticator, userId } = await guarded('code-reset');
      const before = await passwordHash(userId);
      clock.advance(61);
      await server.client().request('/auth/password/forgot', { method: 'POST', json: { email } });
      const code = codeFrom((await nextMail(email, /^Reset your/)).text);
      const attacker = server.client();
      await stopsAtStep(await attacker.request('/auth/password/reset', { method: 'POST', json: { email, code, password: NEW_PASSWORD } }), attacker);
      assert.equal(await passwordHash(userId), before);
      const page = await (await attacker.request('/auth/sign-in/totp', { headers: { accept: 'text/html' } })).text();
      assert.match(page, /data-verify-url="\/auth\/sign-in\/passkey"/);
      assert.doesNotMatch(page, /name="code"/, 'TOTP is off: no code form');
      assert.equal((await completeWithPasskey(attacker, authenticator)).status, 200);
      const signedIn = server.client();
      const again = await signedIn.request('/auth/sign-in/password', { method: 'POST', json: { email, password: NEW_PASSWORD } });
      await stopsAtStep(again, signedIn);
    });

    it('TOTP keeps the setting when the last passkey goes; turning TOTP off then turns it off too', async () => {
      const { email, browser, authenticator } = await guarded('totp');
      const enrol = (await (await browser.request('/auth/totp/enrol', { method: 'POST' })).json()) as { secret: string };
      assert.equal((await browser.request('/auth/totp/confirm', { method: 'POST', json: { code: totpCode(enrol.secret, clock.now()) } })).status, 200);
      // Email alone would do as far as TOTP goes: only the passkey setting can stop the link below.
      clock.advance(30);
      const totpSetting = await browser.request('/auth/totp/settings', { method: 'POST', json: { emailSignInRequiresTotp: false, code: totpCode(enrol.secret, clock.now()) } });
      assert.ok(totpSetting.status < 300, await totpSetting.clone().text());
      assert.equal(((await (await browser.request('/auth/totp')).json()) as { emailSignInRequiresTotp: boolean }).emailSignInRequiresTotp, false);
      const listed = (await (await browser.request('/auth/passkeys')).json()) as { passkeys: Array<{ id: string }> };
      assert.equal((await browser.request(`/auth/passkeys/${listed.passkeys[0]!.id}`, { method: 'DELETE' })).status, 204);
      assert.equal(((await (await browser.request('/auth/passkeys')).json()) as { emailSignInRequiresPasskey: boolean }).emailSignInRequiresPasskey, true);

      // No passkey left, but the setting holds: the link stops at the step, which TOTP completes.
      const laptop = server.client();
      await stopsAtStep(await signInByLink(email, laptop), laptop);
      const page = await (await laptop.request('/auth/sign-in/totp', { headers: { accept: 'text/html' } })).text();
      assert.match(page, /name="code"/);
      assert.doesNotMatch(page, /id="passkey-sign-in"/, 'no passkey left to offer');
      assert.equal(await errorCode(await completeWithPasskey(laptop, authenticator)), 'passkey_unknown');
      clock.advance(30);
      const done = await laptop.request('/auth/sign-in/totp', { method: 'POST', json: { code: totpCode(enrol.secret, clock.now()) } });
      assert.equal(done.status, 200, await done.clone().text());

      // TOTP off: no second factor is left, so the setting goes with it (audited).
      clock.advance(30);
      const off = await laptop.request('/auth/totp/disable', { method: 'POST', json: { code: totpCode(enrol.secret, clock.now()) } });
      assert.ok(off.status < 300, await off.clone().text());
      assert.equal(((await (await laptop.request('/auth/passkeys')).json()) as { emailSignInRequiresPasskey: boolean }).emailSignInRequiresPasskey, false);
      const changed = await store.listAudit({ email, type: 'passkey.settings_changed' });
      assert.equal(changed[0]?.reason, 'off_totp_disabled');
    });
  });
}
