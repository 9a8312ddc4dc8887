// Rough edges a new user hit in the sign-in flow (issue #12): what a person
// sees after typing a code that no longer works, at the sign-in page while
// signed in, and after "Send a new email".
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codeFrom, tokenFrom, type Client } from '../support/http-client.ts';
import { useHttpServer } from '../support/http-suite.ts';
import { TestClock, type TestServer } from '../support/server.ts';
import type { SmtpSink } from '../support/smtp-sink.ts';
import { sqliteBackend } from '../support/stores.ts';

let n = 0;
const address = (tag: string) => `${tag}.${Date.now()}.${n++}@example.com`;

describe('sign-in rough edges (issue #12)', () => {
  let sink: SmtpSink;
  let server: TestServer;
  const clock = new TestClock();

  useHttpServer(sqliteBackend, { now: clock.now }, (parts) => ({ sink, server } = parts));

  async function mailFor(client: Client, email: string) {
    clock.advance(61);
    const asked = await client.request('/auth/sign-in/email', { method: 'POST', form: { email, typoChecked: '1' } });
    assert.equal(asked.status, 303);
    return sink.waitFor((m) => m.to === email);
  }
  const typeCode = (client: Client, email: string, code: string, headers: Record<string, string> = {}) =>
    client.request('/auth/sign-in/code', { method: 'POST', form: { email, code }, headers: { accept: 'text/html', ...headers } });

  describe('a typed code that no longer works speaks of the code, not of a link', () => {
    it('after the link was used: code_used, in JSON and on the page, in English and German', async () => {
      const browser = server.client();
      const email = address('used');
      const message = await mailFor(browser, email);
      assert.equal((await browser.request('/auth/verify', { method: 'POST', form: { token: tokenFrom(message.text) } })).status, 303);
      const other = server.client();
      const json = await other.request('/auth/sign-in/code', { method: 'POST', json: { email, code: codeFrom(message.text) } });
      assert.equal(json.status, 400);
      const { error } = (await json.json()) as { error: { code: string; message: string } };
      assert.equal(error.code, 'code_used');
      assert.match(error.message, /code/);
      assert.doesNotMatch(error.message, /link/i);
      const page = await typeCode(other, email, codeFrom(message.text));
      assert.equal(page.status, 400);
      const body = await page.text();
      assert.match(body, /<h1>This code was already used<\/h1>/);
      assert.match(body, /data-error-code="code_used"/);
      assert.doesNotMatch(body, /This link|sign-in link/);
      const german = await (await typeCode(server.client(), email, codeFrom(message.text), { 'accept-language': 'de' })).text();
      assert.match(german, /<h1>Dieser Code wurde schon benutzt<\/h1>/);
      assert.doesNotMatch(german, /Dieser Link|Anmeldelink/);
    });

    it('after it expired: code_expired; the page offers a new email', async () => {
      const browser = server.client();
      const email = address('late');
      const message = await mailFor(browser, email);
      clock.advance(601);
      const json = await server.client().request('/auth/sign-in/code', { method: 'POST', json: { email, code: codeFrom(message.text) } });
      assert.equal(((await json.json()) as { error: { code: string } }).error.code, 'code_expired');
      const body = await (await typeCode(browser, email, codeFrom(message.text))).text();
      assert.match(body, /<h1>This code has expired<\/h1>/);
      assert.doesNotMatch(body, /This link|sign-in link/);
      assert.match(body, /id="resend"/, 'one click to a new email');
    });

    it('the link of a request whose code was used still speaks of the link', async () => {
      const browser = server.client();
      const email = address('linkused');
      const message = await mailFor(browser, email);
      assert.equal((await typeCode(browser, email, codeFrom(message.text))).status, 303);
      const json = await server.client().request('/auth/verify', { method: 'POST', json: { token: tokenFrom(message.text) } });
      assert.equal(((await json.json()) as { error: { code: string } }).error.code, 'token_used');
    });
  });

  describe('a person already signed in who opens the sign-in page is sent on, not shown the form again', () => {
    async function signedIn() {
      const browser = server.client();
      const email = address('in');
      const message = await mailFor(browser, email);
      assert.equal((await typeCode(browser, email, codeFrom(message.text))).status, 303);
      return browser;
    }

    it('to the account page, or to a valid redirectTo; a foreign one or the sign-in page itself goes to the account page', async () => {
      const browser = await signedIn();
      const plain = await browser.request('/auth/sign-in', { headers: { accept: 'text/html' } });
      assert.equal(plain.status, 303);
      assert.equal(plain.headers.get('location'), '/auth/account');
      assert.equal(plain.headers.get('cache-control'), 'no-store');
      const onward = await browser.request('/auth/sign-in?redirectTo=%2Fapp%2Finbox', { headers: { accept: 'text/html' } });
      assert.equal(onward.headers.get('location'), '/app/inbox');
      for (const redirectTo of ['https://evil.example/', '/.//evil.example/x', '/auth/sign-in', '/auth/sign-in?redirectTo=%2Fx']) {
        const response = await browser.request(`/auth/sign-in?redirectTo=${encodeURIComponent(redirectTo)}`, { headers: { accept: 'text/html' } });
        assert.equal(response.headers.get('location'), '/auth/account', redirectTo);
      }
    });

    it('signed out (or with a dead session cookie) the form is shown', async () => {
      const stranger = server.client();
      stranger.cookies.set('latchkey_session', 'x'.repeat(43));
      const page = await stranger.request('/auth/sign-in', { headers: { accept: 'text/html' } });
      assert.equal(page.status, 200);
      assert.match(await page.text(), /name="email"/);
    });
  });

  describe('"Send a new email" says that it was sent', () => {
    it('the check-email page after a resend says a new email is on its way; a first request does not', async () => {
      const browser = server.client();
      const email = address('again');
      await mailFor(browser, email);
      const first = await (await browser.request('/auth/check-email', { headers: { accept: 'text/html' } })).text();
      assert.doesNotMatch(first, /data-testid="sent-again"/);
      const resendForm = /<form id="resend"[\s\S]*?<\/form>/.exec(first)![0];
      const fields = Object.fromEntries([...resendForm.matchAll(/<input type="hidden" name="(\w+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!]));
      clock.advance(61);
      const resent = await browser.request('/auth/sign-in/email', { method: 'POST', form: fields });
      assert.equal(resent.status, 303);
      const page = await (await browser.request(resent.headers.get('location')!, { headers: { accept: 'text/html' } })).text();
      assert.match(page, /data-testid="sent-again"[^>]*>A new email is on its way/);
      assert.ok(page.includes(email));
      await sink.waitFor((m) => m.to === email && sink.messages.filter((x) => x.to === email).length === 2);
    });
  });
});
