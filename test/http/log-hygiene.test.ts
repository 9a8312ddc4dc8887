// Runs the real `latchkey start` process through a whole flow and checks that
// no token, code or cookie value appears in anything it printed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { Client, codeFrom, linkFrom, tokenFrom } from '../support/http-client.ts';
import { startSmtpSink } from '../support/smtp-sink.ts';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

it('never prints a token, code or cookie', async () => {
  const sink = await startSmtpSink();
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-logs-'));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['src/cli/main.ts', 'start'], {
    cwd: join(import.meta.dirname, '../..'),
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LATCHKEY_BASE_URL: baseUrl,
      LATCHKEY_DATABASE_URL: `sqlite:${join(dir, 'lk.db')}`,
      LATCHKEY_DATA_DIR: dir,
      LATCHKEY_SMTP_URL: sink.url,
      LATCHKEY_LOG_LEVEL: 'trace',
      NODE_ENV: 'development',
    },
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const secrets: string[] = [];
  try {
    for (let i = 0; i < 200 && !output.includes('latchkey started'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(output, /latchkey started/, `server did not start:\n${output}`);

    const browser = new Client(baseUrl);
    const email = `logs.${Date.now()}@example.com`;
    await browser.request('/auth/sign-in/email', { method: 'POST', json: { email } });
    const first = await sink.waitFor((m) => m.to === email);
    secrets.push(tokenFrom(first.text), codeFrom(first.text), ...browser.cookies.values());
    await browser.request(linkFrom(first.text));
    await browser.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(first.text) } });
    await browser.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(first.text) } }); // reuse: logged failure
    await browser.request('/auth/session');
    secrets.push(...browser.cookies.values());

    const phone = new Client(baseUrl);
    await phone.request('/auth/sign-in/email', { method: 'POST', json: { email } });
    const second = await sink.waitFor((m) => m.to === email && m !== first);
    const code = codeFrom(second.text);
    secrets.push(tokenFrom(second.text), code, ...phone.cookies.values());
    await phone.request('/auth/sign-in/code', { method: 'POST', json: { email, code: code === '999999' ? '000000' : '999999' } });
    await phone.request('/auth/sign-in/code', { method: 'POST', json: { email, code } });
    secrets.push(...phone.cookies.values());
    await phone.request('/auth/sign-out', { method: 'POST' });
    await browser.request(`/auth/verify?token=${tokenFrom(second.text)}`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await sink.close();
  }
  assert.ok(secrets.length >= 8, 'the flow produced secrets to look for');
  assert.match(output, /"route":"\/auth\/verify"/, 'request lines were logged');
  for (const secret of new Set(secrets)) {
    assert.ok(secret.length >= 6);
    assert.equal(output.includes(secret), false, `a secret value (${secret.length} chars) appeared in the server output`);
  }
});
