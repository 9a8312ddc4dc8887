// Passwords and password reset over real HTTP, with mail read from a real SMTP
// server, on SQLite and PostgreSQL: setting one (recent sign-in only), signing
// in with it (one answer, in one time, for every wrong combination), breached
// and short passwords refused, rehashing when the Argon2id parameters change,
// and the reset flow (link or code) that signs out every session, mails a
// notice, and still asks for TOTP when the account has it on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePasswordHash } from '../../src/core/passwords.ts';
import { totpCode } from '../../src/core/totp.ts';
import type { Store } from '../../src/store/store.ts';
import { codeFrom, tokenFrom, type Client } from '../support/http-client.ts';
import { startTestServer, TestClock, type TestServer } from '../support/server.ts';
import type { ParsedMessage, SmtpSink } from '../support/smtp-sink.ts';
import { BACKENDS } from '../support/stores.ts';
import { skippedOn, useHttpServer } from '../support/http-suite.ts';

let counter = 0;
const uniqueEmail = (label: string) => `${label}.${Date.now()}.${++counter}@example.com`;
const GOOD_PASSWORD = 'correct horse battery staple 42';

type ErrorBody = { error: { code: string } };
const errorCode = async (response: Response) => ((await response.json()) as ErrorBody).error.code;

/** The first reset link in a message. */
function resetTokenFrom(text: string): string {
  const match = /\/auth\/password\/reset\?token=([A-Za-z0-9_-]{43})/.exec(text);
  if (!match) throw new Error('no reset link in the message');
  return match[1]!;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

for (const backend of BACKENDS) {
  describe(`passwords over HTTP (${backend.name})`, async () => {
    if (await skippedOn(backend)) return;

    let sink!: SmtpSink;
    let server!: TestServer;
    let store!: Store;
    const clock = new TestClock();
    const seen = new Set<object>();
    // Many mails to one address in a few (real) seconds; 50 wrong passwords for one account without its delay.
    const limits = { accountFailuresBeforeDelay: 100, mailsPerAddressPer15Minutes: 100, mailsPerAddressPerDay: 1000 };

    useHttpServer(backend, { now: clock.now, limits }, (parts) => ({ sink, store, server } = parts));

    async function nextMail(to: string, subject?: RegExp): Promise<ParsedMessage> {
      const message = await sink.waitFor((m) => m.to === to && !seen.has(m) && (!subject || subject.test(m.subject)));
      seen.add(message);
      return message;
    }

    /** A fresh, recent session by email link (creating the account). */
    async function signUp(email: string, client: Client = server.client()) {
      clock.advance(61); // one sign-in mail per address per resend interval
      assert.equal((await client.request('/auth/sign-in/email', { method: 'POST', json: { email } })).status, 202);
      const message = await nextMail(email, /^Sign in/);
      const verified = await client.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(message.text) } });
      assert.equal(verified.status, 200);
      return client;
    }

    async function withPassword(label: string, password = GOOD_PASSWORD) {
      const email = uniqueEmail(label);
      const browser = await signUp(email);
      const set = await browser.request('/auth/password', { method: 'POST', json: { password } });
      assert.equal(set.status, 204);
      await nextMail(email, /password was added/);
      return { email, browser };
    }

    const passwordSignIn = (client: Client, email: string, password: string) =>
      client.request('/auth/sign-in/password', { method: 'POST', json: { email, password } });

    it('a password set from the account page signs in; the other sessions were signed out and the address told', async () => {
      const email = uniqueEmail('set');
      const browser = await signUp(email);
      const phone = await signUp(email, server.client('Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1'));
      assert.deepEqual(await (await browser.request('/auth/password')).json(), { set: false, changedAt: null });

      assert.equal((await browser.request('/auth/password', { method: 'POST', json: { password: GOOD_PASSWORD } })).status, 204);
      const notice = await nextMail(email, /password was added/);
      assert.match(notice.text, /Every other device was signed out/);
      assert.match(notice.text, /\/auth\/password\/forgot/);
      assert.equal((await phone.request('/auth/session')).status, 401, 'the other session is gone');
      assert.equal((await browser.request('/auth/session')).status, 200, 'this one stays');
      assert.equal(((await (await browser.request('/auth/password')).json()) as { set: boolean }).set, true);

      const laptop = server.client();
      const signedIn = await passwordSignIn(laptop, email, GOOD_PASSWORD);
      assert.equal(signedIn.status, 200);
      const answer = (await signedIn.json()) as { user: { email: string }; session: { amr: string[] } };
      assert.equal(answer.user.email, email);
      assert.deepEqual(answer.session.amr, ['pwd'], 'signed in by password alone');
      assert.equal((await laptop.request('/auth/session')).status, 200);
      // Typed on another keyboard (NFKC) and with any case of the address, it is the same.
      assert.equal((await passwordSignIn(server.client(), email.toUpperCase(), GOOD_PASSWORD)).status, 200);
    });

    it('every wrong combination gets the same answer: unknown address, no password, disabled account, wrong password', async () => {
      const { email } = await withPassword('same');
      const noPassword = uniqueEmail('nopass');
      await signUp(noPassword);
      const { email: disabled } = await withPassword('disabled');
      const user = await store.findUserByEmail(disabled);
      await store.setUserDisabled(user!.id, clock.now(), clock.now(), []);
      const answers = [];
      for (const [address, password] of [
        [uniqueEmail('unknown'), GOOD_PASSWORD],
        [noPassword, GOOD_PASSWORD],
        [disabled, GOOD_PASSWORD],
        [email, `${GOOD_PASSWORD}!`],
      ] as const) {
        const response = await passwordSignIn(server.client(), address, password);
        answers.push({ status: response.status, body: await response.json() });
      }
      const shapes = answers.map(({ status, body }) => ({ status, code: (body as ErrorBody).error.code, message: (body as { error: { message: string } }).error.message }));
      assert.deepEqual(new Set(shapes.map((s) => JSON.stringify(s))).size, 1, JSON.stringify(shapes));
      assert.deepEqual(shapes[0], { status: 400, code: 'credentials_invalid', message: 'That email address and password do not match.' });
      const audit = await store.listAudit({ type: 'password.failed' });
      assert.ok(audit.length >= 4);
      assert.ok(audit.every((e) => !JSON.stringify(e).includes(GOOD_PASSWORD)), 'no password in the audit trail');
    });

    it('an unknown address and a wrong password take the same time (median difference under 5 ms, 50 interleaved tries each)', async (t) => {
      const client = server.client();
      const timed = async (address: string) => {
        const start = process.hrtime.bigint();
        const response = await passwordSignIn(client, address, 'not the right password');
        await response.arrayBuffer();
        assert.equal(response.status, 400);
        return Number(process.hrtime.bigint() - start) / 1e6;
      };
      // A leak (skipping Argon2id for an unknown address) shows in every round; a
      // noisy neighbour on a shared machine rarely spoils three in a row. Each
      // round has its own accounts, so no failure count reaches the delay.
      const rounds: string[] = [];
      for (let round = 0; round < 3; round++) {
        const { email } = await withPassword(`timing-${round}`);
        const unknown = uniqueEmail(`timing-unknown-${round}`);
        // Warm up (the dummy hash is made on first use; JIT).
        for (let i = 0; i < 3; i++) {
          await timed(unknown);
          await timed(email);
        }
        const unknownTimes: number[] = [];
        const wrongTimes: number[] = [];
        for (let i = 0; i < 50; i++) {
          // Alternate which goes first, so drift over the run falls on both alike.
          if (i % 2) {
            unknownTimes.push(await timed(unknown));
            wrongTimes.push(await timed(email));
          } else {
            wrongTimes.push(await timed(email));
            unknownTimes.push(await timed(unknown));
          }
        }
        const difference = Math.abs(median(unknownTimes) - median(wrongTimes));
        rounds.push(`median unknown ${median(unknownTimes).toFixed(2)} ms, wrong password ${median(wrongTimes).toFixed(2)} ms`);
        t.diagnostic(rounds.at(-1)!);
        assert.ok(median(wrongTimes) > 5, `an Argon2id check takes time (${median(wrongTimes).toFixed(1)} ms)`);
        if (difference < 5) return;
      }
      assert.fail(`three rounds differed by 5 ms or more: ${rounds.join('; ')}`);
    });

    it('refuses short (counted in characters), overlong and common breached passwords, and stores nothing', async () => {
      const email = uniqueEmail('rules');
      const browser = await signUp(email);
      const attempt = async (password: string) => {
        const response = await browser.request('/auth/password', { method: 'POST', json: { password } });
        return response.status === 204 ? 'ok' : `${response.status} ${await errorCode(response)}`;
      };
      assert.equal(await attempt('seven77'), '400 password_too_short');
      // Seven emoji are 14 UTF-16 units but 7 characters.
      assert.equal(await attempt('🔑'.repeat(7)), '400 password_too_short');
      assert.equal(await attempt('x'.repeat(129)), '400 password_too_long');
      for (const breached of ['password', 'password123', 'iloveyou', 'Qwertyuiop', 'SUNSHINE', 'trustno1']) {
        assert.equal(await attempt(breached), '400 password_breached', breached);
      }
      assert.equal(((await (await browser.request('/auth/password')).json()) as { set: boolean }).set, false);
      assert.equal(await attempt('🔑'.repeat(8)), 'ok', 'eight characters, no composition rules');
      assert.equal((await passwordSignIn(server.client(), email, '🔑'.repeat(8))).status, 200);
    });

    it('needs a sign-in from the last 10 minutes; typing the password again counts as one', async () => {
      const { email, browser } = await withPassword('recent');
      clock.advance(11 * 60);
      const refused = await browser.request('/auth/password', { method: 'POST', json: { password: 'a brand new passphrase' } });
      assert.equal(refused.status, 403);
      assert.equal(await errorCode(refused), 'reauthentication_required');
      const wrong = await browser.request('/auth/reauthenticate', { method: 'POST', json: { password: 'not it at all' } });
      assert.equal(await errorCode(wrong), 'credentials_invalid');
      assert.equal((await browser.request('/auth/reauthenticate', { method: 'POST', json: { password: GOOD_PASSWORD } })).status, 204);
      assert.equal((await browser.request('/auth/password', { method: 'POST', json: { password: 'a brand new passphrase' } })).status, 204);
      await nextMail(email, /password was changed/);
      assert.equal((await passwordSignIn(server.client(), email, GOOD_PASSWORD)).status, 400, 'the old one no longer works');
      assert.equal((await passwordSignIn(server.client(), email, 'a brand new passphrase')).status, 200);
    });

    it('rehashes at sign-in when the Argon2id parameters were raised', async () => {
      // Another instance on the same database, with older (cheaper) parameters.
      const old = await startTestServer({ store, smtpUrl: sink.url, now: clock.now, limits, passwordHashing: { memoryKiB: 7168, passes: 5 } });
      const email = uniqueEmail('rehash');
      try {
        clock.advance(61);
        const browser = old.client();
        await browser.request('/auth/sign-in/email', { method: 'POST', json: { email } });
        const message = await nextMail(email, /^Sign in/);
        assert.equal((await browser.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(message.text) } })).status, 200);
        assert.equal((await browser.request('/auth/password', { method: 'POST', json: { password: GOOD_PASSWORD } })).status, 204);
      } finally {
        await old.close();
      }
      const user = (await store.findUserByEmail(email))!;
      const before = (await store.getPassword(user.id))!;
      assert.match(before.passwordHash, /^\$argon2id\$v=19\$m=7168,t=5,p=1\$/);

      assert.equal((await passwordSignIn(server.client(), email, 'wrong password here')).status, 400);
      assert.equal((await store.getPassword(user.id))!.passwordHash, before.passwordHash, 'a wrong password changes nothing');
      assert.equal((await passwordSignIn(server.client(), email, GOOD_PASSWORD)).status, 200);
      const after = (await store.getPassword(user.id))!;
      assert.deepEqual(parsePasswordHash(after.passwordHash)?.params, { memoryKiB: 19_456, passes: 2, parallelism: 1 });
      assert.notEqual(after.passwordHash, before.passwordHash);
      assert.equal(after.changedAt, before.changedAt, 'the same password');
      assert.equal((await store.listAudit({ userId: user.id, type: 'password.rehashed' })).length, 1);
      assert.equal((await passwordSignIn(server.client(), email, GOOD_PASSWORD)).status, 200);
      assert.equal((await store.listAudit({ userId: user.id, type: 'password.rehashed' })).length, 1, 'once');
    });

    it('reset by link: the page does not consume it, a refused password keeps it, the reset signs out everywhere and mails a notice', async () => {
      const { email, browser } = await withPassword('reset');
      const phone = await signUp(email, server.client('Mozilla/5.0 (Android 15; Mobile) Firefox/133.0'));
      clock.advance(61);
      const forgot = await server.client().request('/auth/password/forgot', { method: 'POST', json: { email } });
      assert.equal(forgot.status, 202);
      assert.deepEqual(await forgot.json(), { status: 'sent' });
      const message = await nextMail(email, /^Reset your/);
      assert.match(message.text, /expire in 15 minutes/);
      const token = resetTokenFrom(message.text);
      assert.match(codeFrom(message.text), /^[0-9]{6}$/);

      const stranger = server.client();
      const page = await stranger.request(`/auth/password/reset?token=${token}`);
      assert.equal(page.status, 200);
      assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
      assert.match(await page.text(), /name="token"/);
      const refused = await stranger.request('/auth/password/reset', { method: 'POST', json: { token, password: 'qwerty123' } });
      assert.equal(await errorCode(refused), 'password_breached');

      const done = await stranger.request('/auth/password/reset', { method: 'POST', json: { token, password: 'a fresh reset passphrase' } });
      assert.equal(done.status, 200);
      assert.equal(((await done.json()) as { user: { email: string } }).user.email, email);
      assert.equal((await stranger.request('/auth/session')).status, 200, 'signed in after the reset');
      assert.equal((await browser.request('/auth/session')).status, 401, 'every earlier session is gone');
      assert.equal((await phone.request('/auth/session')).status, 401);
      const notice = await nextMail(email, /password was reset/);
      assert.match(notice.text, /Every device was signed out/);

      const again = await server.client().request('/auth/password/reset', { method: 'POST', json: { token, password: 'another passphrase now' } });
      assert.equal(await errorCode(again), 'token_used');
      assert.equal((await passwordSignIn(server.client(), email, GOOD_PASSWORD)).status, 400);
      assert.equal((await passwordSignIn(server.client(), email, 'a fresh reset passphrase')).status, 200);
      const types = (await store.listAudit({ email })).map((e) => e.type);
      for (const type of ['password_reset.requested', 'token.consumed', 'password.set', 'session.revoked']) assert.ok(types.includes(type as never), type);
    });

    it('reset by code adds a first password to an account without one; wrong codes count', async () => {
      const email = uniqueEmail('code');
      await signUp(email);
      clock.advance(61);
      assert.equal((await server.client().request('/auth/password/forgot', { method: 'POST', json: { email } })).status, 202);
      const code = codeFrom((await nextMail(email, /^Reset your/)).text);
      const wrong = code === '000000' ? '111111' : '000000';
      const client = server.client();
      const miss = await client.request('/auth/password/reset', { method: 'POST', json: { email, code: wrong, password: 'my very first password' } });
      assert.equal(await errorCode(miss), 'code_invalid');
      const hit = await client.request('/auth/password/reset', { method: 'POST', json: { email, code, password: 'my very first password' } });
      assert.equal(hit.status, 200);
      await nextMail(email, /password was reset/);
      assert.equal((await passwordSignIn(server.client(), email, 'my very first password')).status, 200);
    });

    it('forgot answers 202 the same for unknown and disabled addresses, and mails only the real account', async () => {
      const unknown = uniqueEmail('ghost');
      const { email: disabled } = await withPassword('off');
      await store.setUserDisabled((await store.findUserByEmail(disabled))!.id, clock.now(), clock.now(), []);
      const known = uniqueEmail('known');
      await signUp(known);
      clock.advance(61);
      const answers = [];
      for (const email of [unknown, disabled, known]) {
        const response = await server.client().request('/auth/password/forgot', { method: 'POST', json: { email } });
        answers.push(`${response.status} ${await response.text()}`);
      }
      assert.deepEqual(new Set(answers).size, 1, answers.join(' | '));
      await nextMail(known, /^Reset your/);
      assert.equal(sink.messages.filter((m) => m.to === unknown || (m.to === disabled && /^Reset/.test(m.subject))).length, 0);
      const malformed = await server.client().request('/auth/password/forgot', { method: 'POST', json: { email: 'not an address' } });
      assert.equal(await errorCode(malformed), 'invalid_email');
    });

    it('a reset of an account with TOTP on still asks for the second factor before any session', async () => {
      const { email, browser } = await withPassword('totp');
      const { secret } = (await (await browser.request('/auth/totp/enrol', { method: 'POST' })).json()) as { secret: string };
      assert.equal((await browser.request('/auth/totp/confirm', { method: 'POST', json: { code: totpCode(secret, clock.now()) } })).status, 200);
      clock.advance(61);
      await server.client().request('/auth/password/forgot', { method: 'POST', json: { email } });
      const token = resetTokenFrom((await nextMail(email, /^Reset your/)).text);
      const device = server.client();
      const reset = await device.request('/auth/password/reset', { method: 'POST', json: { token, password: 'reset but still two factors' } });
      assert.equal(reset.status, 200);
      assert.deepEqual(await reset.json(), { status: 'second_factor_required' });
      assert.equal(device.cookies.has('latchkey_session'), false, 'no session yet');
      assert.equal((await device.request('/auth/session')).status, 401);
      clock.advance(30);
      const done = await device.request('/auth/sign-in/totp', { method: 'POST', json: { code: totpCode(secret, clock.now()) } });
      assert.equal(done.status, 200);
      assert.equal((await device.request('/auth/session')).status, 200);
      // A password alone never signs this account in either.
      const byPassword = await passwordSignIn(server.client(), email, 'reset but still two factors');
      assert.deepEqual(await byPassword.json(), { status: 'second_factor_required' });
    });

    it('a token of another purpose is refused by the reset and a reset token by sign-in (token_invalid)', async () => {
      const email = uniqueEmail('cross');
      clock.advance(61);
      const client = server.client();
      await client.request('/auth/sign-in/email', { method: 'POST', json: { email } });
      const signInToken = tokenFrom((await nextMail(email, /^Sign in/)).text);
      const asReset = await client.request('/auth/password/reset', { method: 'POST', json: { token: signInToken, password: 'whatever passphrase' } });
      assert.equal(await errorCode(asReset), 'token_invalid');
      assert.equal((await client.request(`/auth/password/reset?token=${signInToken}`)).status, 400, 'the reset page refuses it too');
      assert.equal((await client.request('/auth/verify', { method: 'POST', json: { token: signInToken } })).status, 200, 'still good for sign-in');

      clock.advance(61);
      await client.request('/auth/password/forgot', { method: 'POST', json: { email } });
      const resetToken = resetTokenFrom((await nextMail(email, /^Reset your/)).text);
      assert.equal(await errorCode(await server.client().request('/auth/verify', { method: 'POST', json: { token: resetToken } })), 'token_invalid');
      assert.equal((await server.client().request(`/auth/verify?token=${resetToken}`)).status, 400);
      assert.equal(await errorCode(await server.client().request('/auth/email/confirm', { method: 'POST', json: { token: resetToken } })), 'token_invalid');
    });

    it('hosted pages: password sign-in, forgot, code form and reset page work as plain forms', async () => {
      const { email } = await withPassword('pages');
      const browser = server.client();
      const signInPage = await browser.request('/auth/sign-in/password');
      assert.equal(signInPage.status, 200);
      const html = await signInPage.text();
      assert.match(html, /autocomplete="current-password"/);
      assert.doesNotMatch(html, /<script(?![^>]*src=)/, 'no inline script');
      const wrong = await browser.request('/auth/sign-in/password', { method: 'POST', form: { email, password: 'nope nope nope' } });
      assert.equal(wrong.status, 400);
      assert.match(await wrong.text(), /That email address and password do not match/);
      const right = await browser.request('/auth/sign-in/password', { method: 'POST', form: { email, password: GOOD_PASSWORD } });
      assert.equal(right.status, 303);
      assert.equal(right.headers.get('location'), '/auth/account');
      const account = await (await browser.request('/auth/account')).text();
      assert.match(account, /id="password"/);
      assert.match(account, /id="email"/);

      clock.advance(61);
      const forgot = await server.client().request('/auth/password/forgot', { method: 'POST', form: { email } });
      assert.equal(forgot.status, 200);
      const sent = await forgot.text();
      assert.match(sent, /name="code"/);
      assert.match(sent, /autocomplete="new-password"/);
      const message = await nextMail(email, /^Reset your/);
      const codeForm = server.client();
      const short = await codeForm.request('/auth/password/reset', { method: 'POST', form: { email, code: codeFrom(message.text), password: 'short' } });
      assert.equal(short.status, 400);
      assert.match(await short.text(), /Use at least 8 characters/);
      const reset = await codeForm.request('/auth/password/reset', { method: 'POST', form: { email, code: codeFrom(message.text), password: 'from the code form' } });
      assert.equal(reset.status, 303);
      assert.equal((await codeForm.request('/auth/session')).status, 200);

      const de = await server.client().request('/auth/password/forgot', { headers: { 'accept-language': 'de' } });
      assert.match(await de.text(), /Passwort zurücksetzen/);
      const expired = await server.client().request(`/auth/password/reset?token=${'x'.repeat(43)}`);
      assert.equal(expired.status, 400);
      assert.match(await expired.text(), /Ask for a new reset email/);
    });
  });
}
