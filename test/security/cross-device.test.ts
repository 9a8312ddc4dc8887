// Attack: get a sign-in link opened in a browser that did not ask for it (a
// phished or forwarded link, a link mailed to a victim). With the default
// (LATCHKEY_LINK_DEVICE=any) another browser must click to continue and is told
// whose account it is; with `same`, only the asking browser can use the link,
// and the token stays unused elsewhere.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { linkFrom, tokenFrom } from '../support/http-client.ts';
import { address, askForMail, errorCode, startTarget } from './harness.ts';

describe('attack: cross-device link use', () => {
  it('default: another browser sees whose account it is and must click; nothing happens on GET', async () => {
    const target = await startTarget();
    try {
      const email = address('victim');
      const asking = target.server.client();
      await askForMail(asking, email);
      await target.settle();
      const link = linkFrom(target.mailsTo(email)[0]!.text);
      const other = target.server.client();
      const page = await (await other.request(link)).text();
      assert.doesNotMatch(page, /data-auto-submit/);
      assert.match(page, /v…@example\.com/);
      assert.equal(other.cookies.has('latchkey_session'), false);
      assert.equal(asking.cookies.has('latchkey_flow'), true);
    } finally {
      await target.close();
    }
  });

  it('LATCHKEY_LINK_DEVICE=same: another browser is refused (page and API) and the link still works where it was asked for', async () => {
    const target = await startTarget({ linkDevice: 'same' });
    try {
      const email = address('victim');
      const asking = target.server.client();
      await askForMail(asking, email);
      await target.settle();
      const message = target.mailsTo(email)[0]!;
      const other = target.server.client();
      const page = await other.request(linkFrom(message.text), { headers: { accept: 'text/html' } });
      assert.equal(page.status, 400);
      assert.match(await page.text(), /type the code from the email there/);
      const api = await other.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(message.text) } });
      assert.equal(await errorCode(api), 'link_other_device');
      assert.equal(other.cookies.has('latchkey_session'), false);
      const denied = await target.store.listAudit({ type: 'policy.denied', email });
      assert.ok(denied.every((e) => e.reason === 'link_other_device') && denied.length === 2);
      // Unused: the asking browser (it holds the flow cookie) signs in with it.
      assert.equal((await asking.request(linkFrom(message.text))).status, 200);
      const own = await asking.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(message.text) } });
      assert.equal(own.status, 200);
    } finally {
      await target.close();
    }
  });
});
