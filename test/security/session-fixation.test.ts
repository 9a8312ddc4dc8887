// Attack: plant a session cookie in the victim's browser before they sign in,
// then use the same value. Every sign-in issues a fresh random session id.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tokenFrom } from '../support/http-client.ts';
import { address, askForMail, startTarget } from './harness.ts';

describe('attack: session fixation', () => {
  it('a planted cookie value is replaced at sign-in and never becomes a session', async () => {
    const target = await startTarget();
    try {
      const planted = 'A'.repeat(43);
      const victim = target.server.client();
      victim.cookies.set('latchkey_session', planted);
      const email = address('fixation');
      await askForMail(victim, email);
      await target.settle();
      const flowBefore = victim.cookies.get('latchkey_flow');
      assert.equal((await victim.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(target.mailsTo(email)[0]!.text) } })).status, 200);
      const issued = victim.cookies.get('latchkey_session');
      assert.ok(issued && issued !== planted);
      assert.equal(victim.cookies.has('latchkey_flow'), false, 'the pre-auth flow cookie is gone');
      assert.ok(flowBefore);
      const attacker = target.server.client();
      attacker.cookies.set('latchkey_session', planted);
      assert.equal((await attacker.request('/auth/session')).status, 401);
    } finally {
      await target.close();
    }
  });

  it('signing in again in the same browser gives another session id', async () => {
    const target = await startTarget();
    try {
      const browser = target.server.client();
      const email = address('again');
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) {
        target.clock.advance(61);
        await askForMail(browser, email);
        await target.settle();
        const mails = target.mailsTo(email);
        await browser.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(mails[mails.length - 1]!.text) } });
        ids.push(browser.cookies.get('latchkey_session')!);
      }
      assert.notEqual(ids[0], ids[1]);
    } finally {
      await target.close();
    }
  });
});
