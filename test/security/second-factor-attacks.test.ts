// Attacks on accounts with TOTP on (issue #12 findings 2, 4 and 12), over real
// HTTP with mail read from a real SMTP server, on SQLite and PostgreSQL:
// - a stranger who only knows the address drives failures, and the owner's
//   correct second factor must still be accepted (finding 2, NIST SP 800-63B:
//   no malicious lockout);
// - someone holding only the mailbox must not change anything on a TOTP
//   account: not by password reset, not by "this wasn't me" (finding 4);
// - every change to how the account signs in is mailed to it (finding 12).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { totpCode } from '../../src/core/totp.ts';
import { codeFrom, errorCode, linkToken, tokenFrom, type Client } from '../support/http-client.ts';
import { TestClock, type TestServer } from '../support/server.ts';
import type { ParsedMessage, SmtpSink } from '../support/smtp-sink.ts';
import { BACKENDS } from '../support/stores.ts';
import { skippedOn, useHttpServer } from '../support/http-suite.ts';

let counter = 0;
const uniqueEmail = (label: string) => `${label}.${Date.now()}.${++counter}@example.com`;
const FAILURES_BEFORE_DELAY = 8;
const PASSWORD = 'owner passphrase 4 the win';
const wrongFor = (right: string) => (right === '000000' ? '111111' : '000000');

for (const backend of BACKENDS) {
  describe(`attack: second-factor accounts (${backend.name})`, async () => {
    if (await skippedOn(backend)) return;

    let sink!: SmtpSink;
    let server!: TestServer;
    const clock = new TestClock();
    const seen = new Set<object>();

    useHttpServer(
      backend,
      { now: clock.now, limits: { accountFailuresBeforeDelay: FAILURES_BEFORE_DELAY, mailsPerAddressPer15Minutes: 100, mailsPerAddressPerDay: 1000 } },
      (parts) => ({ sink, server } = parts),
    );

    const appCode = (secret: string) => totpCode(secret, clock.now());

    async function nextMail(to: string, subject: RegExp): Promise<ParsedMessage> {
      const message = await sink.waitFor((m) => m.to === to && !seen.has(m) && subject.test(m.subject));
      seen.add(message);
      return message;
    }

    async function signInMail(client: Client, email: string) {
      clock.advance(61); // one mail per address per resend interval
      assert.equal((await client.request('/auth/sign-in/email', { method: 'POST', json: { email } })).status, 202);
      return nextMail(email, /^Sign in to /);
    }

    async function linkSignIn(client: Client, email: string) {
      const message = await signInMail(client, email);
      return client.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(message.text) } });
    }

    /** The owner's link, then the owner's current TOTP code: the answer of the second step. */
    async function ownerLinkAndTotp(email: string, secret: string) {
      const device = server.client();
      const first = await linkSignIn(device, email);
      assert.deepEqual(await first.json(), { status: 'second_factor_required' });
      clock.advance(30); // a fresh TOTP step: the code is not one already used
      return device.request('/auth/sign-in/totp', { method: 'POST', json: { code: appCode(secret) } });
    }

    /** An account with a password and TOTP on; `browser` keeps the owner's session. */
    async function totpAccount(label: string) {
      const email = uniqueEmail(label);
      const browser = server.client();
      assert.equal((await linkSignIn(browser, email)).status, 200);
      assert.equal((await browser.request('/auth/password', { method: 'POST', json: { password: PASSWORD } })).status, 204);
      const { secret } = (await (await browser.request('/auth/totp/enrol', { method: 'POST' })).json()) as { secret: string };
      assert.equal((await browser.request('/auth/totp/confirm', { method: 'POST', json: { code: appCode(secret) } })).status, 200);
      return { email, browser, secret };
    }

    const passwordSignIn = (client: Client, email: string, password: string) =>
      client.request('/auth/sign-in/password', { method: 'POST', json: { email, password } });

    const who = async (client: Client) => {
      const response = await client.request('/auth/session');
      return response.status === 200 ? ((await response.json()) as { user: { email: string } }).user.email : response.status;
    };

    // Finding 2.
    it("a stranger's wrong codes, with no live code or against one, never refuse the owner's link + TOTP", async () => {
      const { email, secret } = await totpAccount('lockout');
      const stranger = server.client();
      // No mail needed: there is no live code for the address, so these are not guesses at anything.
      for (let i = 0; i < FAILURES_BEFORE_DELAY + 4; i++) {
        const response = await stranger.request('/auth/sign-in/code', { method: 'POST', json: { email, code: '123456' } });
        assert.equal(response.status, 400);
      }
      const afterBlindGuesses = await ownerLinkAndTotp(email, secret);
      assert.equal(afterBlindGuesses.status, 200, 'blind guesses do not delay the owner');

      // Guesses against live codes (the stranger asks for mails) do count, and delay the code path…
      for (let round = 0; round * 5 < FAILURES_BEFORE_DELAY + 2; round++) {
        const mail = await signInMail(stranger, email);
        for (let i = 0; i < 5; i++) await stranger.request('/auth/sign-in/code', { method: 'POST', json: { email, code: wrongFor(codeFrom(mail.text)) } });
      }
      const mail = await signInMail(server.client(), email);
      const byCode = await server.client().request('/auth/sign-in/code', { method: 'POST', json: { email, code: codeFrom(mail.text) } });
      assert.equal(await errorCode(byCode), 'rate_limited');
      // …but a second factor after the owner's proven first factor is not refused for them.
      const afterLiveGuesses = await ownerLinkAndTotp(email, secret);
      assert.equal(afterLiveGuesses.status, 200);
    });

    it('wrong passwords delay only the password path: the owner keeps link + TOTP', async () => {
      const { email, secret } = await totpAccount('password-lockout');
      const stranger = server.client();
      for (let i = 0; i < FAILURES_BEFORE_DELAY; i++) {
        assert.equal(await errorCode(await passwordSignIn(stranger, email, `guess number ${i} here`)), 'credentials_invalid');
      }
      // Throttling guesses at a real password delays the password (the owner still has the link).
      assert.equal(await errorCode(await passwordSignIn(server.client(), email, PASSWORD)), 'rate_limited');
      assert.equal((await ownerLinkAndTotp(email, secret)).status, 200, 'the link + TOTP is not delayed');

    });

    it("TOTP guesses by someone who knows the password stop new password steps, not the owner's link + TOTP", async () => {
      const { email, secret } = await totpAccount('password-thief');
      // Four guesses per step (the step's own cap is five), over as many steps as it takes.
      let failures = 0;
      while (failures < FAILURES_BEFORE_DELAY) {
        const thief = server.client();
        const step = await passwordSignIn(thief, email, PASSWORD);
        assert.deepEqual(await step.json(), { status: 'second_factor_required' });
        for (let i = 0; i < 4 && failures < FAILURES_BEFORE_DELAY; i++, failures++) {
          const wrong = await thief.request('/auth/sign-in/totp', { method: 'POST', json: { code: wrongFor(appCode(secret)) } });
          assert.equal(await errorCode(wrong), 'totp_invalid');
        }
      }
      assert.equal(await errorCode(await passwordSignIn(server.client(), email, PASSWORD)), 'rate_limited', 'no new step to guess in');
      assert.equal((await ownerLinkAndTotp(email, secret)).status, 200, "the owner's own second step still works");
    });

    // Finding 4a.
    it('a reset by the mailbox alone changes nothing until the second factor: old password, sessions and mail stay', async () => {
      const { email, browser, secret } = await totpAccount('reset');
      clock.advance(61);
      await server.client().request('/auth/password/forgot', { method: 'POST', json: { email } });
      const resetMail = await nextMail(email, /^Reset your/);
      const holder = server.client();
      const reset = await holder.request('/auth/password/reset', { method: 'POST', json: { token: linkToken(resetMail.text, '/auth/password/reset'), password: 'mailbox holder was here' } });
      assert.deepEqual(await reset.json(), { status: 'second_factor_required' });
      // The mailbox holder stops here (no TOTP): nothing changed.
      assert.equal(await who(browser), email, "the owner's session is still signed in");
      assert.deepEqual(await (await passwordSignIn(server.client(), email, PASSWORD)).json(), { status: 'second_factor_required' }, 'the old password still works');
      assert.equal(await errorCode(await passwordSignIn(server.client(), email, 'mailbox holder was here')), 'credentials_invalid');
      const wrong = await holder.request('/auth/sign-in/totp', { method: 'POST', json: { code: wrongFor(appCode(secret)) } });
      assert.equal(await errorCode(wrong), 'totp_invalid');
      assert.equal(await who(browser), email);

      // The owner's own reset, with the second factor: now the password changes and every session ends.
      clock.advance(61);
      await server.client().request('/auth/password/forgot', { method: 'POST', json: { email } });
      const ownMail = await nextMail(email, /^Reset your/);
      const device = server.client();
      const own = await device.request('/auth/password/reset', { method: 'POST', json: { token: linkToken(ownMail.text, '/auth/password/reset'), password: 'the owner new passphrase' } });
      assert.deepEqual(await own.json(), { status: 'second_factor_required' });
      clock.advance(30);
      assert.equal((await device.request('/auth/sign-in/totp', { method: 'POST', json: { code: appCode(secret) } })).status, 200);
      assert.equal(await who(device), email);
      assert.equal(await who(browser), 401, 'the reset signed out the other sessions');
      await nextMail(email, /password was reset/i);
      assert.equal(await errorCode(await passwordSignIn(server.client(), email, PASSWORD)), 'credentials_invalid');
      assert.deepEqual(await (await passwordSignIn(server.client(), email, 'the owner new passphrase')).json(), { status: 'second_factor_required' });
    });

    // Finding 4b.
    it('the owner who lost the mailbox moves the address with password + TOTP; the old mailbox cannot undo it', async () => {
      const { email, secret } = await totpAccount('lost-mailbox');
      clock.advance(3600); // the owner has had TOTP for a while
      const owner = server.client();
      assert.deepEqual(await (await passwordSignIn(owner, email, PASSWORD)).json(), { status: 'second_factor_required' });
      clock.advance(30);
      assert.equal((await owner.request('/auth/sign-in/totp', { method: 'POST', json: { code: appCode(secret) } })).status, 200);
      const newEmail = uniqueEmail('new-mailbox');
      clock.advance(61);
      assert.equal((await owner.request('/auth/email/change', { method: 'POST', json: { newEmail } })).status, 202);
      const notice = await nextMail(email, /about to change/);
      const confirm = linkToken((await nextMail(newEmail, /^Confirm your new/)).text, '/auth/email/confirm');
      assert.equal((await owner.request('/auth/email/confirm', { method: 'POST', json: { token: confirm } })).status, 200);

      // The old mailbox is told, but holds no "this wasn't me" link to undo it with.
      assert.doesNotMatch(notice.text, /\/auth\/email\/cancel/);
      assert.match(notice.text, /this mailbox alone cannot undo the change/);
      assert.equal(await who(owner), newEmail, 'the owner keeps the account and the session');
      assert.deepEqual(await (await passwordSignIn(server.client(), newEmail, PASSWORD)).json(), { status: 'second_factor_required' }, 'the password stays');
      const denied = await server.latchkey.store.listAudit({ email, type: 'policy.denied' });
      assert.ok(denied.some((e) => e.reason === 'second_factor_protected'));
    });

    it('an account where email alone signs in: the link is mailed, and turning the TOTP requirement on afterwards does not take it back', async () => {
      const { email, browser, secret } = await totpAccount('email-alone');
      clock.advance(3600);
      const owner = server.client();
      assert.deepEqual(await (await passwordSignIn(owner, email, PASSWORD)).json(), { status: 'second_factor_required' });
      clock.advance(30);
      assert.equal((await owner.request('/auth/sign-in/totp', { method: 'POST', json: { code: appCode(secret) } })).status, 200);
      clock.advance(30);
      assert.equal((await owner.request('/auth/totp/settings', { method: 'POST', json: { emailSignInRequiresTotp: false, code: appCode(secret) } })).status, 204);
      // Someone holding the mailbox signs in by email alone, moves the address and turns the requirement back on.
      const holder = server.client();
      const signedIn = (await (await linkSignIn(holder, email)).json()) as { user?: unknown };
      assert.ok(signedIn.user);
      const newEmail = uniqueEmail('holder-new');
      clock.advance(61);
      assert.equal((await holder.request('/auth/email/change', { method: 'POST', json: { newEmail } })).status, 202);
      const cancel = linkToken((await nextMail(email, /about to change/)).text, '/auth/email/cancel');
      assert.equal((await holder.request('/auth/totp/settings', { method: 'POST', json: { emailSignInRequiresTotp: true } })).status, 204);
      const confirm = linkToken((await nextMail(newEmail, /^Confirm your new/)).text, '/auth/email/confirm');
      assert.equal((await holder.request('/auth/email/confirm', { method: 'POST', json: { token: confirm } })).status, 200);
      const undone = await server.client().request('/auth/email/cancel', { method: 'POST', json: { token: cancel } });
      assert.equal(((await undone.json()) as { email: string; restored: boolean }).restored, true);
      assert.equal(await who(browser), 401);
    });

    it('an intruder with a fresh session who adds TOTP and then moves the address: the owner\'s link still undoes both', async () => {
      const email = uniqueEmail('intruder-totp');
      const owner = server.client();
      assert.equal((await linkSignIn(owner, email)).status, 200);
      clock.advance(3600);
      const intruder = server.client();
      assert.equal((await linkSignIn(intruder, email)).status, 200);
      const { secret } = (await (await intruder.request('/auth/totp/enrol', { method: 'POST' })).json()) as { secret: string };
      assert.equal((await intruder.request('/auth/totp/confirm', { method: 'POST', json: { code: appCode(secret) } })).status, 200);
      await nextMail(email, /Two-factor authentication was turned on/);
      const newEmail = uniqueEmail('intruder-new');
      clock.advance(61);
      assert.equal((await intruder.request('/auth/email/change', { method: 'POST', json: { newEmail } })).status, 202);
      const cancel = linkToken((await nextMail(email, /about to change/)).text, '/auth/email/cancel');
      const confirm = linkToken((await nextMail(newEmail, /^Confirm your new/)).text, '/auth/email/confirm');
      assert.equal((await intruder.request('/auth/email/confirm', { method: 'POST', json: { token: confirm } })).status, 200);
      const undone = await server.client().request('/auth/email/cancel', { method: 'POST', json: { token: cancel } });
      assert.deepEqual(await undone.json(), { status: 'cancelled', email, restored: true, passwordRemoved: false, totpRemoved: true, passkeysRemoved: 0 });
      assert.equal(await who(intruder), 401);
      const back = (await (await linkSignIn(server.client(), email)).json()) as { user?: { email: string } };
      assert.equal(back.user?.email, email, "the owner signs in by email alone again: the intruder's TOTP is gone");
    });

    // Finding 12.
    it('turning TOTP on, new recovery codes and either email sign-in setting are each mailed to the account', async () => {
      const { email, browser, secret } = await totpAccount('notices');
      await nextMail(email, /Two-factor authentication was turned on/);
      assert.equal((await browser.request('/auth/totp/recovery-codes', { method: 'POST' })).status, 200);
      await nextMail(email, /New recovery codes/);
      clock.advance(30);
      const alone = await browser.request('/auth/totp/settings', { method: 'POST', json: { emailSignInRequiresTotp: false, code: appCode(secret) } });
      assert.equal(alone.status, 204);
      const weaker = await nextMail(email, /Email sign-in no longer asks/);
      assert.equal(weaker.headers.get('x-latchkey-request-id'), alone.headers.get('x-request-id'));
      assert.equal((await browser.request('/auth/totp/settings', { method: 'POST', json: { emailSignInRequiresTotp: true } })).status, 204);
      await nextMail(email, /Email sign-in asks for/);
    });

    // A variant of finding 12: the notice cap (3 per kind an hour, finding 5) dropped
    // the fourth notice but kept the change, so an intruder who toggles TOTP on and off
    // three times can turn it on a fourth time unseen: the owner's last mail says "off".
    it('toggling TOTP past the notice cap: a change that cannot be mailed is not made', async () => {
      const email = uniqueEmail('toggle');
      const intruder = server.client();
      assert.equal((await linkSignIn(intruder, email)).status, 200);
      const statuses: number[] = [];
      for (let round = 0; round < 4; round++) {
        const { secret } = (await (await intruder.request('/auth/totp/enrol', { method: 'POST' })).json()) as { secret: string };
        clock.advance(30);
        const on = await intruder.request('/auth/totp/confirm', { method: 'POST', json: { code: appCode(secret) } });
        statuses.push(on.status);
        if (on.status !== 200) break;
        clock.advance(30);
        statuses.push((await intruder.request('/auth/totp/disable', { method: 'POST', json: { code: appCode(secret) } })).status);
      }
      assert.deepEqual(statuses, [200, 204, 200, 204, 200, 204, 429], 'the fourth "on" within the hour is refused');
      const status = (await (await intruder.request('/auth/totp')).json()) as { enabled: boolean };
      assert.equal(status.enabled, false, 'what the last notice said is still true');
      for (let i = 0; i < 3; i++) await nextMail(email, /Two-factor authentication was turned on/);
    });
  });
}
