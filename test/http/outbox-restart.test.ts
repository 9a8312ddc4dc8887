// SMTP down, then a restart, then SMTP up: the mail arrives exactly once.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { it } from 'node:test';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { startTestServer, TestClock } from '../support/server.ts';
import { startSmtpSink } from '../support/smtp-sink.ts';

it('a sign-in mail queued while SMTP is down is delivered exactly once after a restart', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'latchkey-restart-')), 'lk.db');
  const firstSink = await startSmtpSink();
  const port = firstSink.port;
  await firstSink.close(); // SMTP is down
  const smtpUrl = `smtp://127.0.0.1:${port}`;
  const clock = new TestClock();

  const storeA = await openSqliteStore(path);
  const first = await startTestServer({ store: storeA, smtpUrl, now: clock.now });
  const email = `restart.${Date.now()}@example.com`;
  const response = await first.client().request('/auth/sign-in/email', { method: 'POST', json: { email } });
  assert.equal(response.status, 202, 'the request is answered at once, whatever SMTP does');
  for (let i = 0; i < 100; i++) {
    const failures = await storeA.listAudit({ type: 'mail.failed' });
    if (failures.length > 0) break;
    await sleep(50);
  }
  assert.equal((await storeA.listAudit({ type: 'mail.failed' })).length, 1, 'the first attempt failed');
  await first.close();
  await storeA.close();

  const sink = await startSmtpSink({ port }); // SMTP is back
  clock.advance(3600 * 2); // past any backoff
  const storeB = await openSqliteStore(path);
  const second = await startTestServer({ store: storeB, smtpUrl, now: clock.now });
  try {
    const message = await sink.waitFor((m) => m.to === email, 10_000);
    assert.match(message.text, /\/auth\/verify\?token=/);
    await sleep(1500); // time for a duplicate to show up, if there were one
    assert.equal(sink.messages.filter((m) => m.to === email).length, 1);
    assert.equal((await storeB.listAudit({ type: 'mail.sent' })).length, 1);
  } finally {
    await second.close();
    await storeB.close();
    await sink.close();
  }
});
