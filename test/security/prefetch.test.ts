// Attack (or accident): mail scanners and link previewers fetch every link in a
// mail, with GET and HEAD. Neither may consume the token or sign anyone in.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { linkFrom, tokenFrom } from '../support/http-client.ts';
import { address, askForMail, startTarget } from './harness.ts';

describe('attack: prefetch by GET and HEAD', () => {
  it('ten scanner GETs and HEADs leave the link usable and set no session', async () => {
    const target = await startTarget();
    try {
      const email = address('prefetch');
      const browser = target.server.client();
      await askForMail(browser, email);
      await target.settle();
      const message = target.mailsTo(email)[0]!;
      const link = linkFrom(message.text);
      const scanner = target.server.client('Mozilla/5.0 (compatible; SafeLinks)');
      for (let i = 0; i < 5; i++) {
        for (const method of ['GET', 'HEAD']) {
          const response = await scanner.request(link, { method });
          assert.equal(response.status, 200);
          assert.equal(response.headers.get('cache-control'), 'no-store');
          assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
          assert.ok(!response.headers.getSetCookie().some((c) => c.startsWith('latchkey_session=')));
        }
      }
      assert.equal(scanner.cookies.has('latchkey_session'), false);
      const verified = await browser.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(message.text) } });
      assert.equal(verified.status, 200);
    } finally {
      await target.close();
    }
  });
});
