// Issue #12: the request ID on the "link already used" page gave "no events" in
// `latchkey audit --request-id`. Every error answer now leaves one event with its
// code (unless a domain event of that request already tells the story), bounded
// per IP so a flood of 404s cannot fill the trail; past the bound, the CLI says
// what it checked and where else to look.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../src/store/open.ts';
import { tokenFrom } from '../support/http-client.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');
const ERROR_EVENTS_PER_IP_HOUR = 5;

describe('the request ID of an error answer', () => {
  let sink: SmtpSink;
  let server: TestServer;
  let databaseUrl: string;

  before(async () => {
    sink = await startSmtpSink();
    databaseUrl = `sqlite:${join(mkdtempSync(join(tmpdir(), 'latchkey-error-id-')), 'lk.db')}`;
    server = await startTestServer({
      store: await openStore(databaseUrl),
      smtpUrl: sink.url,
      limits: { errorEventsPerIpPerHour: ERROR_EVENTS_PER_IP_HOUR },
      // The request IDs below stand for ones our proxy assigns: a client's own is not kept.
      trustedProxies: ['127.0.0.1'],
    });
  });
  after(async () => {
    await server?.close();
    await sink?.close();
  });

  const cli = async (...args: string[]) =>
    (await run(process.execPath, ['src/cli/main.ts', ...args], { cwd: root, env: { ...process.env, LATCHKEY_DATABASE_URL: databaseUrl } })).stdout;

  it('answers "what happened" for the used-link page in one command, and a domain event is not doubled', async () => {
    const client = server.client();
    const email = `used.${Date.now()}@example.com`;
    await client.request('/auth/sign-in/email', { method: 'POST', json: { email } });
    const token = tokenFrom((await sink.waitFor((m) => m.to === email)).text);
    assert.equal((await client.request('/auth/verify', { method: 'POST', json: { token } })).status, 200);

    // The person opens the link again: the "already used" page, with its request ID in the small print.
    const page = await client.request(`/auth/verify?token=${token}`, { headers: { accept: 'text/html' } });
    assert.equal(page.status, 400);
    const requestId = page.headers.get('x-request-id')!;
    assert.ok((await page.text()).includes(requestId), 'the page shows the ID');

    const events = (await cli('audit', '--request-id', requestId, '--json')).trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));
    assert.deepEqual(
      events.map((e) => [e.type, e.outcome, e.reason, e.requestId]),
      [['error.answered', 'failure', 'token_used', requestId]],
    );
    const table = await cli('audit', '--request-id', requestId);
    assert.match(table, /error\.answered\s+failure\s+token_used/);

    // A wrong code already leaves code.failed with this request ID: no second event for it.
    const codeId = `wrong-code-${Date.now()}`;
    await client.request('/auth/sign-in/email', { method: 'POST', json: { email: `code.${email}` } });
    await sink.waitFor((m) => m.to === `code.${email}`);
    const wrong = await client.request('/auth/sign-in/code', { method: 'POST', json: { email: `code.${email}`, code: '000000' }, headers: { 'x-request-id': codeId } });
    assert.equal(wrong.status, 400);
    const story = (await cli('audit', '--request-id', codeId, '--json')).trim().split('\n').map((line) => JSON.parse(line));
    assert.deepEqual(story.map((e) => e.type), ['code.failed']);
  });

  it('stops writing events for a flood of errors from one IP, and the CLI then says where else to look', async () => {
    const client = server.client();
    const ids: string[] = [];
    for (let i = 0; i < ERROR_EVENTS_PER_IP_HOUR + 5; i += 1) {
      const id = `flood-${Date.now()}-${i}`;
      ids.push(id);
      assert.equal((await client.request(`/no/such/page/${i}`, { headers: { 'x-request-id': id } })).status, 404);
    }
    const written = (await server.latchkey.store.listAudit({ type: 'error.answered', limit: 1000 })).filter((e) => e.requestId?.startsWith('flood-'));
    // The test before this one spent two of the IP's hourly share (the used-link page, the wrong code).
    assert.equal(written.length, ERROR_EVENTS_PER_IP_HOUR - 2, 'the first errors of the hour are recorded, then no more rows');
    assert.ok(written.every((e) => e.reason === 'not_found'));
    assert.ok(!written.some((e) => e.requestId === ids.at(-1)), 'the last of the flood left no row');

    const answer = await cli('audit', '--request-id', ids.at(-1)!);
    assert.match(answer, /no events/);
    assert.match(answer, /checked: the audit trail in .*lk\.db/);
    assert.match(answer, /LATCHKEY_LIMIT_ERROR_EVENTS_PER_IP_HOUR/);
    assert.ok(answer.includes(`"requestId":"${ids.at(-1)}"`), 'names the log line to look for');
  });
});
