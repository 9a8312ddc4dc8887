// What an operator sees: one request ID from the error page to the audit trail,
// the mail headers and the logs; the audit CLI; readiness; Prometheus metrics.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../src/store/open.ts';
import { SCHEMA_VERSION } from '../../src/store/schema-version.ts';
import { codeFrom, tokenFrom } from '../support/http-client.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');

describe('operations', () => {
  let sink: SmtpSink;
  let server: TestServer;
  let databaseUrl: string;
  const metricsToken = 'metrics-token-0123456789';

  before(async () => {
    sink = await startSmtpSink();
    databaseUrl = `sqlite:${join(mkdtempSync(join(tmpdir(), 'latchkey-ops-')), 'lk.db')}`;
    // As behind our proxy, which assigns the request IDs the test follows (a client's own is not kept).
    server = await startTestServer({ store: await openStore(databaseUrl), smtpUrl: sink.url, metricsToken, trustedProxies: ['127.0.0.1'] });
  });
  after(async () => {
    await server?.close();
    await sink?.close();
  });

  it('follows one request ID from the response to the mail headers and the audit trail, and the CLI finds it', async () => {
    const client = server.client();
    const email = `ops.${Date.now()}@example.com`;
    const requestId = `ops-request-${Date.now()}`;
    const asked = await client.request('/auth/sign-in/email', { method: 'POST', json: { email }, headers: { 'x-request-id': requestId } });
    assert.equal(asked.status, 202);
    assert.equal(asked.headers.get('x-request-id'), requestId, 'a well-formed ID from our proxy is kept');
    const mail = await sink.waitFor((m) => m.to === email);
    assert.equal(mail.headers.get('x-latchkey-request-id'), requestId, 'the mail carries the request that caused it');

    const malformed = await client.request('/auth/session', { headers: { 'x-request-id': 'bad id\twith tab' } });
    assert.match(malformed.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/, 'a malformed one is replaced');
    const body = (await malformed.json()) as { error: { requestId: string } };
    assert.equal(body.error.requestId, malformed.headers.get('x-request-id'), 'JSON errors carry the same ID');

    const verifyId = `ops-verify-${Date.now()}`;
    const verified = await client.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(mail.text) }, headers: { 'x-request-id': verifyId } });
    assert.equal(verified.status, 200);
    await waitFor(async () => (await server.latchkey.store.listAudit({ type: 'mail.sent', requestId })).length === 1);

    const env = { ...process.env, LATCHKEY_DATABASE_URL: databaseUrl, LATCHKEY_SECRET: 'test-secret-that-is-long-enough-0123456789' };
    const cli = async (...args: string[]) => (await run(process.execPath, ['src/cli/main.ts', ...args], { cwd: root, env })).stdout;

    const requested = (await cli('audit', '--request-id', requestId, '--json')).trim().split('\n').map((line) => JSON.parse(line));
    assert.deepEqual(
      requested.map((e) => [e.type, e.outcome]),
      [
        ['sign_in.requested', 'success'],
        ['mail.sent', 'success'],
      ],
      'the request, then the mail it caused, in order',
    );
    const signedIn = (await cli('audit', '--request-id', verifyId, '--json')).trim().split('\n').map((line) => JSON.parse(line));
    assert.deepEqual(
      signedIn.map((e) => e.type),
      ['user.created', 'token.consumed', 'session.created', 'sign_in.succeeded'],
      'a new account, the link it used, the session: one transaction, one request',
    );
    assert.ok(signedIn.every((e) => e.requestId === verifyId && e.ip === '127.0.0.1'));

    const table = await cli('audit', '--user', email.toUpperCase(), '--since', '1h');
    assert.match(table, /^time\s+type\s+outcome/);
    assert.match(table, /sign_in\.requested/);
    assert.match(table, /session\.created/);

    // Nothing secret in the audit trail or the CLI output.
    const everything = JSON.stringify(await server.latchkey.store.listAudit({ limit: 1000 })) + table;
    for (const secret of [tokenFrom(mail.text), codeFrom(mail.text), ...client.cookies.values()]) {
      assert.equal(everything.includes(secret), false, 'no token, code or cookie in the audit trail');
    }
  });

  it('says it is ready when the store is at the current schema and mail can leave', async () => {
    const ready = await server.client().request('/readyz');
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready', checks: { store: 'ok', schema: 'ok', mail: 'ok' } });
    const version = (await (await server.client().request('/version')).json()) as { version: string; schema: number; commit: string };
    assert.equal(version.schema, SCHEMA_VERSION);
    assert.match(version.commit, /^([0-9a-f]{7,12}|unknown)$/);
  });

  it('serves Prometheus metrics behind its token, counting requests, sign-ins, session checks and mail, with no secret in them', async () => {
    const client = server.client();
    const email = `metrics.${Date.now()}@example.com`;
    await client.request('/auth/sign-in/email', { method: 'POST', json: { email } });
    const mail = await sink.waitFor((m) => m.to === email);
    await client.request('/auth/sign-in/code', { method: 'POST', json: { email, code: '000000' } });
    await client.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(mail.text) } });
    await client.request('/auth/session');

    assert.equal((await client.request('/metrics')).status, 401);
    assert.equal((await client.request('/metrics', { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status, 401);
    const scraped = await client.request('/metrics', { headers: { authorization: `Bearer ${metricsToken}` } });
    assert.equal(scraped.status, 200);
    const text = await scraped.text();
    const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? NaN);
    assert.ok(value(/latchkey_sign_in_requests_total (\d+)/) >= 1);
    assert.ok(value(/latchkey_sign_ins_total\{step="link",outcome="succeeded",reason="none"\} (\d+)/) >= 1);
    assert.ok(value(/latchkey_sign_ins_total\{step="code",outcome="failed",reason="code_invalid"\} (\d+)/) >= 1);
    assert.ok(value(/latchkey_session_validations_total\{result="valid"\} (\d+)/) >= 1);
    assert.ok(value(/latchkey_http_requests_total\{method="GET",route="\/auth\/session",status="200"\} (\d+)/) >= 1);
    assert.match(text, /latchkey_http_request_duration_seconds_bucket\{le="0\.005",method="POST",route="\/auth\/verify"\}/);
    assert.ok(value(/latchkey_mail_attempts_total\{result="sent"\} (\d+)/) >= 1);
    assert.match(text, /latchkey_outbox_messages\{state="sent"\} \d+/);
    assert.match(text, /latchkey_outbox_oldest_unsent_age_seconds \d/);
    assert.match(text, new RegExp(`latchkey_build_info\\{version="[^"]+",schema="${SCHEMA_VERSION}",commit="[^"]+"\\} 1`));
    for (const secret of [tokenFrom(mail.text), codeFrom(mail.text), email, ...client.cookies.values()]) {
      assert.equal(text.includes(secret), false, 'no address, token, code or cookie in the metrics');
    }
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
