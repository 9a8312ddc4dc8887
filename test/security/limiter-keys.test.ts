// Attack: dodge a limiter by spelling its key differently (case, spaces,
// Unicode forms, IPv4-mapped IPv6) so each request lands in a fresh bucket.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientIp, rateLimitSubject, trustedProxies } from '../../src/core/client-ip.ts';
import { codeFrom } from '../support/http-client.ts';
import { address, askForMail, assertRateLimited, startTarget } from './harness.ts';

describe('attack: limiter key tricks', () => {
  it('case, whitespace and Unicode spellings of one address share its mail cap', async () => {
    const target = await startTarget();
    try {
      const local = address('Victim').split('@')[0]!;
      const spellings = [`${local}@example.com`, `${local.toUpperCase()}@EXAMPLE.COM`, ` ${local}@Example.com\t`, `${local}@ｅｘａｍｐｌｅ.com`];
      for (const spelling of spellings) {
        target.clock.advance(61);
        assert.equal((await askForMail(target.server.client(), spelling)).status, 202);
      }
      await target.settle();
      assert.equal(target.sink.messages.length, 3, 'three mails per 15 minutes for the one canonical address');
    } finally {
      await target.close();
    }
  });

  it('spellings of one address share its failure count', async () => {
    const target = await startTarget({ limits: { accountFailuresBeforeDelay: 3 } });
    try {
      const email = address('victim');
      await askForMail(target.server.client(), email);
      await target.settle();
      const wrong = codeFrom(target.mailsTo(email)[0]!.text) === '000000' ? '111111' : '000000';
      for (const spelling of [email.toUpperCase(), ` ${email} `, email.replace('example.com', 'EXAMPLE.com')]) {
        await target.server.client().request('/auth/sign-in/code', { method: 'POST', json: { email: spelling, code: wrong } });
      }
      await assertRateLimited(await target.server.client().request('/auth/sign-in/code', { method: 'POST', json: { email, code: wrong } }));
    } finally {
      await target.close();
    }
  });

  it('rotating IPv6 addresses inside one /64 does not escape the per-IP mail limit', async () => {
    const target = await startTarget({ trustedProxies: ['127.0.0.1', '::1'], limits: { mailsPerIpPerHour: 3 } });
    try {
      const statuses: number[] = [];
      for (let host = 1; host <= 5; host++) {
        // Each request from another address of 2001:db8:1:2::/64, as a proxy in front would report it.
        const from = `2001:db8:1:2:${host.toString(16)}:${(host * 7919).toString(16)}::${host}`;
        statuses.push((await askForMail(target.server.client(), address('v6'), {}, { 'x-forwarded-for': from })).status);
      }
      assert.deepEqual(statuses, [202, 202, 202, 429, 429]);
      // Another /64 is another client.
      assert.equal((await askForMail(target.server.client(), address('v6'), {}, { 'x-forwarded-for': '2001:db8:1:3::1' })).status, 202);
    } finally {
      await target.close();
    }
  });

  it('per-IP limits count an IPv6 client by its /64, whatever the spelling', () => {
    const subject = '2001:db8:0:1::/64';
    for (const ip of ['2001:db8:0:1::1', '2001:0db8:0000:0001:ffff:ffff:ffff:ffff', '2001:db8::1:0:0:0:9', '2001:db8:0:1:1:2:192.0.2.1', '2001:db8:0:1::5%eth0']) {
      assert.equal(rateLimitSubject(ip), subject, ip);
    }
    assert.equal(rateLimitSubject('::1'), '0:0:0:0::/64');
    assert.equal(rateLimitSubject('203.0.113.9'), '203.0.113.9', 'IPv4 as it is');
    assert.equal(rateLimitSubject(null), null);
  });

  it('an IPv4-mapped IPv6 peer is the same client as its IPv4 form', () => {
    const none = trustedProxies([]);
    assert.equal(clientIp('::ffff:203.0.113.9', null, none), '203.0.113.9');
    assert.equal(clientIp('::FFFF:203.0.113.9', null, none), '203.0.113.9');
    const proxies = trustedProxies(['::1', '10.0.0.0/8']);
    assert.equal(clientIp('::1', '::ffff:198.51.100.4', proxies), '198.51.100.4');
    assert.equal(clientIp('::1', '198.51.100.4, 10.1.2.3', proxies), '198.51.100.4');
  });
});
