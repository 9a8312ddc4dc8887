// Attack (issue #12 finding 8): fill the database through refusals. Every policy
// denial used to store an audit row carrying a 512-byte User-Agent; a client that
// is refused again and again (one wrote ~7,000 rows in 5 s) turns the audit
// trail into a disk filler. Beyond a few per key and minute, denials are
// counted (the metric) and summed up by one event, not stored one by one.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { address, askForMail, DEFAULT_LIMITS, startTarget } from './harness.ts';

const REFUSALS = 60;
const LONG_AGENT = `Mozilla/5.0 ${'x'.repeat(500)}`;

async function deniedTotal(baseUrl: string, reason: string): Promise<number> {
  const text = await (await fetch(new URL('/metrics', baseUrl))).text();
  return Number(new RegExp(`^latchkey_policy_denied_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
}

describe('attack: audit rows from refused requests', () => {
  it('one client refused again and again: a bounded number of rows, every refusal counted', async () => {
    const target = await startTarget();
    try {
      const attacker = target.server.client().fork(LONG_AGENT);
      for (let i = 0; i < REFUSALS; i++) {
        const response = await askForMail(attacker, address('x'), {}, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
        assert.equal(response.status, 403);
      }
      const stored = await target.store.listAudit({ type: 'policy.denied' });
      assert.ok(stored.length <= DEFAULT_LIMITS.deniedAuditEventsPerKeyPerMinute, `${stored.length} rows for ${REFUSALS} refusals`);
      assert.ok(stored.length > 0, 'the first refusals are still stored one by one');
      const summaries = await target.store.listAudit({ type: 'policy.denials_suppressed' });
      assert.equal(summaries.length, 1, 'one summary event for the window');
      assert.equal(summaries[0]!.reason, 'cross_site');
      assert.equal(await deniedTotal(target.server.url, 'cross_site'), REFUSALS, 'the metric counts every refusal');
    } finally {
      await target.close();
    }
  });

  it('one address refused from ever new addresses (a rotating botnet): bounded by the account key too', async () => {
    const target = await startTarget({ trustedProxies: ['127.0.0.1'] });
    try {
      const victim = address('victim');
      const client = target.server.client();
      await askForMail(client, victim);
      for (let i = 0; i < REFUSALS; i++) {
        // Each request from another client IP: the per-IP limit never trips, the resend interval does.
        await askForMail(client, victim, {}, { 'x-forwarded-for': `198.51.100.${i + 1}` });
      }
      const stored = await target.store.listAudit({ type: 'policy.denied', email: victim });
      assert.ok(stored.length <= DEFAULT_LIMITS.deniedAuditEventsPerKeyPerMinute, `${stored.length} rows for ${REFUSALS} refusals`);
      assert.equal((await target.store.listAudit({ type: 'policy.denials_suppressed', email: victim })).length, 1);
      assert.equal(await deniedTotal(target.server.url, 'address_interval'), REFUSALS);
    } finally {
      await target.close();
    }
  });
});
