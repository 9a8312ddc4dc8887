// The outbox against a real SQLite store and a real SMTP server: what is queued
// is delivered once, retried with backoff while SMTP fails, and survives restarts.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it, type TestContext } from 'node:test';
import { DEFAULT_BRAND } from '../../src/branding.ts';
import { auditEmail } from '../../src/core/audit.ts';
import { nodeRandom } from '../../src/core/random.ts';
import type { TokenRecord } from '../../src/core/types.ts';
import { composeSignInMail, renderQueuedMail } from '../../src/mail/compose.ts';
import { DevMailbox, renderDevMailbox } from '../../src/mail/dev-mailbox.ts';
import type { MailMessage } from '../../src/mail/mailer.ts';
import { describeError, openMessage, OutboxWorker, sealMessage, type OutboxWorkerOptions } from '../../src/mail/outbox.ts';
import { renderSignInMessage } from '../../src/mail/sign-in-message.ts';
import { createSmtpMailer } from '../../src/mail/smtp.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';

const T0 = Date.UTC(2026, 10, 22, 12, 0);
const KEY = randomBytes(32);
const DOMAIN = 'auth.example.com';

class Clock {
  t = T0;
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

async function openStore(t: TestContext, path = join(mkdtempSync(join(tmpdir(), 'latchkey-mail-')), 'lk.db')): Promise<Store> {
  const store = await openSqliteStore(path);
  await store.migrate();
  t.after(() => store.close());
  return store;
}

async function sink(t: TestContext): Promise<SmtpSink> {
  const s = await startSmtpSink();
  t.after(() => s.close());
  return s;
}

interface Queued {
  id: string;
  email: string;
  requestId: string;
  link: string;
  code: string;
}

/** Queues a sign-in mail the way the app does: sealed, in the same call as its token. */
async function queue(store: Store, clock: Clock, requestId = `req_${randomUUID().slice(0, 8)}`): Promise<Queued> {
  const id = randomUUID();
  const email = `${id.slice(0, 8)}@example.com`;
  const link = `https://${DOMAIN}/auth/verify?token=${randomBytes(32).toString('base64url')}`;
  const code = String(100000 + Math.floor(Math.random() * 900000));
  const token: TokenRecord = {
    id: randomUUID(), purpose: 'sign_in', tokenHash: randomUUID(), codeHash: randomUUID(), email, userId: null, otherEmail: null,
    flowHash: null, redirectTo: null, createdAt: clock.now(), expiresAt: clock.now() + 600_000, consumedAt: null,
    retiredAt: null, codeAttempts: 0, requestIp: '203.0.113.7', requestUserAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0',
  };
  const message = renderSignInMessage({
    productName: 'Acme', link, code, email, expiresInSeconds: 600, requestedAt: clock.now(), ip: token.requestIp, userAgent: token.requestUserAgent,
  });
  const payload = sealMessage(KEY, { to: email, ...message });
  await store.issueToken(token, { id, createdAt: clock.now(), requestId, recipient: email, payload }, []);
  return { id, email, requestId, link, code };
}

function worker(t: TestContext, store: Store, url: string, clock: Clock, options: Partial<OutboxWorkerOptions> = {}) {
  const mailer = options.mailer ?? createSmtpMailer(url);
  const w = new OutboxWorker({
    store, mailer, sealKey: KEY, from: 'Acme <no-reply@auth.example.com>', messageIdDomain: DOMAIN,
    now: clock.now, backoffMs: (attempt) => attempt * 1000, ...options,
  });
  t.after(async () => {
    await w.stop();
    await mailer.close();
  });
  return w;
}

/** Runs batches until one claims nothing. */
async function drain(w: OutboxWorker): Promise<number> {
  let total = 0;
  for (;;) {
    const { sent, failed } = await w.runOnce();
    if (sent + failed === 0) return total;
    total += sent;
  }
}

describe('outbox worker', () => {
  it('delivers a queued message over SMTP with a stable Message-ID and its headers, then clears the payload', async (t) => {
    const clock = new Clock();
    const store = await openStore(t);
    const smtp = await sink(t);
    const q = await queue(store, clock);
    assert.deepEqual(await worker(t, store, smtp.url, clock).runOnce(), { sent: 1, failed: 0 });

    const mail = await smtp.waitFor((m) => m.to === q.email);
    assert.equal(mail.messageId, `<${q.id}@${DOMAIN}>`);
    assert.equal(mail.headers.get('auto-submitted'), 'auto-generated');
    assert.equal(mail.headers.get('x-latchkey-request-id'), q.requestId);
    assert.equal(mail.subject, 'Sign in to Acme');
    assert.ok(mail.text.includes(q.link) && mail.text.includes(q.code));
    assert.ok(mail.html.includes(q.link));

    const row = await store.getOutboxMessage(q.id);
    assert.equal(row?.status, 'sent');
    assert.equal(row?.sentAt, T0);
    assert.equal(row?.payload, '', 'the sealed link does not outlive delivery');
    const [event] = await store.listAudit({ type: 'mail.sent' });
    assert.equal(event?.outcome, 'success');
    assert.equal(event?.requestId, q.requestId);
    assert.equal(event?.email, auditEmail(q.email), 'the trail keeps a hash of the address, not the address');
  });

  it('a queued template is rendered by the worker when it sends, with this instance\'s brand; the row stays small and sealed', async (t) => {
    const clock = new Clock();
    const store = await openStore(t);
    const smtp = await sink(t);
    const email = `template.${randomUUID()}@example.com`;
    const link = `https://${DOMAIN}/auth/verify?token=${randomBytes(32).toString('base64url')}`;
    const token: TokenRecord = {
      id: randomUUID(), purpose: 'sign_in', tokenHash: randomUUID(), codeHash: randomUUID(), email, userId: null, otherEmail: null,
      flowHash: null, redirectTo: null, createdAt: clock.now(), expiresAt: clock.now() + 600_000, consumedAt: null,
      retiredAt: null, codeAttempts: 0, requestIp: '203.0.113.7', requestUserAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0',
    };
    const compose = composeSignInMail({ sealKey: KEY, random: nodeRandom, locale: 'auto', tokenTtlSeconds: 600 });
    const row = compose({ to: email, link, code: '246810', record: token, requestId: 'req-template', locale: 'de' });
    await store.issueToken(token, row, []);
    const stored = await store.getOutboxMessage(row.id);
    for (const secret of [link, '246810']) assert.ok(!stored!.payload.includes(secret), 'sealed');
    assert.ok(stored!.payload.length < 2000, `the row holds inputs, not a rendered mail (${stored!.payload.length} characters)`);

    // A worker without a renderer cannot send it: the row is retried, never sent empty.
    const bare = worker(t, store, smtp.url, clock);
    assert.deepEqual(await bare.runOnce(), { sent: 0, failed: 1 });
    assert.equal(smtp.messages.length, 0);
    clock.advance(60_000);

    const brand = { ...DEFAULT_BRAND, productName: 'Acme' };
    const w = worker(t, store, smtp.url, clock, { render: (template) => renderQueuedMail(template, brand) });
    assert.equal(await drain(w), 1);
    const mail = await smtp.waitFor((m) => m.to === email);
    assert.match(mail.subject, /Acme/);
    assert.ok(mail.text.includes(link), 'the link');
    assert.match(mail.text, /246 ?810/, 'the code');
    assert.ok(mail.html.includes(link));
    assert.match(mail.text, /Anmeld/, 'in the language of the request');
  });

  it('stores the message sealed: neither the link nor the code is in clear', async (t) => {
    const clock = new Clock();
    const store = await openStore(t);
    const q = await queue(store, clock);
    const row = await store.getOutboxMessage(q.id);
    assert.ok(row);
    for (const secret of [q.link, q.link.split('token=')[1]!, q.code, 'Sign in', q.email]) assert.ok(!row.payload.includes(secret));
    assert.equal(openMessage(KEY, row.payload).to, q.email);
    assert.throws(() => openMessage(randomBytes(32), row.payload), 'another key cannot open it');
  });

  it('retries with backoff while SMTP fails, records why, and delivers exactly once on recovery', async (t) => {
    const clock = new Clock();
    const store = await openStore(t);
    const smtp = await sink(t);
    const logs: unknown[] = [];
    const logger = { info: (o: object) => logs.push(o), warn: (o: object) => logs.push(o), error: (o: object) => logs.push(o) };
    const w = worker(t, store, smtp.url, clock, { logger });
    const q = await queue(store, clock);
    smtp.setFailing(true);

    assert.deepEqual(await w.runOnce(), { sent: 0, failed: 1 });
    let row = await store.getOutboxMessage(q.id);
    assert.equal(row?.status, 'queued');
    assert.equal(row?.attempts, 1);
    assert.equal(row?.nextAttemptAt, T0 + 1000);
    assert.match(row?.lastError ?? '', /451/);
    assert.ok(!row?.lastError?.includes(q.code) && !row?.lastError?.includes('Sign in'));

    assert.deepEqual(await w.runOnce(), { sent: 0, failed: 0 }, 'not due before the backoff');
    clock.advance(1000);
    assert.deepEqual(await w.runOnce(), { sent: 0, failed: 1 });
    row = await store.getOutboxMessage(q.id);
    assert.equal(row?.attempts, 2);
    assert.equal(row?.nextAttemptAt, T0 + 1000 + 2000);

    smtp.setFailing(false);
    clock.advance(2000);
    assert.deepEqual(await w.runOnce(), { sent: 1, failed: 0 });
    clock.advance(3_600_000);
    assert.deepEqual(await w.runOnce(), { sent: 0, failed: 0 });
    assert.equal(smtp.messages.filter((m) => m.messageId === `<${q.id}@${DOMAIN}>`).length, 1);
    assert.equal((await store.getOutboxMessage(q.id))?.status, 'sent');

    const failures = await store.listAudit({ type: 'mail.failed' });
    assert.deepEqual(failures.map((e) => [e.outcome, e.reason, e.requestId]), [['failure', 'retrying', q.requestId], ['failure', 'retrying', q.requestId]]);
    const logged = JSON.stringify(logs);
    assert.ok(logged.includes(q.id) && !logged.includes(q.link.split('token=')[1]!) && !logged.includes(q.code), 'logs name the row, never the secrets');
  });

  it('gives up after maxAttempts: the message is dead and its payload cleared', async (t) => {
    const clock = new Clock();
    const store = await openStore(t);
    const smtp = await sink(t);
    smtp.setFailing(true);
    const w = worker(t, store, smtp.url, clock, { maxAttempts: 3 });
    const q = await queue(store, clock);
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await w.runOnce(), { sent: 0, failed: 1 });
      clock.advance(10_000);
    }
    const row = await store.getOutboxMessage(q.id);
    assert.equal(row?.status, 'dead');
    assert.equal(row?.attempts, 3);
    assert.equal(row?.payload, '');
    smtp.setFailing(false);
    clock.advance(3_600_000);
    assert.deepEqual(await w.runOnce(), { sent: 0, failed: 0 });
    assert.equal(smtp.messages.length, 0);
    const reasons = (await store.listAudit({ type: 'mail.failed' })).map((e) => e.reason);
    assert.deepEqual(reasons, ['dead', 'retrying', 'retrying']);
  });

  it('after a restart, a new worker delivers what was queued (and what a crashed worker held) exactly once', async (t) => {
    const clock = new Clock();
    const path = join(mkdtempSync(join(tmpdir(), 'latchkey-mail-')), 'lk.db');
    const first = await openStore(t, path);
    const down = await startSmtpSink();
    const port = down.port;
    await down.close(); // SMTP is down: connections are refused
    const queued = [await queue(first, clock), await queue(first, clock), await queue(first, clock)];
    assert.deepEqual(await worker(t, first, `smtp://127.0.0.1:${port}`, clock).runOnce(), { sent: 0, failed: 3 });
    assert.match((await first.getOutboxMessage(queued[0]!.id))?.lastError ?? '', /ECONNREFUSED|ECONNECTION/);
    const held = await queue(first, clock);
    assert.equal((await first.claimOutbox('crashed-worker', clock.now(), 10, 60_000)).length, 1, 'a worker claims it, then dies');

    const smtp = await startSmtpSink({ port }); // SMTP is back, and the process restarts
    t.after(() => smtp.close());
    clock.advance(60_000);
    const second = await openStore(t, path);
    assert.equal(await drain(worker(t, second, smtp.url, clock)), 4);
    for (const q of [...queued, held]) {
      assert.equal(smtp.messages.filter((m) => m.messageId === `<${q.id}@${DOMAIN}>`).length, 1);
      assert.equal((await second.getOutboxMessage(q.id))?.status, 'sent');
    }
    clock.advance(3_600_000);
    assert.equal(await drain(worker(t, second, smtp.url, clock)), 0);
    assert.equal(smtp.messages.length, 4);
  });

  it('two workers on two connections deliver each message exactly once', async (t) => {
    const clock = new Clock();
    const path = join(mkdtempSync(join(tmpdir(), 'latchkey-mail-')), 'lk.db');
    const a = await openStore(t, path);
    const b = await openStore(t, path);
    const smtp = await sink(t);
    const queued: Queued[] = [];
    for (let i = 0; i < 20; i++) queued.push(await queue(a, clock));
    const [sentA, sentB] = await Promise.all([
      drain(worker(t, a, smtp.url, clock, { batchSize: 3, workerId: 'a' })),
      drain(worker(t, b, smtp.url, clock, { batchSize: 3, workerId: 'b' })),
    ]);
    assert.equal(sentA + sentB, 20);
    assert.equal(smtp.messages.length, 20);
    assert.deepEqual(new Set(smtp.messages.map((m) => m.messageId)), new Set(queued.map((q) => `<${q.id}@${DOMAIN}>`)));
  });

  it('once started, notify() sends at once instead of waiting for the poll interval', async (t) => {
    const store = await openStore(t);
    const smtp = await sink(t);
    const clock = new Clock();
    clock.now = Date.now; // real time: the loop itself is under test
    const early = await queue(store, clock);
    const w = worker(t, store, smtp.url, clock, { pollIntervalMs: 60_000 });
    w.start();
    await smtp.waitFor((m) => m.to === early.email, 3000); // the first run happens on start
    const late = await queue(store, clock);
    w.notify();
    w.notify(); // a burst of hints is one run, not overlapping ones
    await smtp.waitFor((m) => m.to === late.email, 3000);
    await w.stop();
    assert.equal(smtp.messages.length, 2);
  });

  it('stop() lets sends in flight finish and releases claimed messages not yet started, for another worker at once', async (t) => {
    const clock = new Clock();
    const store = await openStore(t);
    const smtp = await sink(t);
    smtp.setDelay(400); // slow SMTP: the first two are still in flight when stop() comes
    const queued: Queued[] = [];
    for (let i = 0; i < 5; i++) queued.push(await queue(store, clock));
    const first = worker(t, store, smtp.url, clock, { concurrency: 2, workerId: 'first' });
    const run = first.runOnce();
    await sleep(150);
    await first.stop();
    assert.deepEqual(await run, { sent: 2, failed: 0 }, 'the two in flight were finished, no more were started');
    assert.equal(smtp.messages.length, 2);
    const rows = await Promise.all(queued.map((q) => store.getOutboxMessage(q.id)));
    assert.deepEqual(rows.map((r) => r?.status).sort(), ['queued', 'queued', 'queued', 'sent', 'sent']);
    assert.ok(rows.every((r) => r?.attempts === 0), 'a release is not an attempt');

    // No clock movement: the released rows are due now, not after the 60 s lease.
    smtp.setDelay(0);
    assert.equal(await drain(worker(t, store, smtp.url, clock, { workerId: 'second' })), 3);
    assert.equal(smtp.messages.length, 5);
    assert.deepEqual(new Set(smtp.messages.map((m) => m.messageId)), new Set(queued.map((q) => `<${q.id}@${DOMAIN}>`)));
  });

  it('starts a send only early in its lease and aborts it after half the lease, so the next claimant never overlaps', async (t) => {
    const clock = new Clock();
    const store = await openStore(t);
    const smtp = await sink(t);
    const queued = [await queue(store, clock), await queue(store, clock), await queue(store, clock)];

    // A server that hangs before the message travels: the send is abandoned after half the 2 s lease.
    smtp.setStalled(true);
    const w = worker(t, store, smtp.url, clock, { concurrency: 1, leaseMs: 2000, backoffMs: () => 0 });
    const started = Date.now();
    const run = w.runOnce();
    // While the first send hangs, the lease's first quarter passes (on the worker's clock).
    setTimeout(() => clock.advance(600), 100);
    assert.deepEqual(await run, { sent: 0, failed: 1 });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 900 && elapsed < 1900, `aborted after about half the lease (${elapsed} ms)`);
    const rows = await Promise.all(queued.map((q) => store.getOutboxMessage(q.id)));
    assert.deepEqual(rows.map((r) => [r?.status, r?.attempts]), [['queued', 1], ['queued', 0], ['queued', 0]], 'one failed, two released unstarted');
    assert.match(rows[0]?.lastError ?? '', /abort/i);

    smtp.setStalled(false);
    assert.equal(await drain(w), 3);
    assert.equal(smtp.messages.length, 3, 'the abandoned attempt delivered nothing; each message arrived once');
  });

  it('describeError keeps errors short, single-line and free of query strings', () => {
    const error = Object.assign(new Error('550 rejected\r\nsee https://mx.example/why?token=secret'), { code: 'EENVELOPE', responseCode: 550 });
    assert.equal(describeError(error), 'EENVELOPE 550 550 rejected see https://mx.example/why?…');
    assert.equal(describeError(new Error('x'.repeat(2000))).length, 500);
  });
});

describe('dev mailbox', () => {
  it('receives from the worker, keeps the newest 100 and calls back for each', async (t) => {
    const clock = new Clock();
    const store = await openStore(t);
    const seen: MailMessage[] = [];
    const mailbox = new DevMailbox({ onMessage: (m) => seen.push(m) });
    const q = await queue(store, clock);
    assert.deepEqual(await worker(t, store, '', clock, { mailer: mailbox }).runOnce(), { sent: 1, failed: 0 });
    assert.equal(seen.length, 1);
    assert.equal(mailbox.get(`<${q.id}@${DOMAIN}>`)?.to, q.email);

    const base = seen[0]!;
    for (let i = 0; i < 120; i++) await mailbox.send({ ...base, messageId: `<${i}@x>` });
    assert.equal(mailbox.list().length, 100);
    assert.equal(mailbox.list()[0]?.messageId, '<119@x>', 'newest first');
    assert.equal(mailbox.get(base.messageId), null, 'the oldest fell off');
  });

  it('renders a page with no script, everything escaped, the HTML part in a sandboxed srcdoc frame', () => {
    const message: MailMessage = {
      messageId: '<1@x>', from: 'a@x', to: '<script>alert(1)</script>@x', subject: '"><script>alert(2)</script>',
      text: 'text </pre><script>alert(3)</script>', html: '<p onclick="alert(4)">hi</p><script>alert(5)</script>', headers: { 'X-Test': '<b>' },
    };
    const page = renderDevMailbox([message]);
    assert.doesNotMatch(page, /<script/i);
    assert.match(page, /<iframe [^>]*sandbox="[^"]*"[^>]*srcdoc="&lt;base target=&quot;_top&quot;&gt;&lt;p onclick=&quot;alert\(4\)&quot;&gt;hi/);
    assert.doesNotMatch(page, /sandbox="[^"]*allow-(scripts|same-origin)/);
    assert.ok(page.includes('<pre>text &lt;/pre&gt;&lt;script&gt;alert(3)&lt;/script&gt;</pre>'));
    assert.ok(page.includes('&lt;b&gt;'));
    assert.match(renderDevMailbox([]), /No messages yet/);
  });
});
