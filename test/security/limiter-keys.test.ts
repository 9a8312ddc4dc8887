// Attack: dodge a limiter by spelling its key differently (case, spaces,
// Unicode forms, IPv4-mapped IPv6) so each request lands in a fresh bucket.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientIp, trustedProxies } from '../../src/core/client-ip.ts';
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

  it('an IPv4-mapped IPv6 peer is the same client as its IPv4 form', () => {
    const none = trustedProxies([]);
    assert.equal(clientIp('::ffff:203.0.113.9', null, none), '203.0.113.9');
    assert.equal(clientIp('::FFFF:203.0.113.9', null, none), '203.0.113.9');
    const proxies = trustedProxies(['::1', '10.0.0.0/8']);
    assert.equal(clientIp('::1', '::ffff:198.51.100.4', proxies), '198.51.100.4');
    assert.equal(clientIp('::1', '198.51.100.4, 10.1.2.3', proxies), '198.51.100.4');
  });
});
