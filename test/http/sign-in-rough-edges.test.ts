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
});
