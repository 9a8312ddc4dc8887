// Attack: forge X-Forwarded-For to get a fresh per-IP bucket on every request,
// or to pin the blame on someone else in the audit trail.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { address, askForMail, startTarget } from './harness.ts';

describe('attack: spoofed forwarding headers', () => {
  it('without a trusted proxy, X-Forwarded-For is ignored: a new value per request buys no new bucket', async () => {
    const target = await startTarget({ limits: { mailsPerIpPerHour: 3 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const response = await askForMail(target.server.client(), address('spoof'), {}, { 'x-forwarded-for': `203.0.113.${i}`, 'x-real-ip': `198.51.100.${i}` });
        statuses.push(response.status);
      }
      assert.deepEqual(statuses, [202, 202, 202, 429, 429]);
      const events = await target.store.listAudit({ type: 'sign_in.requested' });
      assert.ok(events.every((e) => e.ip === '127.0.0.1'), 'the audit trail names the real peer');
    } finally {
      await target.close();
    }
  });

  it('behind a trusted proxy the client is the right-most untrusted hop; the left part (client-written) is ignored', async () => {
    const target = await startTarget({ trustedProxies: ['127.0.0.0/8', '10.0.0.0/8'], limits: { mailsPerIpPerHour: 2 } });
    try {
      const statuses: number[] = [];
      // The client writes a fake left-most entry each time; the proxy appends the real one.
      for (let i = 0; i < 3; i++) {
        const response = await askForMail(target.server.client(), address('proxied'), {}, { 'x-forwarded-for': `1.2.3.${i}, 198.51.100.7, 10.0.0.2` });
        statuses.push(response.status);
      }
      assert.deepEqual(statuses, [202, 202, 429]);
      // Another real client behind the same proxy has its own bucket.
      assert.equal((await askForMail(target.server.client(), address('other'), {}, { 'x-forwarded-for': '198.51.100.8' })).status, 202);
      const ips = new Set((await target.store.listAudit({ type: 'sign_in.requested' })).map((e) => e.ip));
      assert.deepEqual([...ips].sort(), ['198.51.100.7', '198.51.100.8']);
      // A garbage hop stops the walk at the last address we can vouch for.
      await askForMail(target.server.client(), address('garbage'), {}, { 'x-forwarded-for': 'not-an-ip' });
      const last = (await target.store.listAudit({ limit: 1 }))[0]!;
      assert.equal(last.ip, '127.0.0.1');
    } finally {
      await target.close();
    }
  });
});
