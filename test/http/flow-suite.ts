// The sign-in flow over real HTTP, with mail read from a real SMTP server.
// Run on every store backend (flow-sqlite.test.ts, flow-postgres.test.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codeFrom, linkFrom, tokenFrom, type Client } from '../support/http-client.ts';
import { TestClock, type TestServer } from '../support/server.ts';
import type { SmtpSink } from '../support/smtp-sink.ts';
import type { Backend } from '../support/stores.ts';
import { skippedOn, useHttpServer } from '../support/http-suite.ts';

let counter = 0;
const uniqueEmail = (label: string) => `${label}.${Date.now()}.${++counter}@example.com`;

export function runFlowSuite(backend: Backend): void {
  describe(`sign-in flow over HTTP (${backend.name})`, async () => {
    if (await skippedOn(backend)) return;

    let sink!: SmtpSink;
    let server!: TestServer;
    const clock = new TestClock();
    const seen = new Set<object>();

    useHttpServer(backend, { now: clock.now }, (parts) => ({ sink, server } = parts));

    async function requestMail(client: Client, email: string, body: Record<string, unknown> = {}) {
      clock.advance(61); // one address gets at most one mail per resend interval (60 s)
      const response = await client.request('/auth/sign-in/email', { method: 'POST', json: { email, ...body } });
      assert.equal(response.status, 202);
      assert.deepEqual(await response.json(), { status: 'sent' });
      const message = await sink.waitFor((m) => m.to === email && !seen.has(m));
      seen.add(message);
      return message;
    }

    it('request → mail → GET verify (still valid) → POST verify → session → sign-out', async () => {
      const browser = server.client();
      const email = uniqueEmail('alice');
      const message = await requestMail(browser, email);
      const link = linkFrom(message.text);
      assert.ok(link.startsWith(`${server.url}/auth/verify?token=`), 'link built from the base URL');

      const page = await browser.request(link);
      assert.equal(page.status, 200);
      assert.equal(page.headers.get('cache-control'), 'no-store');
      assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
      // A second GET (a mail scanner) does not consume it either.
      assert.equal((await server.client().request(link)).status, 200);

      const verified = await browser.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(message.text) } });
      assert.equal(verified.status, 200);
      const body = (await verified.json()) as { user: { id: string; email: string }; session: { id: string; expiresAt: string } };
      assert.equal(body.user.email, email);
      const cookie = verified.headers.getSetCookie().find((c) => c.startsWith('latchkey_session='));
      assert.ok(cookie, 'session cookie set');
      assert.match(cookie, /HttpOnly/i);
      assert.match(cookie, /SameSite=Lax/i);
      assert.match(cookie, /Path=\//i);

      const session = await browser.request('/auth/session');
      assert.equal(session.status, 200);
      const current = (await session.json()) as { user: unknown; session: { amr: string[] } };
      assert.deepEqual(current.user, body.user);
      assert.deepEqual(current.session.amr, ['email'], 'signed in by the mailed link');

      const stolenCookie = browser.cookies.get('latchkey_session')!;
      assert.equal((await browser.request('/auth/sign-out', { method: 'POST' })).status, 204);
      const replay = server.client();
      replay.cookies.set('latchkey_session', stolenCookie);
      const after = await replay.request('/auth/session');
      assert.equal(after.status, 401);
      assert.equal(((await after.json()) as { error: { code: string } }).error.code, 'unauthenticated');
    });

    it('a used link is refused with token_used, and the same token never gives a second session', async () => {
      const browser = server.client();
      const message = await requestMail(browser, uniqueEmail('reuse'));
      const token = tokenFrom(message.text);
      assert.equal((await browser.request('/auth/verify', { method: 'POST', json: { token } })).status, 200);
      const again = await server.client().request('/auth/verify', { method: 'POST', json: { token } });
      assert.equal(again.status, 400);
      const error = ((await again.json()) as { error: { code: string; message: string; requestId: string } }).error;
      assert.equal(error.code, 'token_used');
      assert.equal(error.requestId, again.headers.get('x-request-id'));
    });

    it('50 parallel verifications of one token yield exactly one session', async () => {
      const message = await requestMail(server.client(), uniqueEmail('race'));
      const token = tokenFrom(message.text);
      const results = await Promise.all(
        Array.from({ length: 50 }, () => server.client().request('/auth/verify', { method: 'POST', json: { token } })),
      );
      const statuses = results.map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 200).length, 1, `statuses: ${statuses.join(',')}`);
      assert.equal(statuses.filter((s) => s === 400).length, 49);
    });

    it('an expired link is refused with token_expired', async () => {
      const message = await requestMail(server.client(), uniqueEmail('late'));
      clock.advance(601);
      try {
        const response = await server.client().request('/auth/verify', { method: 'POST', json: { token: tokenFrom(message.text) } });
        assert.equal(response.status, 400);
        assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'token_expired');
      } finally {
        clock.advance(-601);
      }
    });

    it('a newer request replaces the older link', async () => {
      const email = uniqueEmail('twice');
      const first = await requestMail(server.client(), email);
      const second = await requestMail(server.client(), email);
      const old = await server.client().request('/auth/verify', { method: 'POST', json: { token: tokenFrom(first.text) } });
      assert.equal(((await old.json()) as { error: { code: string } }).error.code, 'token_replaced');
      const fresh = await server.client().request('/auth/verify', { method: 'POST', json: { token: tokenFrom(second.text) } });
      assert.equal(fresh.status, 200);
    });

    it('the code from the email signs in on the device that asked', async () => {
      const browser = server.client();
      const email = uniqueEmail('code');
      const message = await requestMail(browser, email);
      const response = await browser.request('/auth/sign-in/code', { method: 'POST', json: { email, code: codeFrom(message.text) } });
      assert.equal(response.status, 200);
      assert.equal(((await response.json()) as { user: { email: string } }).user.email, email);
      assert.equal((await browser.request('/auth/session')).status, 200);
    });

    it('five wrong codes lock the code; the link in the same mail still signs in (issue #12 finding 2)', async () => {
      const email = uniqueEmail('guess');
      const message = await requestMail(server.client(), email);
      const right = codeFrom(message.text);
      const wrong = right === '000000' ? '111111' : '000000';
      const attacker = server.client();
      const codes: Array<[number, string]> = [];
      for (let i = 0; i < 5; i++) {
        const response = await attacker.request('/auth/sign-in/code', { method: 'POST', json: { email, code: wrong } });
        codes.push([response.status, ((await response.json()) as { error: { code: string } }).error.code]);
      }
      assert.deepEqual(codes.slice(0, 4), Array(4).fill([400, 'code_invalid']));
      assert.deepEqual(codes[4], [429, 'code_locked']);
      const late = await server.client().request('/auth/sign-in/code', { method: 'POST', json: { email, code: right } });
      assert.equal(late.status, 429);
      // Wrong codes guess at the code, never at the link: they must not deny the owner.
      const link = await server.client().request('/auth/verify', { method: 'POST', json: { token: tokenFrom(message.text) } });
      assert.equal(link.status, 200);
    });

    it('unknown and known addresses get the same answer', async () => {
      const known = uniqueEmail('known');
      const knownMessage = await requestMail(server.client(), known);
      await server.client().request('/auth/verify', { method: 'POST', json: { token: tokenFrom(knownMessage.text) } });
      const answers = [];
      const stranger = uniqueEmail('stranger');
      for (const email of [known, stranger]) {
        const response = await server.client().request('/auth/sign-in/email', { method: 'POST', json: { email } });
        answers.push({ status: response.status, body: await response.text(), type: response.headers.get('content-type') });
      }
      assert.deepEqual(answers[0], answers[1]);
      // Open signup mails the stranger: wait for it, or it lands in the next case's count.
      await sink.waitFor((m) => m.to === stranger);
    });

    it('refuses malformed and non-string emails with 400 invalid_email and sends nothing', async () => {
      const before = sink.messages.length;
      for (const email of ['not-an-email', 'a@b@example.com', '"quoted"@example.com', ['a@example.com'], 42, 'x@example.com\r\nBcc: y@example.com']) {
        const response = await server.client().request('/auth/sign-in/email', { method: 'POST', json: { email } });
        assert.equal(response.status, 400, `status for ${JSON.stringify(email)}`);
        assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'invalid_email');
      }
      assert.equal(sink.messages.length, before);
    });

    it('builds links from the base URL, never the Host header', async () => {
      const email = uniqueEmail('host');
      const response = await server.client().request('/auth/sign-in/email', {
        method: 'POST',
        json: { email },
        headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example' },
      });
      assert.equal(response.status, 202);
      const message = await sink.waitFor((m) => m.to === email);
      assert.ok(linkFrom(message.text).startsWith(`${server.url}/`));
    });

    it('the GET page auto-continues only in the browser that asked; elsewhere it names the account and waits', async () => {
      const browser = server.client();
      const email = uniqueEmail('devices');
      const message = await requestMail(browser, email);
      const link = linkFrom(message.text);
      const same = await (await browser.request(link)).text();
      assert.match(same, /data-auto-submit="true"/);
      assert.match(same, /src="\/auth\/assets\/verify\.js"/);
      const other = await (await server.client().request(link)).text();
      assert.doesNotMatch(other, /data-auto-submit/);
      assert.doesNotMatch(other, /<script/);
      // The visible text (the address is wrapped in a span that keeps it on one line).
      assert.match(other.replace(/<[^>]+>/g, ''), /Sign in as d…@example\.com\?/);
    });

    it('a form verify redirects to the checked redirectTo, never to a foreign origin', async () => {
      const browser = server.client();
      const email = uniqueEmail('redirect');
      const good = await requestMail(browser, email, { redirectTo: '/app/welcome?x=1' });
      const ok = await browser.request('/auth/verify', { method: 'POST', form: { token: tokenFrom(good.text) } });
      assert.equal(ok.status, 303);
      assert.equal(ok.headers.get('location'), '/app/welcome?x=1');
      const evil = await requestMail(browser, email, { redirectTo: 'https://evil.example/phish' });
      const fallback = await browser.request('/auth/verify', { method: 'POST', form: { token: tokenFrom(evil.text) } });
      assert.equal(fallback.headers.get('location'), '/auth/account');
    });

    it('refuses a cross-site form post (login CSRF)', async () => {
      const message = await requestMail(server.client(), uniqueEmail('csrf'));
      const victim = server.client();
      const response = await victim.request('/auth/verify', {
        method: 'POST',
        form: { token: tokenFrom(message.text) },
        headers: { origin: 'https://evil.example' },
      });
      assert.equal(response.status, 403);
      assert.equal(victim.cookies.has('latchkey_session'), false);
    });

    it('lists your sessions and revokes only your own', async () => {
      const email = uniqueEmail('devices2');
      const laptop = server.client('Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Firefox/131.0');
      const phone = server.client('Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/605.1');
      for (const device of [laptop, phone]) {
        const message = await requestMail(device, email);
        assert.equal((await device.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(message.text) } })).status, 200);
      }
      const listed = (await (await laptop.request('/auth/sessions')).json()) as {
        sessions: Array<{ id: string; current: boolean; userAgent: string }>;
      };
      assert.equal(listed.sessions.length, 2);
      assert.equal(listed.sessions.filter((s) => s.current).length, 1);
      const phoneSession = listed.sessions.find((s) => !s.current)!;
      assert.match(phoneSession.userAgent, /iPhone/);

      const outsider = server.client();
      const outsiderMail = await requestMail(outsider, uniqueEmail('outsider'));
      await outsider.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(outsiderMail.text) } });
      assert.equal((await outsider.request(`/auth/sessions/${phoneSession.id}`, { method: 'DELETE' })).status, 404);
      assert.equal((await phone.request('/auth/session')).status, 200);

      assert.equal((await laptop.request(`/auth/sessions/${phoneSession.id}`, { method: 'DELETE' })).status, 204);
      assert.equal((await phone.request('/auth/session')).status, 401);
      assert.equal((await laptop.request('/auth/session')).status, 200);
    });

    it("replaces a client's own X-Request-Id, well-formed or not (only a trusted proxy's is kept)", async () => {
      const own = await server.client().request('/auth/session', { headers: { 'x-request-id': 'abc-123_XYZ-req' } });
      assert.match(own.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
      assert.equal(((await own.json()) as { error: { requestId: string } }).error.requestId, own.headers.get('x-request-id'));
      const replaced = await server.client().request('/auth/session', { headers: { 'x-request-id': 'bad id\twith<chars>' } });
      assert.match(replaced.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    });

    it('expires idle sessions on the server', async () => {
      const browser = server.client();
      const message = await requestMail(browser, uniqueEmail('idle'));
      await browser.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(message.text) } });
      clock.advance(7 * 86_400 + 1);
      try {
        assert.equal((await browser.request('/auth/session')).status, 401);
      } finally {
        clock.advance(-(7 * 86_400 + 1));
      }
    });

    it('answers health and version', async () => {
      const health = await server.client().request('/healthz');
      assert.deepEqual([health.status, await health.json()], [200, { status: 'ok' }]);
      const version = (await (await server.client().request('/version')).json()) as { version: string };
      const pkg = (await import('../../package.json', { with: { type: 'json' } })).default;
      assert.equal(version.version, pkg.version);
    });
  });
}
