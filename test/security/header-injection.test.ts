// Attack: smuggle headers into the mail or the HTTP answer through the address,
// redirectTo or X-Request-Id.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { linkFrom } from '../support/http-client.ts';
import { address, askForMail, errorCode, startTarget } from './harness.ts';

describe('attack: header injection', () => {
  it('CR/LF in the address is refused; the mail headers carry only our own fields', async () => {
    const target = await startTarget();
    try {
      const victim = address('victim');
      for (const email of [`${victim}\r\nBcc: attacker@evil.example`, `${victim}\r\n\r\nbody`, `${victim}\rSubject: x`]) {
        const response = await askForMail(target.server.client(), email);
        assert.equal(await errorCode(response), 'invalid_email');
      }
      await askForMail(target.server.client(), victim, { redirectTo: '/app\r\nBcc: attacker@evil.example' });
      await target.settle();
      assert.equal(target.sink.messages.length, 1);
      const message = target.sink.messages[0]!;
      assert.deepEqual(message.envelopeTo, [victim]);
      assert.equal(message.headers.has('bcc'), false);
      assert.equal(message.headers.has('cc'), false);
      assert.doesNotMatch(linkFrom(message.text), /redirect|%0d|%0a/i, 'the link carries only the token');
    } finally {
      await target.close();
    }
  });

  it('a redirectTo with CR/LF never reaches a Location header', async () => {
    const target = await startTarget();
    try {
      const browser = target.server.client();
      const page = await browser.request('/auth/sign-in?redirectTo=%2Fapp%0d%0aSet-Cookie%3A%20x%3Dy');
      assert.equal(page.status, 200);
      // Only our own cookie (the form's CSRF cookie) may be set, never the smuggled one.
      for (const cookie of page.headers.getSetCookie()) assert.match(cookie, /^(__Host-)?latchkey_csrf=[A-Za-z0-9_-]{43};/);
      assert.equal(page.headers.getSetCookie().some((cookie) => /^x=/.test(cookie)), false);
      assert.doesNotMatch(await page.text(), /Set-Cookie: x=y/);
    } finally {
      await target.close();
    }
  });

  it('a malformed X-Request-Id is replaced, so it never reaches a log or a mail header', async () => {
    const target = await startTarget();
    try {
      const victim = address('victim');
      const response = await askForMail(target.server.client(), victim, {}, { 'x-request-id': 'abc\tdef<script>' });
      assert.match(response.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
      await target.settle();
      for (const [, value] of target.mailsTo(victim)[0]!.headers) assert.doesNotMatch(String(value), /<script>/);
    } finally {
      await target.close();
    }
  });
});
