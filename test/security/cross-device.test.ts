// Attack: get a sign-in link opened in a browser that did not ask for it (a
// phished or forwarded link, a link mailed to a victim). With the default
// (LATCHKEY_LINK_DEVICE=any) another browser must click to continue and is told
// whose account it is; with `same`, only the asking browser can use the link,
// and the token stays unused elsewhere.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codeFrom, linkFrom, tokenFrom } from '../support/http-client.ts';
import type { Client } from '../support/http-client.ts';
import { BACKENDS, backendSkip } from '../support/stores.ts';
import { address, askForMail, errorCode, startTarget, type Target } from './harness.ts';

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

// LATCHKEY_CROSS_DEVICE_APPROVAL=on: the phished person opens the attacker's
// link. Without the number on the attacker's screen they cannot approve by
// reflex, they get no session on their own device, and one wrong pick kills
// the request. Run on both stores: the state is shared by every instance.
for (const backend of BACKENDS) {
  describe(`attack: cross-device approval (${backend.name})`, () => {
    const start = async () => {
      const skip = await backendSkip(backend);
      return skip ? null : startTarget({ backend, crossDeviceApproval: true });
    };
    /** The waiting browser asks; returns it, its mail and the number its page shows. */
    const ask = async (target: Target) => {
      const email = address('victim');
      const waiting = target.server.client();
      await askForMail(waiting, email);
      await target.settle();
      const message = target.mailsTo(email)[0]!;
      const page = await (await waiting.request('/auth/check-email')).text();
      const number = Number(/data-testid="approval-number">(\d+)</.exec(page)?.[1]);
      return { email, waiting, message, number, token: tokenFrom(message.text) };
    };
    const choicesOn = (page: string) => [...page.matchAll(/name="number" value="(\d+)"/g)].map((m) => Number(m[1]));
    const pick = (client: Client, token: string, body: Record<string, string>) =>
      client.request('/auth/verify/approve', { method: 'POST', form: { token, ...body } });

    it('the right pick signs in the waiting browser only, once; the device that approved stays signed out', async (t) => {
      const target = await start();
      if (!target) return t.skip('store unavailable');
      try {
        const { email, waiting, message, number, token } = await ask(target);
        assert.ok(number >= 10 && number <= 99, 'the waiting page shows a two-digit number');
        const phone = target.server.client();
        const page = await (await phone.request(linkFrom(message.text))).text();
        const choices = choicesOn(page);
        assert.equal(choices.length, 3);
        assert.ok(choices.includes(number));
        assert.match(page, /v…@example\.com/);
        assert.match(page, /IP /, 'names where the request came from');
        assert.doesNotMatch(page, /data-auto-submit/);
        // The page never tells which one is right, and a reload shows the same three.
        assert.deepEqual(choicesOn(await (await phone.request(linkFrom(message.text))).text()), choices);
        assert.deepEqual(await (await waiting.request('/auth/approval')).json(), { state: 'pending', number });

        // Neither the link's POST nor the code from the other device can skip the pick.
        assert.equal(await errorCode(await phone.request('/auth/verify', { method: 'POST', json: { token } })), 'link_other_device');
        assert.equal((await waiting.request('/auth/approval/complete', { method: 'POST', json: {} })).status, 409);

        const approved = await pick(phone, token, { number: String(number) });
        assert.equal(approved.status, 200);
        assert.match(await approved.text(), /data-outcome="approved"/);
        assert.equal(phone.cookies.has('latchkey_session'), false, 'the approving device gets no session');
        assert.equal((await pick(phone, token, { number: String(number) })).status, 400, 'one pick only');

        assert.deepEqual(await (await waiting.request('/auth/approval')).json(), { state: 'approved' });
        const [first, second] = await Promise.all([
          waiting.request('/auth/approval/complete', { method: 'POST', json: {} }),
          target.server.client().request('/auth/approval/complete', { method: 'POST', json: {} }),
        ]);
        assert.equal(first.status, 200);
        assert.equal(((await first.json()) as { user: { email: string } }).user.email, email);
        assert.equal(second.status, 400, 'a browser without the flow cookie completes nothing');
        assert.ok(waiting.cookies.has('latchkey_session'));
        const again = await waiting.request('/auth/approval/complete', { method: 'POST', json: {} });
        assert.equal(again.status, 400);
        const granted = await target.store.listAudit({ type: 'approval.granted', email });
        assert.equal(granted.length, 1);
        assert.equal((await target.store.listAudit({ type: 'session.created', email })).length, 1);
      } finally {
        await target.close();
      }
    });

    // Issue #12 finding 11: after approving, the device that opened the link took
    // the session itself with POST /auth/verify; the code typed there skipped the pick.
    it('no path on another device yields a session, before or after the pick: link or code, JSON or form; only the waiting browser signs in', async (t) => {
      const target = await start();
      if (!target) return t.skip('store unavailable');
      try {
        const { email, waiting, message, number, token } = await ask(target);
        const code = codeFrom(message.text);
        const phone = target.server.client();
        await phone.request(linkFrom(message.text));
        const stranger = target.server.client();
        const tryEveryPath = async (client: Client, when: string) => {
          const link = await client.request('/auth/verify', { method: 'POST', json: { token } });
          assert.equal(await errorCode(link), 'link_other_device', `link, JSON, ${when}`);
          const linkForm = await client.request('/auth/verify', { method: 'POST', form: { token }, headers: { accept: 'text/html' } });
          assert.equal(linkForm.status, 400, `link, form, ${when}`);
          assert.match(await linkForm.text(), /data-error-code="link_other_device"/);
          const typed = await client.request('/auth/sign-in/code', { method: 'POST', json: { email, code } });
          assert.equal(await errorCode(typed), 'code_other_device', `code, JSON, ${when}`);
          const typedForm = await client.request('/auth/sign-in/code', { method: 'POST', form: { email, code }, headers: { accept: 'text/html' } });
          assert.equal(typedForm.status, 400, `code, form, ${when}`);
          assert.match(await typedForm.text(), /data-error-code="code_other_device"/);
          assert.equal(client.cookies.has('latchkey_session') || client.cookies.has('latchkey_second_factor'), false, when);
        };
        await tryEveryPath(phone, 'before the pick');
        await tryEveryPath(stranger, 'before the pick, a third browser');
        const approved = await pick(phone, token, { number: String(number) });
        assert.match(await approved.text(), /data-outcome="approved"/);
        await tryEveryPath(phone, 'after the pick');
        await tryEveryPath(stranger, 'after the pick, a third browser');
        // The link opened again on the phone offers nothing to click.
        const reopened = await phone.request(linkFrom(message.text), { headers: { accept: 'text/html' } });
        assert.doesNotMatch(await reopened.text(), /action="\/auth\/verify"/);
        assert.equal((await target.store.listAudit({ type: 'session.created', email })).length, 0);
        // Nothing above spent the request: the waiting browser takes its session.
        const completed = await waiting.request('/auth/approval/complete', { method: 'POST', json: {} });
        assert.equal(completed.status, 200);
        assert.ok(waiting.cookies.has('latchkey_session'));
        assert.equal((await target.store.listAudit({ type: 'session.created', email })).length, 1);
      } finally {
        await target.close();
      }
    });

    // Issue #12 finding 11, the case left open by the review: the waiting browser
    // asks again (another address). Each request has its own flow cookie and its
    // own approval, so the first one's link and code stay held.
    it('a second request of the same browser does not release the first request\'s link or code', async (t) => {
      const target = await start();
      if (!target) return t.skip('store unavailable');
      try {
        const first = await ask(target);
        await askForMail(first.waiting, address('second'));
        await target.settle();
        const phone = target.server.client();
        const page = await (await phone.request(linkFrom(first.message.text), { headers: { accept: 'text/html' } })).text();
        assert.doesNotMatch(page, /action="\/auth\/verify"/, 'no sign-in button on another device');
        assert.equal(await errorCode(await phone.request('/auth/verify', { method: 'POST', json: { token: first.token } })), 'link_other_device');
        const typed = await phone.request('/auth/sign-in/code', { method: 'POST', json: { email: first.email, code: codeFrom(first.message.text) } });
        assert.equal(await errorCode(typed), 'code_other_device');
        assert.equal(phone.cookies.has('latchkey_session'), false);
        assert.equal((await target.store.listAudit({ type: 'session.created', email: first.email })).length, 0);
      } finally {
        await target.close();
      }
    });

    it('the asking browser may type the code itself while the pick is pending', async (t) => {
      const target = await start();
      if (!target) return t.skip('store unavailable');
      try {
        const { email, waiting, message } = await ask(target);
        const typed = await waiting.request('/auth/sign-in/code', { method: 'POST', json: { email, code: codeFrom(message.text) } });
        assert.equal(typed.status, 200);
        assert.ok(waiting.cookies.has('latchkey_session'));
      } finally {
        await target.close();
      }
    });

    it('a wrong pick or "this wasn\'t me" kills the request: no session anywhere, the link and the code are dead', async (t) => {
      const target = await start();
      if (!target) return t.skip('store unavailable');
      try {
        for (const answer of ['wrong', 'refuse'] as const) {
          const { email, waiting, message, number, token } = await ask(target);
          const phone = target.server.client();
          const choices = choicesOn(await (await phone.request(linkFrom(message.text))).text());
          const body: Record<string, string> = answer === 'wrong' ? { number: String(choices.find((n) => n !== number)) } : { refuse: '1' };
          const response = await pick(phone, token, body);
          assert.equal(response.status, 200);
          assert.match(await response.text(), new RegExp(`data-outcome="${answer === 'wrong' ? 'mismatch' : 'refused'}"`));
          // The right number afterwards is too late.
          assert.equal((await pick(phone, token, { number: String(number) })).status, 400);
          assert.deepEqual(await (await waiting.request('/auth/approval')).json(), { state: 'refused' });
          assert.equal(await errorCode(await waiting.request('/auth/approval/complete', { method: 'POST', json: {} })), 'approval_refused');
          assert.equal(await errorCode(await waiting.request('/auth/verify', { method: 'POST', json: { token } })), 'token_used');
          const code = /\b(\d{3}) ?(\d{3})\b/.exec(message.text)!;
          const byCode = await waiting.request('/auth/sign-in/code', { method: 'POST', json: { email, code: `${code[1]}${code[2]}` } });
          assert.equal(byCode.status, 400);
          assert.equal(waiting.cookies.has('latchkey_session') || phone.cookies.has('latchkey_session'), false);
          const refused = await target.store.listAudit({ type: 'approval.refused', email });
          assert.deepEqual(refused.map((e) => e.reason), [answer === 'wrong' ? 'wrong_number' : 'not_me']);
          if (answer === 'wrong') assert.equal((await target.store.listAudit({ type: 'policy.denied', email })).filter((e) => e.reason === 'approval_mismatch').length, 1);
        }
      } finally {
        await target.close();
      }
    });

    it('racing picks of all three numbers: exactly one decision counts', async (t) => {
      const target = await start();
      if (!target) return t.skip('store unavailable');
      try {
        const { email, message, token } = await ask(target);
        const phone = target.server.client();
        const choices = choicesOn(await (await phone.request(linkFrom(message.text))).text());
        const answers = await Promise.all(
          [...choices, ...choices].map((n) => target.server.client().request('/auth/verify/approve', { method: 'POST', json: { token, number: n } })),
        );
        assert.equal(answers.filter((r) => r.status === 200).length, 1);
        const decided = [...(await target.store.listAudit({ type: 'approval.granted', email })), ...(await target.store.listAudit({ type: 'approval.refused', email }))];
        assert.equal(decided.length, 1);
      } finally {
        await target.close();
      }
    });

    it('the asking browser itself still signs in by the link or the code, without a pick', async (t) => {
      const target = await start();
      if (!target) return t.skip('store unavailable');
      try {
        const { waiting, message } = await ask(target);
        const page = await (await waiting.request(linkFrom(message.text))).text();
        assert.match(page, /data-auto-submit/);
        assert.equal((await waiting.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(message.text) } })).status, 200);
        assert.ok(waiting.cookies.has('latchkey_session'));
      } finally {
        await target.close();
      }
    });
  });
}
