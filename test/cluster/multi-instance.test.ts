// Several instances act as one (issue #6): two real `latchkey start` processes
// on loopback, different ports, one base URL, one PostgreSQL database (created
// for this run), one Redis (a key prefix of this run, behind a proxy the test
// can cut), one real SMTP server in this process. What a user or an operator
// sees: a link asked for on A works on B; a token is spent once however the
// load balancer spreads the race; a limit hit on A holds on B, also while Redis
// is down; mail held by a killed instance is sent once by the other after the
// lease; SIGTERM finishes what is in flight, hands back the rest, and exits 0.
// Needs PostgreSQL and Redis: skipped with a message without them, unless CI=true.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { Client, tokenFrom } from '../support/http-client.ts';
import { startSmtpSink, type ParsedMessage, type SmtpSink } from '../support/smtp-sink.ts';
import { clusterSkip, createDatabase, REDIS_URL, startInstance, startRedisProxy, type Instance } from './harness.ts';

const BASE_URL = 'http://auth.cluster.test';
const KILLED_LEASE_MS = 4000;
const SURVIVOR_LEASE_MS = 8000;
const DRAINED_LEASE_MS = 30_000;

let ipCounter = 0;
/** A client address of its own (the test is the instances' trusted proxy), so the 3-per-hour IP limit bites only where meant to. */
const freshIp = () => `198.51.${100 + Math.floor(ipCounter / 250)}.${(ipCounter++ % 250) + 1}`;
let mailCounter = 0;
const freshEmail = (label: string) => `${label}.${Date.now()}.${++mailCounter}@example.com`;

function askForMail(instance: Instance, email: string, ip = freshIp()): Promise<Response> {
  return new Client(instance.url).request('/auth/sign-in/email', { method: 'POST', json: { email }, headers: { 'x-forwarded-for': ip } });
}

const count = (values: unknown[], value: unknown) => values.filter((v) => v === value).length;

describe('several instances on PostgreSQL + Redis act as one', async () => {
  const skip = await clusterSkip();
  if (skip) {
    it(`skipped: ${skip}`, { skip }, () => {});
    return;
  }

  let database: Awaited<ReturnType<typeof createDatabase>>;
  let redisProxy: Awaited<ReturnType<typeof startRedisProxy>>;
  let sink: SmtpSink;
  let a: Instance;
  let b: Instance;
  const prefix = `lk-cluster-${randomBytes(4).toString('hex')}`;
  const started: Instance[] = [];
  let env: (leaseMs: number) => Record<string, string>;

  const mailTo = (email: string, timeoutMs = 10_000) => sink.waitFor((m) => m.to === email, timeoutMs);
  const outboxRows = (emails: string[]) =>
    database.query<{ id: string; recipient: string; status: string; claimed_by: string | null; lease_until: number | null; sent_at: number | null }>(
      'SELECT id, recipient, status, claimed_by, lease_until::float8 AS lease_until, sent_at::float8 AS sent_at FROM outbox WHERE recipient = ANY($1)',
      [emails],
    );
  /** Every mail asked for so far has left: what follows starts from a quiet outbox. */
  const settled = async () => {
    for (let i = 0; i < 500; i++) {
      const [row] = await database.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox WHERE status IN ('queued', 'sending')");
      if (row!.n === 0) return;
      await sleep(20);
    }
    throw new Error('outbox did not drain');
  };
  const claimedBy = (instance: Instance) => (row: { claimed_by: string | null }) => row.claimed_by?.includes(`:${instance.pid}:`) ?? false;
  const launch = async (name: string, leaseMs: number) => {
    const instance = await startInstance(name, env(leaseMs));
    started.push(instance);
    return instance;
  };

  before(async () => {
    database = await createDatabase();
    redisProxy = await startRedisProxy();
    sink = await startSmtpSink();
    const secret = randomBytes(48).toString('base64url');
    const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-cluster-'));
    env = (leaseMs) => ({
      LATCHKEY_BASE_URL: BASE_URL,
      LATCHKEY_DATABASE_URL: database.url,
      LATCHKEY_REDIS_URL: redisProxy.url,
      LATCHKEY_REDIS_PREFIX: prefix,
      LATCHKEY_SMTP_URL: sink.url,
      LATCHKEY_SECRET: secret,
      LATCHKEY_DATA_DIR: dataDir,
      LATCHKEY_TRUSTED_PROXIES: '127.0.0.1',
      LATCHKEY_LIMIT_MAILS_PER_IP_HOUR: '3',
      LATCHKEY_LIMIT_VERIFY_PER_IP_5MIN: '1000',
      LATCHKEY_LIMIT_MAILS_PER_HOUR: '100000',
      LATCHKEY_OUTBOX_LEASE_MS: String(leaseMs),
      LATCHKEY_LOG_LEVEL: 'info',
    });
    // A first, so its migration is done before B starts (they would also queue on the advisory lock).
    a = await launch('A', KILLED_LEASE_MS);
    b = await launch('B', SURVIVOR_LEASE_MS);
  });

  after(async () => {
    for (const instance of started) instance.kill('SIGKILL');
    await Promise.all(started.map((instance) => instance.exited));
    await sink?.close();
    await redisProxy?.close();
    await database?.drop();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('a link asked for on A signs in on B, and the session is known on A', async (t) => {
    const email = freshEmail('across');
    assert.equal((await askForMail(a, email)).status, 202);
    const token = tokenFrom((await mailTo(email)).text);
    const onB = new Client(b.url);
    const verified = await onB.request('/auth/verify', { method: 'POST', json: { token } });
    assert.equal(verified.status, 200);
    const onA = new Client(a.url);
    for (const [name, value] of onB.cookies) onA.cookies.set(name, value);
    const session = await onA.request('/auth/session');
    assert.equal(session.status, 200);
    assert.equal(((await session.json()) as { user: { email: string } }).user.email, email);
    t.diagnostic('requested on A, verified on B, session valid on A');
  });

  it('50 parallel verifications of one token, split across A and B: exactly one succeeds', async (t) => {
    const email = freshEmail('race');
    assert.equal((await askForMail(b, email)).status, 202);
    const token = tokenFrom((await mailTo(email)).text);
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => new Client((i % 2 ? b : a).url).request('/auth/verify', { method: 'POST', json: { token } })),
    );
    const statuses = responses.map((r) => r.status);
    const codes = await Promise.all(responses.map(async (r) => (r.status === 200 ? 'ok' : ((await r.json()) as { error: { code: string } }).error.code)));
    assert.equal(count(statuses, 200), 1, `statuses: ${statuses.join(',')}`);
    assert.ok(statuses.every((s) => s < 500));
    assert.equal(count(codes, 'token_used'), 49, `codes: ${codes.join(',')}`);
    t.diagnostic(`50 parallel verifications (25 on A, 25 on B): ${count(statuses, 200)} success, ${count(codes, 'token_used')} token_used`);
  });

  it('a rate limit reached on A holds on B (shared in Redis)', async (t) => {
    const ip = freshIp();
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await askForMail(a, freshEmail('limit'), ip)).status);
    statuses.push((await askForMail(b, freshEmail('limit'), ip)).status);
    statuses.push((await askForMail(a, freshEmail('limit'), ip)).status);
    assert.deepEqual(statuses, [202, 202, 202, 429, 429]);
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}:ip-mail:*`);
    redis.disconnect();
    assert.ok(keys.length > 0, 'the bucket lives in Redis');
    assert.deepEqual(await database.query('SELECT key FROM rate_limit_counters'), [], 'the database fallback was not needed');
    t.diagnostic(`per-IP limit 3/hour: A,A,A,B,A → ${statuses.join(',')}`);
  });

  it('while Redis is down both fall back to the database: one warning each, one limit for both; then Redis is back', async (t) => {
    await redisProxy.down();
    // Said at once, before any request needs a limit.
    for (const instance of [a, b]) await instance.waitForLog((line) => String(line.msg).includes('Redis unreachable'));
    const ip = freshIp();
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await askForMail(i % 2 ? b : a, freshEmail('down'), ip)).status);
    assert.deepEqual(statuses, [202, 202, 202, 429, 429, 429], 'per-instance counting would have allowed 6');
    const counters = await database.query<{ key: string }>('SELECT key FROM rate_limit_counters');
    assert.ok(counters.some((row) => row.key.startsWith(`${prefix}:ip-mail:`)), 'the counters are in the shared database');
    for (const instance of [a, b]) {
      const warnings = instance.logs.filter((line) => String(line.msg).includes('Redis unreachable'));
      assert.equal(warnings.length, 1, `${instance.name}: one warning line, not one per request or retry`);
      assert.equal(warnings[0]!.level, 40);
      assert.match(String(warnings[0]!.msg), /kept in the database/);
    }

    await redisProxy.up();
    for (const instance of [a, b]) await instance.waitForLog((line) => String(line.msg).includes('Redis is back'), 15_000);
    const again = freshIp();
    const back = [];
    for (let i = 0; i < 4; i++) back.push((await askForMail(i === 3 ? b : a, freshEmail('back'), again)).status);
    assert.deepEqual(back, [202, 202, 202, 429], 'shared through Redis again');
    t.diagnostic(`Redis down, A/B alternating from one IP: ${statuses.join(',')}; "Redis unreachable" warnings: A 1, B 1; back in Redis, A,A,A,B: ${back.join(',')}`);
  });

  it('kill -9 of A while it holds claimed mail: B sends each message exactly once, after the lease', async (t) => {
    // SMTP hangs at RCPT TO: A's sends are claimed and started, nothing is delivered.
    // B sleeps meanwhile, and a first message keeps A busy while the six queue up, so A claims them in one batch.
    await settled();
    b.kill('SIGSTOP');
    sink.setStalled(true);
    const first = freshEmail('killed-first');
    assert.equal((await askForMail(a, first)).status, 202);
    for (let i = 0; i < 100 && sink.stalledCount === 0; i++) await sleep(20);
    const emails = Array.from({ length: 6 }, () => freshEmail('killed'));
    for (const email of emails) assert.equal((await askForMail(a, email)).status, 202);
    assert.equal(sink.answerStalled(), 1); // the first goes through; the six hang
    await mailTo(first);
    let rows = await outboxRows(emails);
    for (let i = 0; i < 100 && !(rows.every((r) => r.status === 'sending') && sink.stalledCount > 0); i++) {
      await sleep(20);
      rows = await outboxRows(emails);
    }
    const held = rows.filter(claimedBy(a));
    assert.equal(held.length, 6, 'A holds the six, mid-send');
    a.kill('SIGKILL');
    const killedAt = Date.now();
    assert.equal((await a.exited).signal, 'SIGKILL');
    b.kill('SIGCONT');
    sink.setStalled(false);

    for (const email of emails) await mailTo(email, KILLED_LEASE_MS + 10_000);
    const recoveredMs = Date.now() - killedAt;
    await sleep(1500); // room for a duplicate, if there were one
    await settled();
    rows = await outboxRows(emails);
    for (const row of rows.filter((r) => held.some((h) => h.id === r.id))) {
      assert.equal(row.status, 'sent');
      assert.ok(claimedBy(b)(row), 'B took it over');
      const lease = held.find((h) => h.id === row.id)!.lease_until!;
      assert.ok(row.sent_at! >= lease, 'not before the lease ran out');
    }
    const perMessage = rows.map((row) => sink.messages.filter((m: ParsedMessage) => m.messageId === `<${row.id}@auth.cluster.test>`).length);
    assert.deepEqual(perMessage, rows.map(() => 1), 'each message exactly once at the SMTP server');
    assert.deepEqual(emails.map((email) => sink.messages.filter((m) => m.to === email).length), emails.map(() => 1));
    t.diagnostic(
      `A killed holding ${held.length} claimed messages mid-send (lease ${KILLED_LEASE_MS} ms); all at the SMTP server ${recoveredMs} ms after the kill, sent by B; ` +
        `SMTP server counts per message: ${perMessage.join(',')}`,
    );
  });

  it('SIGTERM: finishes the request and the sends in flight, hands back claimed mail at once, exits 0', async (t) => {
    const drained = await launch('A2', DRAINED_LEASE_MS);
    await settled();
    // Line up a batch bigger than A2's 10 sends at a time: B sleeps, A2's first send hangs while 13 more queue up.
    b.kill('SIGSTOP');
    sink.setStalled(true);
    const emails = Array.from({ length: 14 }, () => freshEmail('drain'));
    assert.equal((await askForMail(drained, emails[0]!)).status, 202);
    for (let i = 0; i < 100 && sink.stalledCount === 0; i++) await sleep(20);
    for (const email of emails.slice(1)) assert.equal((await askForMail(drained, email)).status, 202);
    sink.setDelay(1000); // each message takes a second once SMTP answers
    sink.setStalled(false);
    let rows = await outboxRows(emails);
    for (let i = 0; i < 200 && rows.filter((r) => r.status === 'sending' && claimedBy(drained)(r)).length < 13; i++) {
      await sleep(20);
      rows = await outboxRows(emails);
    }
    assert.equal(rows.filter((r) => r.status === 'sending' && claimedBy(drained)(r)).length, 13, 'A2 claimed the 13 in one batch');

    // A request in flight: its body is still arriving when SIGTERM comes.
    const lateEmail = freshEmail('in-flight');
    const body = JSON.stringify({ email: lateEmail });
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = http.request(`${drained.url}/auth/sign-in/email`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-forwarded-for': freshIp() },
      });
      request.on('response', (response) => {
        let text = '';
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      });
      request.on('error', reject);
      request.write(body.slice(0, 10));
      setTimeout(() => request.end(body.slice(10)), 500);
    });
    await sleep(100);
    const termAt = Date.now();
    drained.kill('SIGTERM');
    b.kill('SIGCONT');
    await drained.waitForLog((line) => String(line.msg).startsWith('latchkey stopping'));
    const refused = await new Client(drained.url).request('/healthz').then(
      () => false,
      () => true,
    );
    assert.ok(refused, 'no new connections once stopping');
    assert.deepEqual(await answer, { status: 202, body: '{"status":"sent"}' }, 'the request in flight was answered');
    const exit = await drained.exited;
    const exitMs = Date.now() - termAt;
    assert.deepEqual(exit, { code: 0, signal: null });
    const released = drained.logs.find((line) => line.msg === 'outbox: released claimed messages to other workers');
    assert.ok(released, 'A2 said it released mail');
    assert.ok((released.released as number) > 0);

    const all = [...emails, lateEmail];
    for (const email of all) await mailTo(email, 15_000);
    await settled(); // marked sent just after the server's reply
    const inFlight = 13 - (released.released as number);
    rows = await outboxRows(all);
    const leaseEnd = termAt + DRAINED_LEASE_MS - 1000;
    assert.ok(rows.every((r) => r.status === 'sent'));
    assert.ok(rows.every((r) => r.sent_at! < leaseEnd), 'released mail went out at once, not after A2’s 30 s lease');
    assert.equal(rows.filter(claimedBy(b)).length, (released.released as number) + 1, 'B sent what A2 released and the late request’s mail');
    await sleep(1000);
    assert.deepEqual(all.map((email) => sink.messages.filter((m) => m.to === email).length), all.map(() => 1), 'each exactly once');
    sink.setDelay(0);
    t.diagnostic(
      `SIGTERM with 1 request and ${inFlight} sends in flight, ${released.released} claimed-but-unsent: request answered 202, ` +
        `A2 exited 0 after ${exitMs} ms, B sent the ${released.released} released + 1 late mail, each of the 15 messages once at the SMTP server`,
    );
  });

  it('SIGTERM of an idle instance exits 0 at once', async (t) => {
    const termAt = Date.now();
    b.kill('SIGTERM');
    assert.deepEqual(await b.exited, { code: 0, signal: null });
    assert.ok(b.logs.some((line) => line.msg === 'latchkey stopped'));
    t.diagnostic(`B exited 0 ${Date.now() - termAt} ms after SIGTERM`);
  });
});
