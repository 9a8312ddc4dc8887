// Asking for another sign-in email too soon sends nothing (issue #4: silent
// per-address caps). The browser that asked for that address before is told so,
// with the wait, and keeps the cookies of its newest request; any other requester
// gets exactly the answer of a sent mail, so throttling reveals nothing to them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codeFrom, type Client } from '../support/http-client.ts';
import { useHttpServer } from '../support/http-suite.ts';
import { TestClock, type TestServer } from '../support/server.ts';
import type { SmtpSink } from '../support/smtp-sink.ts';
import { sqliteBackend } from '../support/stores.ts';

let n = 0;
const address = (tag: string) => `${tag}.${Date.now()}.${n++}@example.com`;

describe('asking again too soon (hosted pages)', () => {
  let sink: SmtpSink;
  let server: TestServer;
  const clock = new TestClock();

  useHttpServer(sqliteBackend, { now: clock.now }, (parts) => ({ sink, server } = parts));

  const ask = (client: Client, email: string) => client.request('/auth/sign-in/email', { method: 'POST', form: { email, typoChecked: '1' } });

  async function page(client: Client, path: string) {
    const response = await client.request(path, { headers: { accept: 'text/html' } });
    assert.equal(response.status, 200);
    return response.text();
  }

  it('the same browser, within the interval: told nothing was sent and how long to wait; its newest request still works', async () => {
    const browser = server.client();
    const email = address('soon');
    clock.advance(61);
    const first = await ask(browser, email);
    assert.equal(first.status, 303);
    assert.equal(first.headers.get('location'), '/auth/check-email');
    const message = await sink.waitFor((m) => m.to === email);
    const cookies = new Map(browser.cookies);

    clock.advance(20);
    const again = await ask(browser, email);
    assert.equal(again.status, 303);
    assert.equal(again.headers.get('location'), '/auth/check-email?notice=not-sent');
    assert.deepEqual(new Map(browser.cookies), cookies, 'the cookies of the newest request are kept');
    const html = await page(browser, '/auth/check-email?notice=not-sent');
    assert.match(html, /No new email was sent: the last one went out less than 1 minute ago\./);
    // 60 s interval, 20 s gone by the test clock; the clock also follows real time,
    // so a loaded machine may have spent a second more between the two requests.
    assert.match(html, /You can ask for a new email in (40|39) s\./);
    assert.match(html, /data-wait-seconds="(40|39)"/);

    // Nothing replaced the first request: its code signs in.
    const signedIn = await browser.request('/auth/sign-in/code', { method: 'POST', form: { email, code: codeFrom(message.text) } });
    assert.equal(signedIn.status, 303);
    assert.equal(signedIn.headers.get('location'), '/auth/account');
    assert.equal(sink.messages.filter((m) => m.to === email).length, 1);
  });

  it('another browser, within the interval: the same answer as a sent mail', async () => {
    const asker = server.client();
    const email = address('other');
    clock.advance(61);
    await ask(asker, email);
    await sink.waitFor((m) => m.to === email);
    clock.advance(20);
    const stranger = asker.fork();
    const response = await ask(stranger, email);
    assert.equal(response.status, 303);
    assert.equal(response.headers.get('location'), '/auth/check-email');
    assert.doesNotMatch(await page(stranger, '/auth/check-email'), /No new email was sent/);
    // The JSON API never says either.
    const json = await stranger.fork().request('/auth/sign-in/email', { method: 'POST', json: { email } });
    assert.equal(json.status, 202);
    assert.deepEqual(await json.json(), { status: 'sent' });
  });

  it('the same browser, over the address’s cap: told to use the newest email or ask later', async () => {
    const browser = server.client();
    const email = address('capped');
    for (let i = 0; i < 3; i++) {
      clock.advance(61);
      assert.equal((await ask(browser, email)).headers.get('location'), '/auth/check-email');
    }
    clock.advance(61); // past the interval, but the fourth mail in 15 minutes
    const response = await ask(browser, email);
    assert.equal(response.headers.get('location'), '/auth/check-email?notice=not-sent');
    const html = await page(browser, '/auth/check-email?notice=not-sent');
    assert.match(html, /this address got several sign-in emails in the last few minutes/);
    assert.match(html, /<p id="resend-status"[^>]*><\/p>/, 'no "you can ask now" that the cap would break');
  });
});
