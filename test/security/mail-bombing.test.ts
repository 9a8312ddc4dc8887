// Attack: flood a victim's inbox (or the sender's reputation) through the
// sign-in form. Per-address caps are silent: the attacker gets the same 202 and
// the victim gets no more mail.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { address, askForMail, assertAccepted, assertRateLimited, startTarget } from './harness.ts';

describe('attack: mail bombing', () => {
  it('a burst at one address yields one mail; the rest are the same silent 202', async () => {
    const target = await startTarget();
    try {
      const victim = address('victim');
      const attacker = target.server.client();
      for (let i = 0; i < 10; i++) await assertAccepted(await askForMail(attacker, victim));
      await target.settle();
      assert.equal(target.mailsTo(victim).length, 1);
      const denied = await target.store.listAudit({ type: 'policy.denied', email: victim });
      assert.equal(denied.length, 9);
      assert.ok(denied.every((e) => e.reason === 'address_interval'));
    } finally {
      await target.close();
    }
  });

  it('60 s apart: at most 3 mails per 15 minutes, then silence', async () => {
    const target = await startTarget();
    try {
      const victim = address('victim');
      const attacker = target.server.client();
      for (let i = 0; i < 6; i++) {
        target.clock.advance(61);
        await assertAccepted(await askForMail(attacker, victim));
      }
      await target.settle();
      assert.equal(target.mailsTo(victim).length, 3);
      const reasons = (await target.store.listAudit({ type: 'policy.denied', email: victim })).map((e) => e.reason);
      assert.deepEqual(reasons, ['address_limit', 'address_limit', 'address_limit']);
    } finally {
      await target.close();
    }
  });

  it('at most 10 mails per address per day, whatever the short window allows', async () => {
    const target = await startTarget({ limits: { mailsPerAddressPer15Minutes: 100 } });
    try {
      const victim = address('victim');
      for (let i = 0; i < 14; i++) {
        target.clock.advance(61);
        await assertAccepted(await askForMail(target.server.client(), victim));
      }
      await target.settle();
      assert.equal(target.mailsTo(victim).length, 10);
    } finally {
      await target.close();
    }
  });

  it('one IP asking for many addresses gets 20 mails an hour, then a generic 429', async () => {
    const target = await startTarget();
    try {
      const attacker = target.server.client();
      const victims = Array.from({ length: 25 }, () => address('spray'));
      const statuses: number[] = [];
      for (const victim of victims) {
        const response = await askForMail(attacker, victim);
        statuses.push(response.status);
        if (response.status === 429) await assertRateLimited(response);
        else await assertAccepted(response);
      }
      assert.deepEqual(statuses, [...Array(20).fill(202), ...Array(5).fill(429)]);
      await target.settle();
      assert.equal(victims.filter((v) => target.mailsTo(v).length > 0).length, 20);
      // Malformed addresses count against the bucket too: they are still requests.
      await assertRateLimited(await askForMail(attacker, 'not-an-address'));
    } finally {
      await target.close();
    }
  });

  it('the global hourly cap stops mail from every IP', async () => {
    // Each request from its own network, so no network's share (issue #12 finding 6) is what stops them.
    const target = await startTarget({ trustedProxies: ['127.0.0.0/8'], limits: { mailsPerHour: 5 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        statuses.push((await askForMail(target.server.client(), address('many'), {}, { 'x-forwarded-for': `198.51.${i}.7` })).status);
      }
      assert.deepEqual(statuses, [202, 202, 202, 202, 202, 429, 429, 429]);
      await target.settle();
      assert.equal(target.sink.messages.length, 5);
      const reasons = (await target.store.listAudit({ type: 'policy.denied' })).map((e) => e.reason);
      assert.deepEqual(reasons, ['global_mail_limit', 'global_mail_limit', 'global_mail_limit']);
    } finally {
      await target.close();
    }
  });

  it('a form post over the IP limit gets the sign-in page with the generic message, 429', async () => {
    const target = await startTarget({ limits: { mailsPerIpPerHour: 1 } });
    try {
      const browser = target.server.client();
      await browser.request('/auth/sign-in/email', { method: 'POST', form: { email: address('form'), typoChecked: '1' } });
      const page = await browser.request('/auth/sign-in/email', { method: 'POST', form: { email: address('form'), typoChecked: '1' } });
      assert.equal(page.status, 429);
      assert.match(await page.text(), /Too many requests/);
      assert.equal(page.headers.get('retry-after'), null);
    } finally {
      await target.close();
    }
  });
});
