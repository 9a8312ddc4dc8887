// TOTP and recovery codes over real HTTP, with sign-in mail read from a real
// SMTP server, on SQLite and PostgreSQL: enrolment, the second-factor step after
// an email link or code, replay, the ±1 step window, recovery codes, attempt
// limits, the account's settings and the hosted pages.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { totpCode } from '../../src/core/totp.ts';
import { codeFrom, tokenFrom, type Client } from '../support/http-client.ts';
import { TestClock, type TestServer } from '../support/server.ts';
import type { SmtpSink } from '../support/smtp-sink.ts';
import { BACKENDS } from '../support/stores.ts';
import { skippedOn, useHttpServer } from '../support/http-suite.ts';

let counter = 0;
const uniqueEmail = (label: string) => `${label}.${Date.now()}.${++counter}@example.com`;
const PENDING_COOKIE = 'latchkey_second_factor';
const FAILURES_BEFORE_DELAY = 8;

type ErrorBody = { error: { code: string } };
const errorCode = async (response: Response) => ((await response.json()) as ErrorBody).error.code;

for (const backend of BACKENDS) {
  describe(`two-factor over HTTP (${backend.name})`, async () => {
    if (await skippedOn(backend)) return;

    let sink!: SmtpSink;
    let server!: TestServer;
    const clock = new TestClock();
    const seen = new Set<object>();

    useHttpServer(backend, {
      now: clock.now,
      // Many sign-in mails to one address in a few (real) seconds; the address caps are tested elsewhere.
      limits: { accountFailuresBeforeDelay: FAILURES_BEFORE_DELAY, mailsPerAddressPer15Minutes: 100, mailsPerAddressPerDay: 1000 },
    }, (parts) => ({ sink, server } = parts));

    /** The code an authenticator app shows now (the server's clock), `steps` steps away. */
    const appCode = (secret: string, steps = 0) => totpCode(secret, clock.now() + steps * 30_000);

    async function mail(client: Client, email: string) {
      clock.advance(61); // one mail per address per resend interval
      const response = await client.request('/auth/sign-in/email', { method: 'POST', json: { email } });
      assert.equal(response.status, 202);
      // The sign-in mail, not a security notice that may arrive meanwhile.
      const message = await sink.waitFor((m) => m.to === email && !seen.has(m) && /^Sign in to /.test(m.subject));
      seen.add(message);
      return message;
    }

    async function linkSignIn(client: Client, email: string) {
      const message = await mail(client, email);
      return client.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(message.text) } });
    }

    /** A new account with TOTP on; `browser` keeps its (recent) session. */
    async function totpAccount(label: string) {
      const email = uniqueEmail(label);
      const browser = server.client();
      assert.equal((await linkSignIn(browser, email)).status, 200);
      const enrol = await browser.request('/auth/totp/enrol', { method: 'POST' });
      assert.equal(enrol.status, 200);
      const { secret, otpauthUri, qrCodeSvg } = (await enrol.json()) as { secret: string; otpauthUri: string; qrCodeSvg: string };
      assert.match(otpauthUri, /^otpauth:\/\/totp\//);
      assert.match(qrCodeSvg, /^<svg /);
      const confirm = await browser.request('/auth/totp/confirm', { method: 'POST', json: { code: appCode(secret) } });
      assert.equal(confirm.status, 200);
      const { recoveryCodes } = (await confirm.json()) as { recoveryCodes: string[] };
      return { email, browser, secret, recoveryCodes };
    }

    /** Email sign-in of a TOTP account from a new device: stops at the second factor. */
    async function pendingDevice(email: string) {
      const device = server.client();
      const response = await linkSignIn(device, email);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { status: 'second_factor_required' });
      return device;
    }

    it('enrolment: off until a first code confirms it, then on with ten recovery codes', async () => {
      const email = uniqueEmail('enrol');
      const browser = server.client();
      assert.equal((await linkSignIn(browser, email)).status, 200);
      const before = (await (await browser.request('/auth/totp')).json()) as Record<string, unknown>;
      assert.deepEqual(before, { enabled: false, enabledAt: null, enrolling: false, emailSignInRequiresTotp: false, recoveryCodesLeft: 0 });

      const { secret } = (await (await browser.request('/auth/totp/enrol', { method: 'POST' })).json()) as { secret: string };
      assert.equal(((await (await browser.request('/auth/totp')).json()) as { enrolling: boolean }).enrolling, true);
      // Not on yet: email alone still signs in.
      assert.equal((await linkSignIn(server.client(), email)).status, 200);

      const wrong = appCode(secret, 5);
      const refused = await browser.request('/auth/totp/confirm', { method: 'POST', json: { code: wrong } });
      assert.equal(refused.status, 400);
      assert.equal(await errorCode(refused), 'totp_invalid');

      const confirmed = await browser.request('/auth/totp/confirm', { method: 'POST', json: { code: appCode(secret) } });
      assert.equal(confirmed.status, 200);
      assert.equal(confirmed.headers.get('cache-control'), 'no-store');
      const { recoveryCodes } = (await confirmed.json()) as { recoveryCodes: string[] };
      assert.equal(new Set(recoveryCodes).size, 10);
      const status = (await (await browser.request('/auth/totp')).json()) as Record<string, unknown>;
      assert.equal(status.enabled, true);
      assert.equal(status.emailSignInRequiresTotp, true);
      assert.equal(status.recoveryCodesLeft, 10);

      const again = await browser.request('/auth/totp/enrol', { method: 'POST' });
      assert.equal(again.status, 409);
      assert.equal(await errorCode(again), 'totp_already_enabled');
      const audit = await server.latchkey.store.listAudit({ email });
      assert.ok(audit.some((e) => e.type === 'totp.enabled'));
      assert.ok(audit.every((e) => !JSON.stringify(e).includes(secret)), 'the secret is not in the audit trail');
    });

    it('magic link of a TOTP account: second_factor_required, no session, then TOTP completes it (mail over SMTP)', async () => {
      const { email, secret } = await totpAccount('link');
      const device = await pendingDevice(email);
      assert.equal(device.cookies.has('latchkey_session'), false, 'no session before the second factor');
      assert.ok(device.cookies.get(PENDING_COOKIE));
      assert.equal((await device.request('/auth/session')).status, 401);

      const done = await device.request('/auth/sign-in/totp', { method: 'POST', json: { code: appCode(secret) } });
      assert.equal(done.status, 200);
      const body = (await done.json()) as { user: { email: string } };
      assert.equal(body.user.email, email);
      const cookie = done.headers.getSetCookie().find((c) => c.startsWith('latchkey_session='));
      assert.match(cookie ?? '', /HttpOnly/i);
      assert.equal(device.cookies.has(PENDING_COOKIE), false, 'the pending cookie is cleared');
      const session = await device.request('/auth/session');
      assert.equal(session.status, 200);
      assert.deepEqual(((await session.json()) as { session: { amr: string[] } }).session.amr, ['email', 'otp'], 'the session knows it passed two factors');
      const succeeded = await server.latchkey.store.listAudit({ email, type: 'sign_in.succeeded' });
      assert.equal(succeeded[0]?.reason, 'link+totp');
    });

    it('the pending cookie is HttpOnly, short-lived, and names nothing', async () => {
      const { email } = await totpAccount('cookie');
      const device = server.client();
      const response = await linkSignIn(device, email);
      const cookie = response.headers.getSetCookie().find((c) => c.startsWith(`${PENDING_COOKIE}=`)) ?? '';
      assert.match(cookie, /HttpOnly/i);
      assert.match(cookie, /SameSite=Lax/i);
      const maxAge = Number(/Max-Age=(\d+)/i.exec(cookie)?.[1]);
      assert.ok(maxAge > 0 && maxAge <= 300, `Max-Age ${maxAge}`);
      assert.match(device.cookies.get(PENDING_COOKIE) ?? '', /^[A-Za-z0-9_-]{43}$/);
    });

    it('the email code path stops at the second factor too', async () => {
      const { email, secret } = await totpAccount('code');
      const device = server.client();
      const message = await mail(device, email);
      const response = await device.request('/auth/sign-in/code', { method: 'POST', json: { email, code: codeFrom(message.text) } });
      assert.deepEqual(await response.json(), { status: 'second_factor_required' });
      assert.equal((await device.request('/auth/sign-in/totp', { method: 'POST', json: { code: appCode(secret) } })).status, 200);
    });

    it('a code is refused a second time within its window, on another device too; the next step works', async () => {
      const { email, secret } = await totpAccount('replay');
      const first = await pendingDevice(email);
      const second = await pendingDevice(email);
      const code = appCode(secret);
      assert.equal((await first.request('/auth/sign-in/totp', { method: 'POST', json: { code } })).status, 200);
      const replay = await second.request('/auth/sign-in/totp', { method: 'POST', json: { code } });
      assert.equal(replay.status, 400);
      assert.equal(await errorCode(replay), 'totp_reused');
      assert.equal(second.cookies.has('latchkey_session'), false);
      clock.advance(30);
      assert.equal((await second.request('/auth/sign-in/totp', { method: 'POST', json: { code: appCode(secret) } })).status, 200);
    });

    it('the same fresh code sent 10 times in parallel gives one session', async () => {
      const { email, secret } = await totpAccount('race');
      // One after another: a newer mail replaces the older link.
      const devices = [await pendingDevice(email), await pendingDevice(email), await pendingDevice(email)];
      const code = appCode(secret);
      const results = await Promise.all(
        [...devices, ...devices, ...devices, devices[0]!].map((d) => d.request('/auth/sign-in/totp', { method: 'POST', json: { code } })),
      );
      const statuses = results.map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 200).length, 1, `statuses: ${statuses.join(',')}`);
    });

    it('accepts the code of the step before or after, refuses two steps away', async () => {
      const { email, secret } = await totpAccount('drift');
      clock.advance(120); // well past the confirming step
      for (const steps of [-2, 2]) {
        const device = await pendingDevice(email);
        const code = appCode(secret, steps);
        const near = [-1, 0, 1].map((s) => appCode(secret, s));
        if (near.includes(code)) continue; // a 1-in-10^6 collision, not a drift
        const response = await device.request('/auth/sign-in/totp', { method: 'POST', json: { code } });
        assert.equal(await errorCode(response), 'totp_invalid', `${steps} steps`);
      }
      // -1 first: after +1 has been used, the older step is a replay.
      for (const steps of [-1, 1]) {
        const device = await pendingDevice(email);
        const response = await device.request('/auth/sign-in/totp', { method: 'POST', json: { code: appCode(secret, steps) } });
        assert.equal(response.status, 200, `${steps} steps`);
      }
    });

    it('a recovery code completes the step once', async () => {
      const { email, browser, recoveryCodes } = await totpAccount('recovery');
      const [code] = recoveryCodes as [string];
      const device = await pendingDevice(email);
      const done = await device.request('/auth/sign-in/totp', { method: 'POST', json: { recoveryCode: code.toUpperCase() } });
      assert.equal(done.status, 200);
      const other = await pendingDevice(email);
      const again = await other.request('/auth/sign-in/totp', { method: 'POST', json: { recoveryCode: code } });
      assert.equal(again.status, 400);
      assert.equal(await errorCode(again), 'recovery_code_invalid');
      assert.equal(((await (await browser.request('/auth/totp')).json()) as { recoveryCodesLeft: number }).recoveryCodesLeft, 9);
      const succeeded = await server.latchkey.store.listAudit({ email, type: 'sign_in.succeeded' });
      assert.equal(succeeded[0]?.reason, 'link+recovery_code');
      // The owner hears of it, without the code itself.
      const notice = await sink.waitFor((m) => m.to === email && /recovery code was used/.test(m.subject));
      assert.match(notice.text, /\/auth\/account/);
      assert.ok(!notice.text.includes(code) && !notice.html.includes(code), 'the spent code is not in the notice');
    });

    it('five wrong codes end the step: even the right code is refused after', async () => {
      const { email, secret } = await totpAccount('guess');
      const device = await pendingDevice(email);
      const pending = device.cookies.get(PENDING_COOKIE)!;
      const right = appCode(secret);
      const wrong = right === '000000' ? '111111' : '000000';
      const codes: string[] = [];
      for (let i = 0; i < 5; i++) {
        device.cookies.set(PENDING_COOKIE, pending);
        codes.push(await errorCode(await device.request('/auth/sign-in/totp', { method: 'POST', json: { code: wrong } })));
      }
      assert.deepEqual(codes, ['totp_invalid', 'totp_invalid', 'totp_invalid', 'totp_invalid', 'second_factor_locked']);
      device.cookies.set(PENDING_COOKIE, pending);
      const locked = await device.request('/auth/sign-in/totp', { method: 'POST', json: { code: right } });
      assert.equal(locked.status, 429);
      assert.equal(await errorCode(locked), 'second_factor_locked');
      assert.equal(device.cookies.has('latchkey_session'), false);
    });

    it(`wrong codes across steps after the link count for the email path: after ${FAILURES_BEFORE_DELAY} email codes are delayed, the owner's link + TOTP is not`, async () => {
      const { email, secret } = await totpAccount('delay');
      const wrong = (code: string) => (code === '000000' ? '111111' : '000000');
      let failures = 0;
      while (failures < FAILURES_BEFORE_DELAY) {
        const device = await pendingDevice(email);
        for (let i = 0; i < 4 && failures < FAILURES_BEFORE_DELAY; i++, failures++) {
          const response = await device.request('/auth/sign-in/totp', { method: 'POST', json: { code: wrong(appCode(secret)) } });
          assert.equal(await errorCode(response), 'totp_invalid');
        }
      }
      const byCode = server.client();
      const message = await mail(byCode, email);
      const delayed = await byCode.request('/auth/sign-in/code', { method: 'POST', json: { email, code: codeFrom(message.text) } });
      assert.equal(delayed.status, 429);
      assert.equal(await errorCode(delayed), 'rate_limited');
      const denied = await server.latchkey.store.listAudit({ email, type: 'policy.denied' });
      assert.ok(denied.some((e) => e.reason === 'account_delay'));
      // Issue #12 finding 2: the step after a proven first factor has its own cap, not the delay others can drive.
      const device = await pendingDevice(email);
      clock.advance(30);
      assert.equal((await device.request('/auth/sign-in/totp', { method: 'POST', json: { code: appCode(secret) } })).status, 200);
    });

    it('the step expires after 5 minutes', async () => {
      const { email, secret } = await totpAccount('late');
      const device = await pendingDevice(email);
      clock.advance(301);
      const response = await device.request('/auth/sign-in/totp', { method: 'POST', json: { code: appCode(secret) } });
      assert.equal(response.status, 400);
      assert.equal(await errorCode(response), 'second_factor_expired');
      const none = await server.client().request('/auth/sign-in/totp', { method: 'POST', json: { code: appCode(secret) } });
      assert.equal(await errorCode(none), 'second_factor_expired');
    });

    it('the account may let email sign-in skip TOTP; turning that on again needs no code, turning it off does', async () => {
      const { email, browser, secret } = await totpAccount('setting');
      const noCode = await browser.request('/auth/totp/settings', { method: 'POST', json: { emailSignInRequiresTotp: false } });
      assert.equal(await errorCode(noCode), 'totp_invalid');
      clock.advance(30);
      const off = await browser.request('/auth/totp/settings', { method: 'POST', json: { emailSignInRequiresTotp: false, code: appCode(secret) } });
      assert.equal(off.status, 204);
      const direct = await linkSignIn(server.client(), email);
      assert.equal(direct.status, 200);
      assert.ok(((await direct.json()) as { user?: unknown }).user, 'email alone signs in now');
      // linkSignIn moved the clock 61 s: the browser's sign-in is still recent.
      const on = await browser.request('/auth/totp/settings', { method: 'POST', json: { emailSignInRequiresTotp: true } });
      assert.equal(on.status, 204);
      await pendingDevice(email);
    });

    it('turning TOTP off needs a recent sign-in and a current code (or a recovery code)', async () => {
      const { email, browser, secret, recoveryCodes } = await totpAccount('disable');
      clock.advance(601);
      try {
        const stale = await browser.request('/auth/totp/disable', { method: 'POST', json: { code: appCode(secret) } });
        assert.equal(stale.status, 403);
        assert.equal(await errorCode(stale), 'reauthentication_required');
        const regenerate = await browser.request('/auth/totp/recovery-codes', { method: 'POST' });
        assert.equal(await errorCode(regenerate), 'reauthentication_required');
      } finally {
        clock.advance(-601);
      }
      const wrong = await browser.request('/auth/totp/disable', { method: 'POST', json: { code: appCode(secret, 4) } });
      assert.equal(await errorCode(wrong), 'totp_invalid');
      const off = await browser.request('/auth/totp/disable', { method: 'POST', json: { recoveryCode: recoveryCodes[3] } });
      assert.equal(off.status, 204);
      const notice = await sink.waitFor((m) => m.to === email && /Two-factor authentication was turned off/.test(m.subject));
      assert.ok(notice.text.includes(new URL('/auth/account', server.url).href), 'it leads to the account page, where the owner can act');
      assert.equal(notice.headers.get('x-latchkey-request-id'), off.headers.get('x-request-id'), 'the notice carries the request that caused it');
      assert.equal(((await (await browser.request('/auth/totp')).json()) as { enabled: boolean }).enabled, false);
      const direct = await linkSignIn(server.client(), email);
      assert.ok(((await direct.json()) as { user?: unknown }).user, 'email alone signs in again');
    });

    it('new recovery codes replace the old ones', async () => {
      const { email, browser, recoveryCodes } = await totpAccount('regenerate');
      const response = await browser.request('/auth/totp/recovery-codes', { method: 'POST' });
      assert.equal(response.status, 200);
      const fresh = ((await response.json()) as { recoveryCodes: string[] }).recoveryCodes;
      assert.equal(fresh.length, 10);
      const device = await pendingDevice(email);
      assert.equal(await errorCode(await device.request('/auth/sign-in/totp', { method: 'POST', json: { recoveryCode: recoveryCodes[0] } })), 'recovery_code_invalid');
      assert.equal((await device.request('/auth/sign-in/totp', { method: 'POST', json: { recoveryCode: fresh[0] } })).status, 200);
    });

    it('settings need a session', async () => {
      const anonymous = server.client();
      for (const path of ['/auth/totp/enrol', '/auth/totp/confirm', '/auth/totp/disable', '/auth/totp/recovery-codes', '/auth/totp/settings']) {
        const response = await anonymous.request(path, { method: 'POST', json: { code: '123456', emailSignInRequiresTotp: true } });
        assert.equal(response.status, 401, path);
      }
      assert.equal((await anonymous.request('/auth/totp')).status, 401);
    });

    it('hosted pages: enrolment with the QR code, recovery codes once, the second-factor page, without inline script', async () => {
      const email = uniqueEmail('pages');
      const browser = server.client();
      const message = await mail(browser, email);
      const verified = await browser.request('/auth/verify', { method: 'POST', form: { token: tokenFrom(message.text) } });
      assert.equal(verified.status, 303);

      const off = await (await browser.request('/auth/account')).text();
      assert.match(off, /action="\/auth\/totp\/enrol"/);
      const started = await browser.request('/auth/totp/enrol', { method: 'POST', form: {} });
      assert.equal(started.status, 303);
      assert.equal(started.headers.get('location'), '/auth/account#two-factor');
      const account = await browser.request('/auth/account');
      const csp = account.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self'/);
      assert.doesNotMatch(csp, /unsafe-inline/);
      assert.match(csp, /img-src [^;]*data:/);
      const page = await account.text();
      assert.doesNotMatch(page, /<script(?![^>]*\bsrc=)/, 'no inline script');
      const qr = /<img src="data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)"[^>]*alt="[^"]+"/.exec(page);
      assert.ok(qr, 'the QR code is an inline data: image with a text alternative');
      assert.match(Buffer.from(qr[1]!, 'base64').toString(), /^<svg /);
      const secret = /data-testid="totp-secret">([A-Z2-7 ]+)</.exec(page)?.[1]?.replaceAll(' ', '');
      assert.ok(secret && secret.length === 32, 'the key is shown as text too');
      assert.match(page, /name="code" class="code" inputmode="numeric" autocomplete="one-time-code"/);

      const wrong = await browser.request('/auth/totp/confirm', { method: 'POST', form: { code: appCode(secret, 5) } });
      assert.equal(wrong.status, 303);
      assert.equal(wrong.headers.get('location'), '/auth/account?totp=totp_invalid#two-factor');
      assert.match(await (await browser.request('/auth/account?totp=totp_invalid')).text(), /role="alert">That code is not right/);

      const shown = await browser.request('/auth/totp/confirm', { method: 'POST', form: { code: appCode(secret) } });
      assert.equal(shown.status, 200);
      const codesPage = await shown.text();
      const codes = [...codesPage.matchAll(/<li><code>([0-9a-z-]{19})<\/code><\/li>/g)].map((m) => m[1]!);
      assert.equal(codes.length, 10);
      const later = await (await browser.request('/auth/account')).text();
      assert.equal(codes.some((code) => later.includes(code)), false, 'shown once, never again');
      assert.match(later, /data-testid="totp-status">On since/);

      // A new device signs in by link with the form, lands on the second-factor page.
      const device = server.client();
      const second = await mail(device, email);
      const stepped = await device.request('/auth/verify', { method: 'POST', form: { token: tokenFrom(second.text) } });
      assert.equal(stepped.status, 303);
      assert.equal(stepped.headers.get('location'), '/auth/sign-in/totp');
      const stepPage = await (await device.request('/auth/sign-in/totp')).text();
      assert.match(stepPage, /<input id="code" name="code" class="code" inputmode="numeric" autocomplete="one-time-code"/);
      assert.match(stepPage, /href="\/auth\/sign-in\/totp\?method=recovery"/);
      assert.doesNotMatch(stepPage, /<script(?![^>]*\bsrc=)/);
      const recoveryPage = await (await device.request('/auth/sign-in/totp?method=recovery')).text();
      assert.match(recoveryPage, /name="recoveryCode"/);
      const retry = await device.request('/auth/sign-in/totp', { method: 'POST', form: { code: appCode(secret, 7) } });
      assert.equal(retry.status, 400);
      assert.match(await retry.text(), /aria-invalid="true"/);
      clock.advance(30);
      const done = await device.request('/auth/sign-in/totp', { method: 'POST', form: { code: appCode(secret) } });
      assert.equal(done.status, 303);
      assert.equal(done.headers.get('location'), '/auth/account');
      assert.equal((await device.request('/auth/session')).status, 200);

      // Disable from the account page: the one field takes a recovery code too.
      const disabled = await browser.request('/auth/totp/disable', { method: 'POST', form: { code: codes[0]! } });
      assert.equal(disabled.status, 303);
      assert.match(await (await browser.request('/auth/account')).text(), /action="\/auth\/totp\/enrol"/);
    });

    it('the second-factor page without a pending step explains and offers sign-in', async () => {
      const response = await server.client().request('/auth/sign-in/totp', { headers: { accept: 'text/html' } });
      assert.equal(response.status, 400);
      assert.match(await response.text(), /data-error-code="second_factor_expired"/);
    });
  });
}
