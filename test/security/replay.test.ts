// Attack: reuse what was already used: a link, a code, a signed-out cookie, an
// older link replaced by a newer one.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codeFrom, tokenFrom } from '../support/http-client.ts';
import { address, askForMail, errorCode, startTarget } from './harness.ts';

describe('attack: replay', () => {
  it('a used link, a used code, a replaced link and a signed-out cookie are all refused', async () => {
    const target = await startTarget();
    try {
      const email = address('replay');
      const browser = target.server.client();
      await askForMail(browser, email);
      target.clock.advance(61);
      await askForMail(browser, email);
      await target.settle();
      const [older, newer] = target.mailsTo(email);
      assert.ok(older && newer);
      const attacker = target.server.client();
      assert.equal(await errorCode(await attacker.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(older.text) } })), 'token_replaced');
      assert.equal((await browser.request('/auth/sign-in/code', { method: 'POST', json: { email, code: codeFrom(newer.text) } })).status, 200);
      assert.equal(await errorCode(await attacker.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(newer.text) } })), 'token_used');
      const code = await attacker.request('/auth/sign-in/code', { method: 'POST', json: { email, code: codeFrom(newer.text) } });
      assert.equal(code.status, 400);
      assert.equal(attacker.cookies.has('latchkey_session'), false);

      const cookie = browser.cookies.get('latchkey_session')!;
      await browser.request('/auth/sign-out', { method: 'POST' });
      attacker.cookies.set('latchkey_session', cookie);
      assert.equal((await attacker.request('/auth/session')).status, 401);
    } finally {
      await target.close();
    }
  });

  it('sign-out tells the browser to drop its cookies (Clear-Site-Data)', async () => {
    const target = await startTarget();
    try {
      const response = await target.server.client().request('/auth/sign-out', { method: 'POST' });
      assert.equal(response.headers.get('clear-site-data'), '"cookies"');
    } finally {
      await target.close();
    }
  });
});
