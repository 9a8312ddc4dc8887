// prom-client loads at the first scrape of /metrics, not at startup (issue #14
// item 5). What an operator scrapes must not tell: the observations made before
// the registry existed are all there, with the same labels and values, as a
// registry loaded at startup would show them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMetrics, PENDING_LIMIT, type Metrics } from '../../src/core/metrics.ts';

const build = { version: '9.9.9', schema: 10, commit: 'abcdef1' };
const outbox = async () => ({ queued: 3, retrying: 1, sending: 0, sent: 12, dead: 2, oldestUnsentAt: 40_000, troubled: [] });
const now = () => 100_000;
const fresh = () => createMetrics(build, outbox, now);

/** The same mix of observations, `rounds` times: every metric and several label sets of each. */
function traffic(metrics: Metrics, rounds: number): void {
  for (let i = 0; i < rounds; i++) {
    metrics.request('signInEmail', 'POST', '/auth/sign-in/email', 202, 0.0005 * (i % 13), undefined);
    metrics.request('verify', 'POST', '/auth/verify', i % 3 === 0 ? 400 : 200, 0.01 + i / 1000, i % 3 === 0 ? 'token_expired' : undefined);
    metrics.request('signInCode', 'POST', '/auth/sign-in/code', 401, 0.3, 'code_invalid');
    metrics.request(null, 'GET', '/nowhere', 404, 0.0001, 'not_found');
    metrics.sessionCheck(i % 2 === 0);
    metrics.policyDenied(i % 2 === 0 ? 'rate_limited' : 'cross_site');
    metrics.mailAttempt(i % 5 === 0 ? 'retrying' : 'sent');
    metrics.oidcRequest(i % 2 === 0 ? 'token' : 'authorization', i % 4 === 0 ? 'unknown' : 'client-1', 'success');
  }
}

const FAMILIES = [
  'latchkey_http_requests_total',
  'latchkey_http_request_duration_seconds',
  'latchkey_sign_in_requests_total',
  'latchkey_sign_ins_total',
  'latchkey_policy_denied_total',
  'latchkey_session_validations_total',
  'latchkey_mail_attempts_total',
  'latchkey_oidc_requests_total',
  'latchkey_outbox_messages',
  'latchkey_outbox_oldest_unsent_age_seconds',
  'latchkey_build_info',
];

describe('metrics before the first scrape', () => {
  it('the first scrape after traffic shows exactly what a registry loaded before the traffic shows', async () => {
    const eager = fresh();
    await eager.scrape(); // loads the registry first
    traffic(eager, 40);
    const lazy = fresh();
    traffic(lazy, 40);
    const scraped = await lazy.scrape();
    assert.equal(scraped.body, (await eager.scrape()).body);
    assert.match(scraped.contentType, /^text\/plain; version=0\.0\.4/);
    for (const family of FAMILIES) assert.match(scraped.body, new RegExp(`^# TYPE ${family} `, 'm'), family);
    assert.match(scraped.body, /^latchkey_http_requests_total\{method="POST",route="\/auth\/verify",status="400"\} 14$/m);
    assert.match(scraped.body, /^latchkey_sign_ins_total\{step="code",outcome="failed",reason="code_invalid"\} 40$/m);
    assert.match(scraped.body, /^latchkey_http_request_duration_seconds_count\{method="GET",route="\/nowhere"\} 40$/m);
    assert.match(scraped.body, /^latchkey_outbox_messages\{state="dead"\} 2$/m);
    assert.match(scraped.body, /^latchkey_build_info\{version="9\.9\.9",schema="10",commit="abcdef1"\} 1$/m);
  });

  it('past the limit of waiting observations the registry loads by itself, and none is lost', async () => {
    const eager = fresh();
    await eager.scrape();
    const lazy = fresh();
    const rounds = Math.ceil((PENDING_LIMIT * 5) / 11); // 11 observations a round: five times the limit
    traffic(eager, rounds);
    traffic(lazy, rounds);
    assert.equal((await lazy.scrape()).body, (await eager.scrape()).body);
  });

  it('keeps counting after the first scrape', async () => {
    const metrics = fresh();
    traffic(metrics, 1);
    await metrics.scrape();
    traffic(metrics, 2);
    assert.match((await metrics.scrape()).body, /^latchkey_sign_in_requests_total 3$/m);
  });
});
