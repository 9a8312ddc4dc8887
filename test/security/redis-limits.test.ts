// The limits on Redis (LATCHKEY_REDIS_URL): the same numbers hold across two
// instances sharing one Redis and one database, and while Redis is down the
// database keeps limiting (fail safe, still one limit for every instance) and
// the outage is logged once.
// Needs Redis at LATCHKEY_TEST_REDIS_URL (default redis://127.0.0.1:6379):
// skipped with a message when unreachable, required when CI=true.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { codeFrom } from '../support/http-client.ts';
import { startTestServer } from '../support/server.ts';
import type { RateLimits } from '../../src/config.ts';
import { address, askForMail, assertRateLimited, DEFAULT_LIMITS, errorCode, startTarget, type Target } from './harness.ts';

const REDIS_URL = process.env.LATCHKEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function redisSkip(): Promise<string | false> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await client.connect();
    await client.ping();
    return false;
  } catch (error) {
    const reason = `Redis not reachable at ${REDIS_URL} (${(error as Error).message})`;
    if (process.env.CI === 'true') throw new Error(`${reason}; it is required when CI=true`);
    return reason;
  } finally {
    client.disconnect();
  }
}

const prefixes: string[] = [];
const uniquePrefix = () => {
  const prefix = `lk-test-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  prefixes.push(prefix);
  return prefix;
};

/** Another Latchkey on the target's database, SMTP sink and clock, with these Redis settings and limits (over the defaults). */
function secondInstance(first: Target, options: { redisUrl: string; redisKeyPrefix: string; trustedProxies?: string[]; limits: Partial<RateLimits> }) {
  return startTestServer({ store: first.store, smtpUrl: first.sink.url, now: first.clock.now, ...options, limits: { ...DEFAULT_LIMITS, ...options.limits } });
}

describe('rate limits on Redis', async () => {
  const skip = await redisSkip();
  if (skip) {
    it(`skipped: ${skip}`, { skip }, () => {});
    return;
  }
  after(async () => {
    const client = new Redis(REDIS_URL);
    for (const prefix of prefixes) {
      const keys = await client.keys(`${prefix}:*`);
      if (keys.length) await client.del(...keys);
    }
    client.disconnect();
  });

  it('keeps the per-IP mail limit in Redis', async () => {
    const prefix = uniquePrefix();
    const target = await startTarget({ redisUrl: REDIS_URL, redisKeyPrefix: prefix, limits: { mailsPerIpPerHour: 3 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await askForMail(target.server.client(), address('r'))).status);
      assert.deepEqual(statuses, [202, 202, 202, 429, 429]);
      const client = new Redis(REDIS_URL);
      const keys = await client.keys(`${prefix}:*`);
      client.disconnect();
      assert.ok(keys.some((k) => k.startsWith(`${prefix}:ip-mail`)), 'the bucket lives in Redis');
      assert.ok(keys.every((k) => !k.includes('@')), 'no address in clear in Redis');
    } finally {
      await target.close();
    }
  });

  it('two instances sharing Redis and the database enforce one limit, not two', async () => {
    const prefix = uniquePrefix();
    const limits = { mailsPerIpPerHour: 4 };
    const first = await startTarget({ redisUrl: REDIS_URL, redisKeyPrefix: prefix, limits });
    const second = await secondInstance(first, { redisUrl: REDIS_URL, redisKeyPrefix: prefix, limits });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const instance = i % 2 ? second : first.server;
        statuses.push((await askForMail(instance.client(), address('two'))).status);
      }
      assert.deepEqual(statuses, [202, 202, 202, 202, 429, 429]);
    } finally {
      await second.close();
      await first.close();
    }
  });

  it('the bound on audited denials is one for every instance (issue #12 finding 8)', async () => {
    const prefix = uniquePrefix();
    const limits = { deniedAuditEventsPerKeyPerMinute: 4 };
    const first = await startTarget({ redisUrl: REDIS_URL, redisKeyPrefix: prefix, limits });
    const second = await secondInstance(first, { redisUrl: REDIS_URL, redisKeyPrefix: prefix, limits });
    try {
      for (let i = 0; i < 12; i++) {
        const instance = i % 2 ? second : first.server;
        const response = await askForMail(instance.client(), address('x'), {}, { origin: 'https://evil.example' });
        assert.equal(response.status, 403);
      }
      assert.equal((await first.store.listAudit({ type: 'policy.denied' })).length, 4);
      assert.equal((await first.store.listAudit({ type: 'policy.denials_suppressed' })).length, 1);
    } finally {
      await second.close();
      await first.close();
    }
  });

  it('account failures are shared too: guesses split across instances reach one delay', async () => {
    const prefix = uniquePrefix();
    const limits = { accountFailuresBeforeDelay: 4 };
    const first = await startTarget({ redisUrl: REDIS_URL, redisKeyPrefix: prefix, limits });
    const second = await secondInstance(first, {
      redisUrl: REDIS_URL,
      redisKeyPrefix: prefix,
      limits: { mailsPerIpPerHour: 1000, verifyAttemptsPerIpPer5Minutes: 1000, ...limits },
    });
    try {
      const email = address('victim');
      await askForMail(first.server.client(), email);
      await first.settle();
      const wrong = codeFrom(first.mailsTo(email)[0]!.text) === '000000' ? '111111' : '000000';
      const seen: string[] = [];
      for (let i = 0; i < 5; i++) {
        const instance = i % 2 ? second : first.server;
        const response = await instance.client().request('/auth/sign-in/code', { method: 'POST', json: { email, code: wrong } });
        seen.push(await errorCode(response));
      }
      assert.deepEqual(seen, ['code_invalid', 'code_invalid', 'code_invalid', 'code_invalid', 'rate_limited']);
      await assertRateLimited(await second.client().request('/auth/sign-in/code', { method: 'POST', json: { email, code: wrong } }));
    } finally {
      await second.close();
      await first.close();
    }
  });

  it('while Redis is unreachable the limits still hold (in the database), and the outage is logged once', async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _encoding, callback) {
          lines.push(String(chunk));
          callback();
        },
      }),
    );
    // Nothing listens on port 1: every command fails, as when Redis is down.
    const target = await startTarget({ redisUrl: 'redis://127.0.0.1:1', redisKeyPrefix: uniquePrefix(), limits: { mailsPerIpPerHour: 3 }, logger });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await askForMail(target.server.client(), address('down'))).status);
      assert.deepEqual(statuses, [202, 202, 202, 429, 429, 429]);
      const warnings = lines.filter((line) => line.includes('Redis unreachable'));
      assert.equal(warnings.length, 1, `logged once, not per request or per retry:\n${warnings.join('')}`);
      assert.match(warnings[0]!, /kept in the database/);
    } finally {
      await target.close();
    }
  });

  it('two instances with Redis unreachable still enforce one limit and one account delay, through the shared database', async () => {
    // The test client is the trusted proxy, so each part can speak for its own client IP.
    const down = { redisUrl: 'redis://127.0.0.1:1', redisKeyPrefix: uniquePrefix(), trustedProxies: ['127.0.0.1'] };
    const limits = { mailsPerIpPerHour: 4, accountFailuresBeforeDelay: 3 };
    const first = await startTarget({ ...down, limits });
    const second = await secondInstance(first, { ...down, limits });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const instance = i % 2 ? second : first.server;
        statuses.push((await askForMail(instance.client(), address('down-two'), {}, { 'x-forwarded-for': '203.0.113.10' })).status);
      }
      assert.deepEqual(statuses, [202, 202, 202, 202, 429, 429], 'per-instance memory would have allowed 8');

      const email = address('down-victim');
      assert.equal((await askForMail(first.server.client(), email, {}, { 'x-forwarded-for': '203.0.113.11' })).status, 202);
      await first.settle();
      const wrong = codeFrom(first.mailsTo(email)[0]!.text) === '000000' ? '111111' : '000000';
      const seen: string[] = [];
      for (let i = 0; i < 4; i++) {
        const instance = i % 2 ? second : first.server;
        const response = await instance.client().request('/auth/sign-in/code', { method: 'POST', json: { email, code: wrong } });
        seen.push(await errorCode(response));
      }
      assert.deepEqual(seen, ['code_invalid', 'code_invalid', 'code_invalid', 'rate_limited']);
    } finally {
      await second.close();
      await first.close();
    }
  });
});
