// Attack (issue #12 finding 10): forge the flow cookie. It used to carry the
// address itself (`latchkey_flow_email`), so a browser that named a victim's
// address in it was shown when that address last asked for a link (the resend
// countdown), the redirectTo of its request, and was told "nothing was sent"
// when the victim had just asked. Flow state is now found only by an unguessable
// value this browser was given when it asked; a forged or guessed cookie finds
// nothing, and neither does an address typed into a form.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Client } from '../support/http-client.ts';
import { address, startTarget, type Target } from './harness.ts';

const SECRET_PATH = '/projects/acquisition-plan';

/** The victim asks, in their own browser, for a link that continues to SECRET_PATH. */
async function victimAsks(target: Target) {
  const victim = target.server.client();
  const email = address('victim');
  target.clock.advance(61);
  const asked = await victim.request('/auth/sign-in/email', { method: 'POST', form: { email, redirectTo: SECRET_PATH, typoChecked: '1' } });
  assert.equal(asked.status, 303);
  return { victim, email };
}

/** What the attacker's page shows: assert it says nothing about the victim's request. */
function assertLearnsNothing(body: string, email: string, where: string) {
  assert.doesNotMatch(body, new RegExp(email.split('@')[0]!.replace(/\./g, '\\.')), `${where}: the address`);
  assert.doesNotMatch(body, /acquisition-plan/, `${where}: the redirectTo`);
  assert.doesNotMatch(body, /data-wait-seconds="[1-9]/, `${where}: a countdown`);
  assert.doesNotMatch(body, /a moment ago|in \d+ s/, `${where}: when it last asked`);
}

function forgeries(email: string): Array<[string, string]> {
  return [
    ['latchkey_flow_email', email],
    ['latchkey_flow_email', encodeURIComponent(email)],
    ['latchkey_flow_request', email],
    ['latchkey_flow_request', randomBytes(32).toString('base64url')],
    ['latchkey_flow', randomBytes(32).toString('base64url')],
  ];
}

const html = { accept: 'text/html' };

describe('attack: a forged flow cookie (issue #12 finding 10)', () => {
  it('names a victim\'s address: the check-email page, the error pages and a wrong code show nothing of the victim\'s request', async () => {
    const target = await startTarget();
    try {
      const { email } = await victimAsks(target);
      for (const [name, value] of forgeries(email)) {
        const attacker: Client = target.server.client();
        attacker.cookies.set(name, value);
        const where = `${name}=${value.slice(0, 12)}…`;
        const checkEmail = await attacker.request('/auth/check-email', { headers: html });
        assertLearnsNothing(await checkEmail.text(), email, `check-email, ${where}`);
        const badLink = await attacker.request('/auth/verify?token=not-a-token', { headers: html });
        assert.equal(badLink.status, 400);
        assertLearnsNothing(await badLink.text(), email, `error page, ${where}`);
        const complete = await attacker.request('/auth/approval/complete', { method: 'POST', form: {} });
        assertLearnsNothing(await complete.text(), email, `approval complete, ${where}`);
      }
    } finally {
      await target.close();
    }
  });

  it('a wrong code typed for the victim\'s address shows neither the countdown nor the redirectTo of the victim\'s request', async () => {
    const target = await startTarget();
    try {
      const { email } = await victimAsks(target);
      const attacker = target.server.client();
      attacker.cookies.set('latchkey_flow_email', email);
      const page = await attacker.request('/auth/sign-in/code', { method: 'POST', form: { email, code: '000000' } });
      assert.equal(page.status, 400);
      const body = await page.text();
      assert.doesNotMatch(body, /acquisition-plan/);
      assert.doesNotMatch(body, /data-wait-seconds="[1-9]/);
    } finally {
      await target.close();
    }
  });

  it('asking for the victim\'s address right after the victim: the same answer as a sent mail, not "nothing was sent"', async () => {
    const target = await startTarget();
    try {
      const { email } = await victimAsks(target);
      const attacker = target.server.client();
      attacker.cookies.set('latchkey_flow_email', email);
      const asked = await attacker.request('/auth/sign-in/email', { method: 'POST', form: { email, typoChecked: '1' } });
      assert.equal(asked.status, 303);
      assert.equal(asked.headers.get('location'), '/auth/check-email');
      // Its page is the page of a sent mail: its own address, the full wait, no trace of the victim's request.
      const page = await (await attacker.request('/auth/check-email', { headers: html })).text();
      const fresh = address('fresh');
      const control = target.server.client();
      await control.request('/auth/sign-in/email', { method: 'POST', form: { email: fresh, typoChecked: '1' } });
      const sent = await (await control.request('/auth/check-email', { headers: html })).text();
      const comparable = (body: string, who: string) =>
        body
          .replaceAll('<wbr>', '')
          .replaceAll(who, 'ADDRESS')
          .replace(/name="csrf" value="[^"]*"/g, '')
          .replace(/Request ID <code>[^<]*<\/code>/g, '');
      assert.equal(comparable(page, email), comparable(sent, fresh));
      assert.doesNotMatch(page, /acquisition-plan|not-sent/);
    } finally {
      await target.close();
    }
  });

  it('the browser that asked still sees its address, its wait and its redirect, and no cookie carries an address', async () => {
    const target = await startTarget();
    try {
      const { victim, email } = await victimAsks(target);
      for (const [name, value] of victim.cookies) assert.ok(!value.includes('@') && !value.includes('%40'), `${name} carries an address`);
      const page = await (await victim.request('/auth/check-email', { headers: html })).text();
      assert.ok(page.includes(email));
      assert.match(page, /data-wait-seconds="[1-9]/);
      assert.ok(page.includes(`name="redirectTo" value="${SECRET_PATH}"`));
      // An hour later the link has expired; its error page offers one click to the same address.
      target.clock.advance(3600);
      const expired = await (await victim.request('/auth/verify?token=not-a-token', { headers: html })).text();
      assert.ok(expired.includes(`name="email" value="${email}"`));
    } finally {
      await target.close();
    }
  });
});
