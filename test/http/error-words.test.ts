// One error registry (issue #13): an API client and a browser refused for the
// same reason read the same words, the page's English (the en catalog's
// `error.<code>.message`), with the same status. Before, the JSON bodies came
// from a second table, and a used, replaced or locked link or code said one thing
// in JSON and another on the page.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { en } from '../../src/i18n/en.ts';
import { codeFrom, tokenFrom, type Client } from '../support/http-client.ts';
import { useHttpServer } from '../support/http-suite.ts';
import { TestClock, type TestServer } from '../support/server.ts';
import type { SmtpSink } from '../support/smtp-sink.ts';
import { sqliteBackend } from '../support/stores.ts';

let n = 0;
const address = (tag: string) => `${tag}.${Date.now()}.${n++}@example.com`;

/** The text of the page's alert, as a person reads it (the few entities the page escaping writes, undone). */
function alertText(html: string): string {
  const text = /<p class="error" role="alert" data-error-code="[a-z_]+">([^<]*)<\/p>/.exec(html)?.[1];
  assert.ok(text !== undefined, 'the page shows an alert');
  return text.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

describe('an error says the same in JSON and on the page (issue #13)', () => {
  let sink: SmtpSink;
  let server: TestServer;
  const clock = new TestClock();

  useHttpServer(sqliteBackend, { now: clock.now }, (parts) => ({ sink, server } = parts));

  async function mailFor(client: Client, email: string) {
    clock.advance(61);
    const before = sink.messages.filter((m) => m.to === email).length;
    assert.equal((await client.request('/auth/sign-in/email', { method: 'POST', form: { email, typoChecked: '1' } })).status, 303);
    await sink.waitFor(() => sink.messages.filter((m) => m.to === email).length > before);
    return sink.messages.filter((m) => m.to === email).at(-1)!;
  }

  /** The same refused request made by an API client (JSON) and by a browser (a form): both answers, read as each would. */
  async function bothAnswers(path: string, fields: Record<string, string>) {
    const api = await server.client().request(path, { method: 'POST', json: fields });
    const { error } = (await api.json()) as { error: { code: string; message: string } };
    const browser = await server.client().request(path, { method: 'POST', form: fields });
    const page = await browser.text();
    return { api: { status: api.status, ...error }, page: { status: browser.status, code: /data-error-code="([a-z_]+)"/.exec(page)?.[1], message: alertText(page) } };
  }

  function assertSameWords(answers: Awaited<ReturnType<typeof bothAnswers>>, code: keyof typeof words) {
    assert.equal(answers.api.code, code);
    assert.equal(answers.page.code, code);
    assert.equal(answers.api.status, answers.page.status);
    assert.equal(answers.api.message, answers.page.message, 'the JSON message is the page’s English');
    assert.equal(answers.api.message, en[words[code]]);
  }

  const words = {
    token_used: 'error.token_used.message',
    token_replaced: 'error.token_replaced.message',
    code_used: 'error.code_used.message',
    token_expired: 'error.token_expired.message',
    code_expired: 'error.code_expired.message',
  } as const;

  it('a used sign-in link (token_used)', async () => {
    const email = address('used-link');
    const message = await mailFor(server.client(), email);
    const token = tokenFrom(message.text);
    assert.equal((await server.client().request('/auth/verify', { method: 'POST', json: { token } })).status, 200);
    assertSameWords(await bothAnswers('/auth/verify', { token }), 'token_used');
  });

  it('a link replaced by a newer email (token_replaced)', async () => {
    const email = address('replaced-link');
    const browser = server.client();
    const first = await mailFor(browser, email);
    await mailFor(browser, email);
    assertSameWords(await bothAnswers('/auth/verify', { token: tokenFrom(first.text) }), 'token_replaced');
  });

  it('a code typed after its link was used (code_used)', async () => {
    const email = address('used-code');
    const message = await mailFor(server.client(), email);
    assert.equal((await server.client().request('/auth/verify', { method: 'POST', json: { token: tokenFrom(message.text) } })).status, 200);
    assertSameWords(await bothAnswers('/auth/sign-in/code', { email, code: codeFrom(message.text) }), 'code_used');
  });

  it('an expired link and an expired code (token_expired, code_expired)', async () => {
    const email = address('expired');
    const message = await mailFor(server.client(), email);
    clock.advance(3600);
    assertSameWords(await bothAnswers('/auth/verify', { token: tokenFrom(message.text) }), 'token_expired');
    assertSameWords(await bothAnswers('/auth/sign-in/code', { email, code: codeFrom(message.text) }), 'code_expired');
  });
});
