// Attack: a foreign page makes the victim's browser submit a verification (to
// sign them into the attacker's account) or a sign-out. Every state-changing
// endpoint refuses a request whose Origin or Sec-Fetch-Site is not ours.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tokenFrom } from '../support/http-client.ts';
import { address, askForMail, startTarget } from './harness.ts';

describe('attack: login CSRF and forged state changes', () => {
  it('cross-site posts to every state-changing endpoint get 403 and change nothing', async () => {
    // Every refusal stored one by one here; the bound on denial rows is test/security/denial-flood.test.ts's story.
    const target = await startTarget({ limits: { deniedAuditEventsPerKeyPerMinute: 1000 } });
    try {
      // The attacker's own sign-in mail: the token they want the victim to use.
      const attackerEmail = address('attacker');
      await askForMail(target.server.client(), attackerEmail);
      await target.settle();
      const token = tokenFrom(target.mailsTo(attackerEmail)[0]!.text);

      // The victim, signed in to their own account.
      const victim = target.server.client();
      const victimEmail = address('victim');
      await askForMail(victim, victimEmail);
      await target.settle();
      await victim.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(target.mailsTo(victimEmail)[0]!.text) } });
      const session = victim.cookies.get('latchkey_session');
      assert.ok(session);

      const forged: Array<[string, string, Record<string, string>]> = [
        ['POST', '/auth/verify', { token }],
        ['POST', '/auth/sign-in/code', { email: attackerEmail, code: '123456' }],
        ['POST', '/auth/sign-in/email', { email: address('spam') }],
        ['POST', '/auth/sign-out', {}],
        ['POST', '/auth/sessions/revoke-others', {}],
      ];
      const attempts: Record<string, string>[] = [{ origin: 'https://evil.example' }, { origin: 'null' }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }];
      for (const headers of attempts) {
        for (const [method, path, form] of forged) {
          const response = await victim.request(path, { method, form, headers });
          assert.equal(response.status, 403, `${path} with ${JSON.stringify(headers)}`);
        }
        // A cross-site fetch without a form content type (sign-out by fetch, DELETE by fetch) too.
        assert.equal((await victim.request('/auth/sign-out', { method: 'POST', headers })).status, 403);
        assert.equal((await victim.request('/auth/sessions/x', { method: 'DELETE', headers })).status, 403);
      }
      assert.equal(victim.cookies.get('latchkey_session'), session, 'still signed in as themselves');
      const me = (await (await victim.request('/auth/session')).json()) as { user: { email: string } };
      assert.equal(me.user.email, victimEmail);
      // The attacker's token is unused, and each refusal is in the audit trail.
      assert.equal((await target.server.client().request('/auth/verify', { method: 'POST', json: { token } })).status, 200);
      const denied = await target.store.listAudit({ type: 'policy.denied' });
      assert.ok(denied.filter((e) => e.reason === 'cross_site').length >= 20);
    } finally {
      await target.close();
    }
  });

  it('our own pages still work: same-origin form posts pass', async () => {
    const target = await startTarget();
    try {
      const browser = target.server.client();
      const response = await browser.request('/auth/sign-in/email', {
        method: 'POST',
        form: { email: address('self'), typoChecked: '1' },
        headers: { 'sec-fetch-site': 'same-origin' },
      });
      assert.equal(response.status, 303);
    } finally {
      await target.close();
    }
  });

  // The second layer: a same-origin looking form post (a sibling page, a proxy
  // that strips Fetch Metadata, an old browser) still needs this browser's token.
  it('a form post without this browser\'s CSRF token is refused: none, a forged one, or another browser\'s', async () => {
    const target = await startTarget();
    try {
      const victim = target.server.client();
      const attacker = target.server.client();
      const attackerToken = await attacker.csrfToken();
      await victim.csrfToken();
      const email = address('csrf');
      const post = (csrf: string | false) =>
        victim.request('/auth/sign-in/email', { method: 'POST', form: { email, typoChecked: '1' }, csrf, headers: { 'sec-fetch-site': 'same-origin' } });
      for (const [label, csrf] of [['none', false], ['forged', 'A'.repeat(43)], ['another browser\'s', attackerToken]] as const) {
        const response = await post(csrf);
        assert.equal(response.status, 403, label);
        assert.match(await response.text(), /data-error-code="forbidden"/, label);
      }
      await target.settle();
      assert.equal(target.mailsTo(email).length, 0, 'no mail was sent');
      const denied = await target.store.listAudit({ type: 'policy.denied' });
      assert.equal(denied.filter((e) => e.reason === 'csrf_token').length, 3);
      // Its own token works; JSON needs none (a cross-site JSON post needs a preflight, never granted).
      assert.equal((await victim.request('/auth/sign-in/email', { method: 'POST', form: { email, typoChecked: '1' } })).status, 303);
    } finally {
      await target.close();
    }
  });

  it('a token from before the sign-in stops working with it (no pre-auth value survives)', async () => {
    const target = await startTarget();
    try {
      const browser = target.server.client();
      const before = await browser.csrfToken();
      const email = address('renew');
      await askForMail(browser, email);
      await target.settle();
      await browser.request('/auth/verify', { method: 'POST', form: { token: tokenFrom(target.mailsTo(email)[0]!.text) } });
      assert.ok(browser.cookies.has('latchkey_session'));
      const stale = await browser.request('/auth/sessions/revoke-others', { method: 'POST', form: {}, csrf: before });
      assert.equal(stale.status, 403);
      const fresh = await browser.request('/auth/sessions/revoke-others', { method: 'POST', form: {} });
      assert.ok(fresh.status < 400, `the new token works (${fresh.status})`);
    } finally {
      await target.close();
    }
  });
});
