// Forward-auth endpoints over real HTTP, without a proxy in front (issue #16):
// what a client reaching Latchkey directly can and cannot steer, the redirect
// after sign-in, and what the audit trail and the metrics keep.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DevMailbox } from '../../src/mail/dev-mailbox.ts';
import type { Store } from '../../src/store/store.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { sqliteBackend } from '../support/stores.ts';

const RULES = { rules: [{ host: 'app.example.test', allow: ['@example.org'] }, { host: '*.tools.example.test', path: '/admin', allow: ['ada@example.org'] }] };

async function sessionCookie(server: TestServer, mailbox: DevMailbox, email: string, redirectTo?: string, verifier = server): Promise<{ cookie: string; redirectTo: string }> {
  await server.latchkey.requestSignIn({ email, redirectTo }, { ip: '127.0.0.1' });
  for (let i = 0; i < 100 && !mailbox.list().some((m) => m.to === email); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  const message = mailbox.list().find((m) => m.to === email)!;
  const token = /token=([A-Za-z0-9_-]{43})/.exec(message.text)![1]!;
  const result = await verifier.latchkey.verify(token);
  assert.equal(result.ok && result.status, 'signed_in');
  if (!result.ok || result.status !== 'signed_in') throw new Error('not signed in');
  return { cookie: `latchkey_session=${result.sessionToken}`, redirectTo: result.redirectTo };
}

function ask(server: TestServer, path: string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${server.url}${path}`, { headers, redirect: 'manual' });
}

describe('forward-auth endpoints', () => {
  let trusted: TestServer;
  let untrusted: TestServer;
  let store: Store;
  const mailbox = new DevMailbox();

  before(async () => {
    store = (await sqliteBackend.open())!;
    trusted = await startTestServer({ store, mailer: mailbox, trustedProxies: ['127.0.0.1'], accessRules: RULES, cookieDomain: null });
    untrusted = await startTestServer({ store, mailer: mailbox, accessRules: RULES });
  });
  after(async () => {
    await trusted.close();
    await untrusted.close();
    await store.close();
  });

  it('forwarded headers from an address not in LATCHKEY_TRUSTED_PROXIES are not believed', async () => {
    const { cookie } = await sessionCookie(untrusted, mailbox, 'bob@example.org');
    const nginx = await ask(untrusted, '/auth/auth-request', { cookie, 'x-original-url': 'http://app.example.test/' });
    assert.equal(nginx.status, 403);
    assert.equal(nginx.headers.get('remote-email'), null);
    const caddy = await ask(untrusted, '/auth/forward-auth', { cookie, 'x-forwarded-proto': 'http', 'x-forwarded-host': 'app.example.test', 'x-forwarded-uri': '/' });
    assert.equal(caddy.status, 403);
    assert.equal(((await caddy.json()) as { error: { code: string } }).error.code, 'access_denied');
    const reasons = (await store.listAudit({ type: 'forward_auth.denied' })).map((e) => e.reason);
    assert.deepEqual(reasons.filter((r) => r === 'untrusted_proxy').length, 2);
  });

  it('from a trusted proxy: 200 with the identity headers and nothing of the request echoed', async () => {
    const { cookie } = await sessionCookie(trusted, mailbox, 'carol@example.org');
    const user = await store.findUserByEmail('carol@example.org');
    const answer = await ask(trusted, '/auth/forward-auth', {
      cookie,
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'App.Example.Test:443',
      'x-forwarded-uri': '/x?y=1',
      'remote-email': 'ada@example.org',
      'x-custom': 'echo?',
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('remote-email'), 'carol@example.org');
    assert.equal(answer.headers.get('remote-user'), user!.id);
    assert.equal(answer.headers.get('x-custom'), null);
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    assert.equal(await answer.text(), '');
    // A complete empty answer, not an empty chunked one (a second write on every proxied request).
    assert.equal(answer.headers.get('content-length'), '0');
    assert.equal(answer.headers.get('transfer-encoding'), null);
    // The fast path, read by the proxy only, keeps the request ID but no page headers (a refusal keeps them: below).
    assert.equal(answer.headers.get('content-security-policy'), null);
    assert.match(answer.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    // The nginx endpoint reads only X-Original-URL: the forwarded set sent to it decides nothing.
    const wrongSet = await ask(trusted, '/auth/auth-request', { cookie, 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.test' });
    assert.equal(wrongSet.status, 403);
  });

  it('not signed in: nginx gets 401 with the sign-in URL; forward-auth sends a browser there and tells an API call 401', async () => {
    const nginx = await ask(trusted, '/auth/auth-request', { 'x-original-url': 'http://app.example.test/reports?week=3' });
    assert.equal(nginx.status, 401);
    const signIn = new URL(nginx.headers.get('location')!);
    assert.equal(signIn.origin, trusted.url);
    assert.equal(signIn.searchParams.get('redirectTo'), 'http://app.example.test/reports?week=3');
    const forwarded = { 'x-forwarded-proto': 'http', 'x-forwarded-host': 'app.example.test', 'x-forwarded-uri': '/reports' };
    const browser = await ask(trusted, '/auth/forward-auth', { ...forwarded, accept: 'text/html,*/*;q=0.8' });
    assert.equal(browser.status, 302);
    assert.equal(new URL(browser.headers.get('location')!).searchParams.get('redirectTo'), 'http://app.example.test/reports');
    const api = await ask(trusted, '/auth/forward-auth', { ...forwarded, accept: 'application/json' });
    assert.equal(api.status, 401);
    assert.equal(api.headers.get('location'), null);
  });

  it('signed in, not allowed: 403 with a small page for a browser', async () => {
    const { cookie } = await sessionCookie(trusted, mailbox, 'eve@example.com');
    const answer = await ask(trusted, '/auth/forward-auth', {
      cookie,
      accept: 'text/html',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'app.example.test',
      'x-forwarded-uri': '/',
    });
    assert.equal(answer.status, 403);
    assert.match(await answer.text(), /data-error-code="access_denied"/);
    // The proxy passes this answer to the browser on the app's host: it sets no cookie there, and keeps the page headers.
    assert.deepEqual(answer.headers.getSetCookie(), []);
    assert.match(answer.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.equal(answer.headers.get('x-content-type-options'), 'nosniff');
  });

  it('oversized or malformed original URLs are refused before any work, and a host with a path or credentials is no host', async () => {
    const cases: Record<string, string>[] = [
      { 'x-original-url': `http://app.example.test/${'a'.repeat(9000)}` },
      { 'x-original-url': 'not a url' },
      { 'x-original-url': 'http://evil.org@app.example.test/' },
      { 'x-original-url': 'ftp://app.example.test/' },
    ];
    for (const headers of cases) assert.equal((await ask(trusted, '/auth/auth-request', headers)).status, 403, JSON.stringify(headers).slice(0, 80));
    const forwarded: Record<string, string>[] = [
      { 'x-forwarded-proto': 'http', 'x-forwarded-host': 'evil.org/x?@app.example.test', 'x-forwarded-uri': '/' },
      { 'x-forwarded-proto': 'http', 'x-forwarded-host': 'app.example.test, evil.org', 'x-forwarded-uri': '/' },
      { 'x-forwarded-proto': 'gopher', 'x-forwarded-host': 'app.example.test', 'x-forwarded-uri': '/' },
      { 'x-forwarded-proto': 'http', 'x-forwarded-host': 'app.example.test', 'x-forwarded-uri': '//evil.org/' },
      { 'x-forwarded-proto': 'http', 'x-forwarded-host': 'a'.repeat(300), 'x-forwarded-uri': '/' },
    ];
    for (const headers of forwarded) assert.equal((await ask(trusted, '/auth/forward-auth', headers)).status, 403, JSON.stringify(headers).slice(0, 80));
  });

  it('the redirect after sign-in goes to a protected host only, checked when the link is issued and again when it is used', async () => {
    assert.equal((await sessionCookie(trusted, mailbox, 'dan@example.org', 'http://app.example.test/welcome')).redirectTo, 'http://app.example.test/welcome');
    assert.equal((await sessionCookie(trusted, mailbox, 'dan2@example.org', 'http://x.tools.example.test/admin')).redirectTo, 'http://x.tools.example.test/admin');
    assert.equal((await sessionCookie(trusted, mailbox, 'dan3@example.org', 'http://unprotected.example.test/')).redirectTo, '/auth/account');
    assert.equal((await sessionCookie(trusted, mailbox, 'dan4@example.org', 'http://evil-app.example.test/')).redirectTo, '/auth/account');
    // The pages' form-action lets the 303 after the verify form go there (and to nowhere else).
    const csp = (await fetch(`${trusted.url}/auth/sign-in`)).headers.get('content-security-policy') ?? '';
    assert.match(csp, /form-action 'self' http:\/\/app\.example\.test:\* http:\/\/\*\.tools\.example\.test:\*;/);
    // Issued while a rule protected app.example.test, used after the rules changed (another instance, the same store).
    const narrow = await startTestServer({ store, mailer: mailbox, accessRules: { rules: [RULES.rules[1]] } });
    try {
      assert.equal((await sessionCookie(trusted, mailbox, 'dan5@example.org', 'http://app.example.test/welcome', narrow)).redirectTo, '/auth/account');
    } finally {
      await narrow.close();
    }
  });

  it('a flood of refused requests writes a bounded number of rows, and no error.answered beside them', async () => {
    const before = (await store.listAudit({ limit: 10_000 })).length;
    const errorsBefore = (await store.listAudit({ type: 'error.answered', limit: 10_000 })).length;
    for (let i = 0; i < 60; i++) await ask(trusted, '/auth/auth-request', { 'x-original-url': `http://nowhere.example.test/${i}` });
    const rows = (await store.listAudit({ limit: 10_000 })).length - before;
    assert.ok(rows >= 1 && rows <= 11, `${rows} rows for 60 refusals`);
    assert.equal((await store.listAudit({ type: 'error.answered', limit: 10_000 })).length, errorsBefore);
    const metrics = await (await fetch(`${trusted.url}/metrics`)).text();
    assert.match(metrics, /latchkey_forward_auth_decisions_total\{outcome="no_rule"\} 60/);
    assert.match(metrics, /latchkey_forward_auth_decisions_total\{outcome="allowed"\} 1/);
  });

  it('one session asking about 300 invented hosts under a *. rule writes one forward_auth.allowed row, not 300', async () => {
    const { cookie } = await sessionCookie(trusted, mailbox, 'ada@example.org');
    const before = (await store.listAudit({ type: 'forward_auth.allowed', limit: 100000 })).length;
    for (let i = 0; i < 300; i++) {
      const answer = await ask(trusted, '/auth/auth-request', { cookie, 'x-original-url': `http://h${i}.tools.example.test/admin` });
      assert.equal(answer.status, 200);
    }
    const rows = (await store.listAudit({ type: 'forward_auth.allowed', limit: 100000 })).length - before;
    assert.equal(rows, 1);
  });
});

describe('the proxy cookie on https', () => {
  it('is __Secure-latchkey_proxy with Domain beside a host-only __Host-latchkey_session; only forward-auth accepts it; sign-out clears both without Clear-Site-Data', async () => {
    const { createLatchkey } = await import('../../src/latchkey.ts');
    const { pino } = await import('pino');
    const store = (await sqliteBackend.open())!;
    const mailbox = new DevMailbox();
    const latchkey = await createLatchkey({
      store,
      mailer: mailbox,
      baseUrl: 'https://auth.example.com',
      cookieDomain: 'example.com',
      trustedProxies: ['127.0.0.1'],
      accessRules: { rules: [{ host: 'app.example.com', allow: ['@example.org'] }] },
      secret: 'test-secret-that-is-long-enough-0123456789',
      logger: pino({ level: 'silent' }),
    });
    try {
      await latchkey.requestSignIn({ email: 'bob@example.org' });
      for (let i = 0; i < 100 && mailbox.list().length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      const token = /token=([A-Za-z0-9_-]{43})/.exec(mailbox.list()[0]!.text)![1]!;
      const verified = await latchkey.fetch(new Request('https://auth.example.com/auth/verify', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) }));
      assert.equal(verified.status, 200);
      const lines = verified.headers.getSetCookie();
      const session = lines.find((line) => line.startsWith('__Host-latchkey_session='))!;
      assert.doesNotMatch(session, /Domain=/i);
      const proxy = lines.find((line) => line.startsWith('__Secure-latchkey_proxy='))!;
      assert.match(proxy, /; Domain=example\.com/);
      assert.match(proxy, /; Secure/);
      assert.match(proxy, /; HttpOnly/);
      assert.match(proxy, /; SameSite=Lax/);
      const sessionCookie = session.split(';')[0]!;
      const proxyCookie = proxy.split(';')[0]!;
      assert.ok(await latchkey.getSession({ cookie: sessionCookie }));
      // What the app gets is no session: the session API and getSession refuse it, even renamed.
      assert.equal(await latchkey.getSession({ cookie: proxyCookie }), null);
      assert.equal((await latchkey.fetch(new Request('https://auth.example.com/auth/session', { headers: { cookie: proxyCookie } }))).status, 401);
      const value = proxyCookie.slice(proxyCookie.indexOf('=') + 1);
      assert.equal((await latchkey.fetch(new Request('https://auth.example.com/auth/session', { headers: { cookie: `__Host-latchkey_session=${value}` } }))).status, 401);
      // Forward-auth accepts it; a forged or altered one is no session.
      const asked = (cookie: string) => new Request('https://auth.example.com/auth/auth-request', { headers: { cookie, 'x-original-url': 'https://app.example.com/' } });
      const fromProxy = { incoming: { socket: { remoteAddress: '127.0.0.1' } } } as never;
      const allowed = await latchkey.fetch(asked(proxyCookie), fromProxy);
      assert.equal(allowed.status, 200);
      assert.equal(allowed.headers.get('remote-email'), 'bob@example.org');
      const [hash, mac] = value.split('.') as [string, string];
      const forged = `${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`;
      assert.equal((await latchkey.fetch(asked(`__Secure-latchkey_proxy=${hash}.${forged}`), fromProxy)).status, 401);
      // The session cookie itself is not what forward-auth reads when the proxy cookie exists.
      assert.equal((await latchkey.fetch(asked(sessionCookie), fromProxy)).status, 401);
      const out = await latchkey.fetch(new Request('https://auth.example.com/auth/sign-out', { method: 'POST', headers: { cookie: `${sessionCookie}; ${proxyCookie}`, 'content-type': 'application/json' }, body: '{}' }));
      assert.equal(out.status, 204);
      const cleared = out.headers.getSetCookie();
      assert.match(cleared.find((line) => line.startsWith('__Secure-latchkey_proxy='))!, /Max-Age=0.*; Domain=example\.com/);
      assert.match(cleared.find((line) => line.startsWith('__Host-latchkey_session='))!, /Max-Age=0/);
      assert.equal(out.headers.get('clear-site-data'), null);
      assert.equal(await latchkey.getSession({ cookie: sessionCookie }), null);
    } finally {
      await latchkey.close();
      await store.close();
    }
  });
});

describe('clearing the session outside Hono (OpenID Connect logout)', () => {
  it('clears the host-only session cookie and the proxy cookie with its Domain', async () => {
    const { cookieNames, sessionClearingHeaders } = await import('../../src/http/cookies.ts');
    const [session, proxy, ...rest] = sessionClearingHeaders(cookieNames({ baseUrl: new URL('https://auth.example.com'), cookieDomain: 'example.com' }));
    assert.deepEqual(rest, []);
    assert.match(session!, /^__Host-latchkey_session=; Max-Age=0; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    assert.doesNotMatch(session!, /Domain/);
    assert.match(proxy!, /^__Secure-latchkey_proxy=; Max-Age=0; Domain=example\.com; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    assert.deepEqual(sessionClearingHeaders(cookieNames({ baseUrl: new URL('http://localhost:3000'), cookieDomain: null })).length, 1);
  });
});

describe('a secondFactor rule', () => {
  it('lets in a session that passed TOTP, and answers access_second_factor to one that did not', async () => {
    const { totpCode } = await import('../../src/core/totp.ts');
    const { TestClock } = await import('../support/server.ts');
    const store = (await sqliteBackend.open())!;
    const mailbox = new DevMailbox();
    const clock = new TestClock();
    const server = await startTestServer({
      store,
      mailer: mailbox,
      now: clock.now,
      trustedProxies: ['127.0.0.1'],
      accessRules: { rules: [{ host: 'admin.example.test', allow: ['ada@example.org'], secondFactor: true }] },
    });
    const seen = new Set<unknown>();
    async function link(client: ReturnType<TestServer['client']>): Promise<Response> {
      clock.advance(61);
      assert.equal((await client.request('/auth/sign-in/email', { method: 'POST', json: { email: 'ada@example.org' } })).status, 202);
      let message;
      for (let i = 0; i < 200 && !message; i++) {
        message = mailbox.list().find((m) => m.to === 'ada@example.org' && /^Sign in to /.test(m.subject) && !seen.has(m.messageId));
        if (!message) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      seen.add(message!.messageId);
      const token = /token=([A-Za-z0-9_-]{43})/.exec(message!.text)![1]!;
      return client.request('/auth/verify', { method: 'POST', json: { token } });
    }
    const ask = (client: ReturnType<TestServer['client']>) =>
      client.request('/auth/forward-auth', { headers: { 'x-forwarded-proto': 'http', 'x-forwarded-host': 'admin.example.test', 'x-forwarded-uri': '/' } });
    try {
      const first = server.client();
      assert.equal((await link(first)).status, 200);
      const denied = await ask(first);
      assert.equal(denied.status, 403);
      assert.equal(((await denied.json()) as { error: { code: string } }).error.code, 'access_second_factor');
      // TOTP on; a new sign-in by link asks for it, and that session may enter.
      const { secret } = (await (await first.request('/auth/totp/enrol', { method: 'POST' })).json()) as { secret: string };
      assert.equal((await first.request('/auth/totp/confirm', { method: 'POST', json: { code: totpCode(secret, clock.now()) } })).status, 200);
      const second = server.client();
      assert.deepEqual(await (await link(second)).json(), { status: 'second_factor_required' });
      clock.advance(30);
      assert.equal((await second.request('/auth/sign-in/totp', { method: 'POST', json: { code: totpCode(secret, clock.now()) } })).status, 200);
      const allowed = await ask(second);
      assert.equal(allowed.status, 200);
      assert.equal(allowed.headers.get('remote-email'), 'ada@example.org');
      // The first session passed no second factor: turning TOTP on later does not change what it proved.
      assert.equal((await ask(first)).status, 403);
    } finally {
      await server.close();
      await store.close();
    }
  });
});
