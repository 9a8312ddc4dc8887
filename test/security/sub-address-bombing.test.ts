// Attack (issue #12 finding 6): `victim+1@…`, `victim+2@…`, … are distinct
// addresses to us but one inbox to the victim. From many forwarded IPs of one
// network the attacker bombs that inbox, then drains the deployment's hourly
// budget so every other user gets 429. The per-address caps key on the mailbox
// (sub-address folded, for the caps only), and one network gets at most a share
// of the hourly budget.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { address, askForMail, assertAccepted, assertRateLimited, startTarget } from './harness.ts';

const PROXY = { trustedProxies: ['127.0.0.0/8'] };
const from = (ip: string) => ({ 'x-forwarded-for': ip });

describe('attack: +tag aliases and one network draining the global cap (issue #12 finding 6)', () => {
  it('40 sign-ins for victim+N from 10 IPs of one network: 3 mails reach the inbox, each to the address asked for', async () => {
    const target = await startTarget({ ...PROXY, limits: { mailsPerHour: 40, mailsNetworkSharePercent: 50 } });
    try {
      const victim = address('victim').split('@')[0]!;
      for (let n = 1; n <= 40; n++) {
        await assertAccepted(await askForMail(target.server.client(), `${victim}+${n}@example.com`, {}, from(`198.51.100.${n % 10}`)));
      }
      await target.settle();
      const delivered = target.sink.messages.flatMap((m) => m.envelopeTo).filter((to) => to.startsWith(`${victim}+`));
      // The 15-minute cap of the one mailbox; delivery still goes to the exact address asked for, never the folded one.
      assert.deepEqual(delivered, [`${victim}+1@example.com`, `${victim}+2@example.com`, `${victim}+3@example.com`]);
      assert.equal(target.mailsTo(`${victim}@example.com`).length, 0);
      // The hourly budget is untouched by the silenced requests: anyone else still gets mail.
      const user = address('bystander');
      await assertAccepted(await askForMail(target.server.client(), user, {}, from('203.0.113.9')));
    } finally {
      await target.close();
    }
  });

  it('one network spraying addresses gets its share of the hourly budget, then 429; everyone else still gets mail', async () => {
    // 20 an hour, at most 25 % (5) of it for one /24.
    const target = await startTarget({ ...PROXY, limits: { mailsPerHour: 20, mailsNetworkSharePercent: 25 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) {
        statuses.push((await askForMail(target.server.client(), address('spray'), {}, from(`198.51.100.${i % 10}`))).status);
      }
      assert.deepEqual(statuses, [...Array(5).fill(202), ...Array(25).fill(429)]);
      const denied = await target.store.listAudit({ type: 'policy.denied' });
      assert.ok(denied.length > 0 && denied.every((e) => e.reason === 'network_mail_limit'));
      // Someone on another network is not punished for it.
      const user = address('bystander');
      await assertAccepted(await askForMail(target.server.client(), user, {}, from('203.0.113.9')));
      await target.settle();
      assert.equal(target.mailsTo(user).length, 1);
      // An IPv6 network is one /48: a new /64 inside it buys nothing.
      for (let i = 0; i < 5; i++) await assertAccepted(await askForMail(target.server.client(), address('v6'), {}, from(`2001:db8:1:${i}::1`)));
      await assertRateLimited(await askForMail(target.server.client(), address('v6'), {}, from('2001:db8:1:ff::1')));
    } finally {
      await target.close();
    }
  });

  it('only "+" is folded: victim-1 and victim-2 are two mailboxes (a hyphen is part of many real names)', async () => {
    const target = await startTarget({ limits: { mailsPerAddressPer15Minutes: 1 } });
    try {
      const base = address('first').split('@')[0]!;
      for (const local of [`${base}-a`, `${base}-b`, `${base}+a`, `${base}+b`, base]) {
        await assertAccepted(await askForMail(target.server.client(), `${local}@example.com`));
      }
      await target.settle();
      const delivered = target.sink.messages.flatMap((m) => m.envelopeTo).sort();
      assert.deepEqual(delivered, [`${base}+a@example.com`, `${base}-a@example.com`, `${base}-b@example.com`].sort());
    } finally {
      await target.close();
    }
  });
});
