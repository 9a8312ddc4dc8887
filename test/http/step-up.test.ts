// "Confirm it's you" (issues #16/#17) over real HTTP, on SQLite and PostgreSQL:
// a session from an email sign-in (TOTP on, not asked at email sign-in) is
// refused by a `secondFactor: true` rule, follows the refusal page's link to
// the step-up page, types its code and gets a new session (the old cookie is
// dead) that the rule lets in. A used code, a run of wrong codes, another
// account's passkey, no session and a form without its CSRF token get nothing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { totpCode } from '../../src/core/totp.ts';
import type { Store } from '../../src/store/store.ts';
import { errorCode, tokenFrom, type Client } from '../support/http-client.ts';
import { skippedOn, useHttpServer } from '../support/http-suite.ts';
import { TestClock, type TestServer } from '../support/server.ts';
import type { SmtpSink } from '../support/smtp-sink.ts';
import { SoftwareAuthenticator } from '../support/software-authenticator.ts';
import { BACKENDS } from '../support/stores.ts';

let counter = 0;
const uniqueEmail = (label: string) => `${label}.${Date.now()}.${++counter}@example.com`;
const APP = 'http://admin.example.test/reports';
type Options = { challenge: string; rp: { id: string }; user: { id: string }; rpId: string };
type SessionBody = { session: { id: string; expiresAt: string; amr: string[] } };

for (const backend of BACKENDS) {
  describe(`step-up, "confirm it's you" (${backend.name})`, async () => {
    if (await skippedOn(backend)) return;

    let sink!: SmtpSink;
    let server!: TestServer;
    let store!: Store;
    const clock = new TestClock();
    const seen = new Set<object>();
    useHttpServer(
      backend,
      {
        now: clock.now,
        host: 'localhost',
        trustedProxies: ['127.0.0.1'],
        accessRules: { rules: [{ host: 'admin.example.test', allow: ['@example.com'], secondFactor: true }] },
        limits: { mailsPerAddressPer15Minutes: 100, mailsPerAddressPerDay: 1000, accountFailuresBeforeDelay: 100 },
      },
      (parts) => ({ sink, server, store } = parts),
    );
    const appCode = (secret: string) => totpCode(secret, clock.now());

    async function signInByLink(email: string, client: Client = server.client()): Promise<Client> {
      clock.advance(61);
      assert.equal((await client.request('/auth/sign-in/email', { method: 'POST', json: { email } })).status, 202);
      const message = await sink.waitFor((m) => m.to === email && !seen.has(m) && /^Sign in to /.test(m.subject));
      seen.add(message);
      const verified = await client.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(message.text) } });
      assert.equal(verified.status, 200, await verified.clone().text());
      return client;
    }

    /** An account with TOTP on and "email sign-in asks for it" off. */
    async function totpAccount(label: string) {
      const email = uniqueEmail(label);
      const browser = await signInByLink(email);
      const { secret } = (await (await browser.request('/auth/totp/enrol', { method: 'POST' })).json()) as { secret: string };
      assert.equal((await browser.request('/auth/totp/confirm', { method: 'POST', json: { code: appCode(secret) } })).status, 200);
      clock.advance(30);
      const off = await browser.request('/auth/totp/settings', { method: 'POST', json: { emailSignInRequiresTotp: false, code: appCode(secret) } });
      assert.ok(off.status < 300, await off.clone().text());
      clock.advance(30);
      return { email, secret };
    }

    const forwardAuth = (client: Client, accept = 'application/json') =>
      client.request('/auth/forward-auth', {
        headers: { accept, 'x-forwarded-proto': 'http', 'x-forwarded-host': 'admin.example.test', 'x-forwarded-uri': '/reports' },
      });
    const session = async (client: Client) => ((await (await client.request('/auth/session')).json()) as SessionBody).session;
    /** Another browser holding only this one's session cookie as it is now. */
    const copyOf = (client: Client) => {
      const copy = client.fork();
      for (const [name, value] of client.cookies) if (name.endsWith('latchkey_session')) copy.cookies.set(name, value);
      return copy;
    };

    it('an email-signed session is refused, confirms with its TOTP code on the step-up page, and comes back with a new session the rule lets in', async () => {
      const { email, secret } = await totpAccount('story');
      const laptop = await signInByLink(email);
      const before = await session(laptop);
      assert.deepEqual(before.amr, ['email'], 'the setting is off: email sign-in asked for no code');
      const old = copyOf(laptop);

      const denied = await forwardAuth(laptop, 'text/html');
      assert.equal(denied.status, 403);
      const refusal = await denied.text();
      assert.match(refusal, /data-error-code="access_second_factor"/);
      // Shown on the app's host: the link is absolute, to Latchkey, with the original URL to come back to.
      const link = /<a class="button primary" href="([^"]+)"/.exec(refusal)?.[1];
      assert.equal(link, `${server.url}/auth/step-up?redirectTo=${encodeURIComponent(APP)}`);

      const page = await laptop.request(new URL(link!).pathname + new URL(link!).search, { headers: { accept: 'text/html' } });
      assert.equal(page.status, 200);
      const html = await page.text();
      assert.match(html, /<form id="step-up" method="post" action="\/auth\/step-up"/);
      assert.match(html, new RegExp(`name="redirectTo" value="${APP}"`));

      const done = await laptop.request('/auth/step-up', { method: 'POST', form: { code: appCode(secret), redirectTo: APP } });
      assert.equal(done.status, 303);
      assert.equal(done.headers.get('location'), APP);
      const after = await session(laptop);
      assert.notEqual(after.id, before.id, 'a new session');
      assert.deepEqual(after.amr, ['email', 'otp']);
      assert.ok(Date.parse(after.expiresAt) <= Date.parse(before.expiresAt), 'no longer than the old one');
      assert.equal((await old.request('/auth/session')).status, 401, 'the old cookie is revoked');
      assert.equal((await forwardAuth(old)).status, 401);
      const allowed = await forwardAuth(laptop);
      assert.equal(allowed.status, 200);
      assert.equal(allowed.headers.get('remote-email'), email);
      const events = await store.listAudit({ email, type: 'session.stepped_up' });
      assert.deepEqual(events.map((e) => e.reason), ['totp']);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      assert.match(metrics, /latchkey_step_ups_total\{method="totp"\} [1-9]/);
    });

    it('a step-up is no recent sign-in: a stolen cookie and one TOTP code cannot register a passkey or change the address', async () => {
      const { email, secret } = await totpAccount('recent');
      const laptop = await signInByLink(email);
      const signedInAt = clock.now();
      const { expiresAt } = await session(laptop);
      clock.advance(11 * 60);
      const register = () => laptop.request('/auth/passkeys/registration/options', { method: 'POST', json: {} });
      assert.equal(await errorCode(await register()), 'reauthentication_required', 'signed in more than 10 minutes ago');
      const done = await laptop.request('/auth/step-up', { method: 'POST', json: { code: appCode(secret) } });
      assert.equal(done.status, 200, await done.clone().text());
      // The new cookie ends with the session (the old one's end), not a full lifetime from now.
      const cookie = done.headers.getSetCookie().find((line) => /^(__Host-)?latchkey_session=[^;]/.test(line));
      const ttlSeconds = Math.round((Date.parse(expiresAt) - signedInAt) / 1000);
      assert.equal(Number(/Max-Age=(\d+)/.exec(cookie ?? '')?.[1]), ttlSeconds - 11 * 60, 'Max-Age of the session cookie');
      assert.equal(await errorCode(await register()), 'reauthentication_required', 'the rotated session keeps the time of its sign-in');
      const change = await laptop.request('/auth/email/change', { method: 'POST', json: { newEmail: uniqueEmail('thief') } });
      assert.equal(await errorCode(change), 'reauthentication_required');
    });

    it('a code already used is refused (the sign-in step\'s replay guard), and the session stays as it was', async () => {
      const { email, secret } = await totpAccount('replay');
      const first = await signInByLink(email);
      const second = await signInByLink(email);
      const code = appCode(secret);
      assert.equal((await first.request('/auth/step-up', { method: 'POST', json: { code } })).status, 200);
      const replay = await second.request('/auth/step-up', { method: 'POST', json: { code } });
      assert.equal(await errorCode(replay), 'totp_reused');
      assert.deepEqual((await session(second)).amr, ['email']);
      assert.equal((await forwardAuth(second)).status, 403);
    });

    it('wrong codes are bounded: five per step, then locked (a right code too) until the step expires', async () => {
      const { email, secret } = await totpAccount('guess');
      const laptop = await signInByLink(email);
      const wrong = () => String((Number(appCode(secret)) + 1) % 1_000_000).padStart(6, '0');
      const answers = [];
      for (let i = 0; i < 5; i++) answers.push(await errorCode(await laptop.request('/auth/step-up', { method: 'POST', json: { code: wrong() } })));
      assert.deepEqual(answers, ['totp_invalid', 'totp_invalid', 'totp_invalid', 'totp_invalid', 'second_factor_locked']);
      const locked = await laptop.request('/auth/step-up', { method: 'POST', json: { code: appCode(secret) } });
      assert.equal(locked.status, 429);
      assert.equal(await errorCode(locked), 'second_factor_locked');
      assert.deepEqual((await session(laptop)).amr, ['email'], 'still signed in, not stepped up');
      assert.equal((await store.listAudit({ email, type: 'totp.failed' })).length, 5);
      clock.advance(301);
      assert.equal((await laptop.request('/auth/step-up', { method: 'POST', json: { code: appCode(secret) } })).status, 200);
    });

    it('a passkey steps up only its own account: another account\'s is refused and changes nothing', async () => {
      const register = async (client: Client) => {
        const authenticator = new SoftwareAuthenticator();
        const asked = await client.request('/auth/passkeys/registration/options', { method: 'POST', json: {} });
        const registration = authenticator.register(((await asked.json()) as { options: Options }).options, server.url);
        assert.equal((await client.request('/auth/passkeys/registration', { method: 'POST', json: { response: registration } })).status, 201);
        return authenticator;
      };
      const ada = await signInByLink(uniqueEmail('ada'));
      const adaKey = await register(ada);
      const eveKey = await register(await signInByLink(uniqueEmail('eve')));
      const answer = async (client: Client, authenticator: SoftwareAuthenticator) => {
        const asked = await client.request('/auth/passkeys/sign-in/options', { method: 'POST', json: {} });
        const { options } = (await asked.json()) as { options: Options };
        return client.request('/auth/step-up/passkey', { method: 'POST', json: { response: authenticator.authenticate(options, server.url), redirectTo: APP } });
      };

      const page = await (await ada.request(`/auth/step-up?redirectTo=${encodeURIComponent(APP)}`, { headers: { accept: 'text/html' } })).text();
      assert.match(page, /data-verify-url="\/auth\/step-up\/passkey"/);
      assert.doesNotMatch(page, /id="step-up"/, 'no code form without TOTP');
      const before = await session(ada);
      const borrowed = await answer(ada, eveKey);
      assert.equal(await errorCode(borrowed), 'passkey_wrong_account');
      assert.equal((await session(ada)).id, before.id);
      assert.equal((await forwardAuth(ada)).status, 403);

      const old = copyOf(ada);
      const own = await answer(ada, adaKey);
      assert.equal(own.status, 200, await own.clone().text());
      assert.equal(((await own.json()) as { redirectTo: string }).redirectTo, APP);
      assert.deepEqual((await session(ada)).amr, ['email', 'swk', 'user']);
      assert.equal((await old.request('/auth/session')).status, 401);
      assert.equal((await forwardAuth(ada)).status, 200);
    });

    it('not signed in: the page sends the browser to sign in with the same redirectTo; the posts answer 401', async () => {
      const stranger = server.client();
      const page = await stranger.request(`/auth/step-up?redirectTo=${encodeURIComponent(APP)}`, { headers: { accept: 'text/html' } });
      assert.equal(page.status, 303);
      const signIn = new URL(page.headers.get('location')!, server.url);
      assert.equal(signIn.pathname, '/auth/sign-in');
      assert.equal(signIn.searchParams.get('redirectTo'), APP);
      assert.equal((await stranger.request('/auth/step-up', { method: 'POST', json: { code: '123456' } })).status, 401);
      assert.equal((await stranger.request('/auth/step-up/passkey', { method: 'POST', json: {} })).status, 401);
    });

    it('a form post without the CSRF token is refused and spends nothing; a redirect elsewhere is not followed', async () => {
      const { email, secret } = await totpAccount('csrf');
      const laptop = await signInByLink(email);
      const code = appCode(secret);
      const forged = await laptop.request('/auth/step-up', { method: 'POST', form: { code, redirectTo: APP }, csrf: false });
      assert.equal(forged.status, 403);
      assert.deepEqual((await session(laptop)).amr, ['email']);
      // The code was not spent; a redirect to a host no rule names is replaced by the default.
      const done = await laptop.request('/auth/step-up', { method: 'POST', form: { code, redirectTo: 'https://evil.example.net/' } });
      assert.equal(done.status, 303);
      assert.doesNotMatch(done.headers.get('location') ?? '', /evil/);
    });

    it('an account with no second factor is told where to set one up', async () => {
      const email = uniqueEmail('none');
      const laptop = await signInByLink(email);
      const page = await (await laptop.request('/auth/step-up', { headers: { accept: 'text/html' } })).text();
      assert.match(page, /href="\/auth\/account"/);
      assert.doesNotMatch(page, /id="step-up"|id="passkey-sign-in"/);
      assert.equal(await errorCode(await laptop.request('/auth/step-up', { method: 'POST', json: { code: '123456' } })), 'totp_not_enabled');
    });
  });
}
