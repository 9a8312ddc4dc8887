// The admin API and the account CLI, as an operator and as an attacker see them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { totpCode } from '../../src/core/totp.ts';
import { openStore } from '../../src/store/open.ts';
import { tokenFrom } from '../support/http-client.ts';
import { startTestServer, TestClock, type TestServer } from '../support/server.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');
const ADMIN_TOKEN = 'admin-token-0123456789-abcdefghijklmnop';

describe('admin API and CLI', () => {
  let sink: SmtpSink;
  let server: TestServer;
  let closed: TestServer;
  let databaseUrl: string;
  const clock = new TestClock();

  before(async () => {
    sink = await startSmtpSink();
    databaseUrl = `sqlite:${join(mkdtempSync(join(tmpdir(), 'latchkey-admin-')), 'lk.db')}`;
    server = await startTestServer({ store: await openStore(databaseUrl), smtpUrl: sink.url, adminToken: ADMIN_TOKEN, now: clock.now });
    closed = await startTestServer({ store: await openStore(':memory:'), smtpUrl: sink.url });
  });
  after(async () => {
    await server?.close();
    await closed?.close();
    await sink?.close();
  });

  const admin = (path: string, init: RequestInit & { json?: unknown } = {}, token = ADMIN_TOKEN) =>
    server.client().request(path, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });

  async function signIn(email: string) {
    const client = server.client();
    clock.advance(61); // one address, several sign-ins: keep them the resend interval apart
    const before = sink.messages.length;
    await client.request('/auth/sign-in/email', { method: 'POST', json: { email } });
    const mail = await sink.waitFor((m) => m.to === email && sink.messages.indexOf(m) >= before);
    assert.equal((await client.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(mail.text) } })).status, 200);
    return client;
  }

  it('does not exist when LATCHKEY_ADMIN_TOKEN is unset', async () => {
    for (const path of ['/admin/users?email=a@example.com', '/admin/outbox', '/admin/audit']) {
      const response = await closed.client().request(path, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      assert.equal(response.status, 404, path);
    }
  });

  it('refuses a missing or wrong key with the same answer, which asks for the admin token (not a sign-in), and audits the refusal', async () => {
    const missing = await server.client().request('/admin/outbox');
    const wrong = await admin('/admin/outbox', {}, 'admin-token-0123456789-abcdefghijklmnoX');
    const almost = await admin('/admin/outbox', {}, ADMIN_TOKEN.slice(0, -1));
    for (const response of [missing, wrong, almost]) {
      assert.equal(response.status, 401);
      // Issue #12: "You are not signed in" sent an operator looking for a session cookie.
      assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer realm="latchkey-admin"/);
      const body = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'admin_token_required');
      assert.match(body.error.message, /LATCHKEY_ADMIN_TOKEN/);
    }
    const refusals = await server.latchkey.store.listAudit({ type: 'policy.denied' });
    assert.ok(refusals.filter((e) => e.reason === 'admin_refused').length >= 3);
  });

  it('finds an account, disables it (its sessions stop, sign-in mails stop, the answer does not change), enables it again', async () => {
    const email = `admin.${Date.now()}@example.com`;
    const browser = await signIn(email);
    assert.equal((await browser.request('/auth/session')).status, 200);

    const found = (await (await admin(`/admin/users?email=${encodeURIComponent(email.toUpperCase())}`)).json()) as {
      user: { email: string; disabled: boolean };
      sessions: unknown[];
    };
    assert.equal(found.user.email, email);
    assert.equal(found.user.disabled, false);
    assert.equal(found.sessions.length, 1);

    const disabled = await admin('/admin/users/disable', { method: 'POST', json: { email } });
    assert.equal(disabled.status, 200);
    assert.equal((await browser.request('/auth/session')).status, 401, 'disabling revoked the session');

    clock.advance(61);
    const mailsBefore = sink.messages.filter((m) => m.to === email).length;
    const asked = await server.client().request('/auth/sign-in/email', { method: 'POST', json: { email } });
    assert.equal(asked.status, 202, 'the requester sees the usual answer');
    assert.deepEqual(await asked.json(), { status: 'sent' });
    await server.latchkey.outbox.runOnce();
    assert.equal(sink.messages.filter((m) => m.to === email).length, mailsBefore, 'no mail to a disabled account');

    assert.equal((await admin('/admin/users/enable', { method: 'POST', json: { email } })).status, 200);
    const again = await signIn(email);
    assert.equal((await again.request('/auth/session')).status, 200);

    const revoked = (await (await admin('/admin/sessions/revoke', { method: 'POST', json: { email } })).json()) as { revoked: number };
    assert.equal(revoked.revoked, 1);
    assert.equal((await again.request('/auth/session')).status, 401);

    const audit = (await (await admin(`/admin/audit?email=${encodeURIComponent(email)}&limit=50`)).json()) as { events: { type: string; reason: string | null }[] };
    const types = audit.events.map((e) => `${e.type}:${e.reason ?? ''}`);
    for (const expected of ['user.disabled:admin_api', 'user.enabled:admin_api', 'session.revoked:admin_api', 'sign_in.requested:account_disabled']) {
      assert.ok(types.includes(expected), `${expected} in ${types.join(', ')}`);
    }
    assert.equal((await admin('/admin/users?email=nobody@example.com')).status, 404);
    assert.equal((await admin('/admin/users/disable', { method: 'POST', json: { email: 'not an address' } })).status, 400);
  });

  it('lists every account a page at a time, in address order, and the CLI pages the same way (issue #12)', async () => {
    const prefix = `list${Date.now()}`;
    const emails = [3, 1, 4, 2, 5].map((n) => `${prefix}.${n}@example.com`);
    for (const email of emails) assert.equal((await admin('/admin/users', { method: 'POST', json: { email } })).status, 201);
    type Page = { users: { email: string; disabled: boolean; createdAt: string }[]; nextCursor: string | null };
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await admin(`/admin/users?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(response.status, 200);
      const page = (await response.json()) as Page;
      assert.ok(page.users.length <= 2, 'never more than asked for');
      seen.push(...page.users.map((u) => u.email));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 100);
    assert.deepEqual(seen, [...seen].sort(), 'address order');
    assert.equal(new Set(seen).size, seen.length, 'nobody twice');
    assert.deepEqual(seen.filter((e) => e.startsWith(prefix)), [...emails].sort(), 'everyone, once');

    for (const bad of ['limit=0', 'limit=201', 'limit=abc', 'cursor=not%20base64']) {
      const refused = await admin(`/admin/users?${bad}`);
      assert.equal(refused.status, 400, bad);
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'invalid_request');
    }

    const env = { ...process.env, LATCHKEY_DATABASE_URL: databaseUrl };
    const cli = async (...args: string[]) => (await run(process.execPath, ['src/cli/main.ts', ...args], { cwd: root, env })).stdout;
    const listed = await cli('users', 'list', '--limit', '2');
    assert.equal(listed.split('\n').filter((line) => line.includes('@')).length, 2);
    const next = /--after (\S+)/.exec(listed)?.[1];
    assert.ok(next, `the CLI says how to get the next page:\n${listed}`);
    const rest = await cli('users', 'list', '--limit', '200', '--after', next);
    assert.ok(!rest.includes(listed.split('\n')[0]!.split(' ')[0]!), 'the next page starts after the first');
    const json = JSON.parse(await cli('users', 'list', '--json', '--limit', '200')) as Page;
    for (const email of emails) assert.ok(json.users.some((u) => u.email === email), email);
  });

  it('shows the outbox, and the CLI does what the API does on the same store', async () => {
    const outbox = (await (await admin('/admin/outbox')).json()) as { sent: number; dead: number; troubled: unknown[] };
    assert.ok(outbox.sent >= 1);

    const env = { ...process.env, LATCHKEY_DATABASE_URL: databaseUrl, LATCHKEY_SECRET: 'test-secret-that-is-long-enough-0123456789' };
    const cli = async (...args: string[]) => (await run(process.execPath, ['src/cli/main.ts', ...args], { cwd: root, env })).stdout;
    const email = `cli.${Date.now()}@example.com`;
    assert.match(await cli('users', 'create', email), /created/);
    assert.match(await cli('users', 'create', email), /already existed/);
    const browser = await signIn(email);
    assert.match(await cli('sessions', 'revoke', '--user', email), /revoked 1 session/);
    assert.equal((await browser.request('/auth/session')).status, 401);
    assert.match(await cli('users', 'disable', email), /DISABLED[\s\S]*every session revoked/);
    assert.match(await cli('users', 'find', email), /DISABLED/);
    assert.match(await cli('users', 'enable', email), /active[\s\S]*enabled/);
    assert.match(await cli('outbox'), /^queued \d+ {2}retrying \d+ {2}sending \d+ {2}sent \d+ {2}dead \d+/);
    await assert.rejects(cli('users', 'find', 'nobody@example.com'), /no account for nobody@example.com/);
  });

  it('the CLI resets a locked-out account\'s second factors: signed out, the account told, an emailed link signs in alone', async () => {
    const env = { ...process.env, LATCHKEY_DATABASE_URL: databaseUrl, LATCHKEY_SECRET: 'test-secret-that-is-long-enough-0123456789' };
    const cli = async (...args: string[]) => (await run(process.execPath, ['src/cli/main.ts', ...args], { cwd: root, env })).stdout;
    const email = `reset.${Date.now()}@example.com`;
    const browser = await signIn(email);
    const { secret } = (await (await browser.request('/auth/totp/enrol', { method: 'POST' })).json()) as { secret: string };
    assert.equal((await browser.request('/auth/totp/confirm', { method: 'POST', json: { code: totpCode(secret, clock.now()) } })).status, 200);
    const linkAnswer = async () => {
      clock.advance(61);
      const before = sink.messages.length;
      const client = server.client();
      await client.request('/auth/sign-in/email', { method: 'POST', json: { email } });
      const mail = await sink.waitFor((m) => m.to === email && /^Sign in to /.test(m.subject) && sink.messages.indexOf(m) >= before);
      return (await client.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(mail.text) } })).json() as Promise<{ user?: unknown; status?: string }>;
    };
    assert.equal((await linkAnswer()).status, 'second_factor_required', 'TOTP on: the mailbox alone does not sign in');

    const noticesBefore = sink.messages.length;
    const printed = await cli('users', 'reset-second-factor', email);
    assert.match(printed, /TOTP turned off, recovery codes deleted; 0 passkey\(s\) removed; 1 session\(s\) revoked/);
    assert.match(printed, /an emailed link now signs this account in alone/);
    assert.equal((await browser.request('/auth/session')).status, 401);
    // Queued by the CLI, sealed with the server's secret, sent by the server's outbox worker.
    await sink.waitFor((m) => m.to === email && /were reset/.test(m.subject) && sink.messages.indexOf(m) >= noticesBefore);
    assert.ok((await linkAnswer()).user, 'an emailed link signs in alone');
    const events = await server.latchkey.store.listAudit({ type: 'second_factor.reset' });
    assert.ok(events.some((e) => e.reason === 'cli'));
    const json = JSON.parse(await cli('users', 'reset-second-factor', email, '--json')) as { totpRemoved: boolean; passkeysRemoved: number };
    assert.deepEqual([json.totpRemoved, json.passkeysRemoved], [false, 0], 'nothing left to reset');
    await assert.rejects(cli('users', 'reset-second-factor', 'nobody@example.com'), /no account for nobody@example.com/);
  });
});
