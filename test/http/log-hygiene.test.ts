// Runs the real `latchkey start` process through a whole flow and checks that
// no token, code or cookie value appears in anything it printed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { normalizeRecoveryCode } from '../../src/core/recovery-codes.ts';
import { totpCode } from '../../src/core/totp.ts';
import { Client, codeFrom, linkFrom, tokenFrom } from '../support/http-client.ts';
import { startSmtpSink } from '../support/smtp-sink.ts';
import * as oidc from 'openid-client';
import { authorizationRequest, clientsFile, CONFIDENTIAL, follow, relyingParty } from '../oidc/harness.ts';

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
      // The second sign-in of one address (TOTP below) waits this long, in real time.
      LATCHKEY_RESEND_INTERVAL: '10',
      NODE_ENV: 'development',
      LATCHKEY_OIDC_CLIENTS: clientsFile(),
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
    const firstMailAt = Date.now();
    await browser.request('/auth/sign-in/email', { method: 'POST', json: { email } });
    const first = await sink.waitFor((m) => m.to === email);
    secrets.push(tokenFrom(first.text), codeFrom(first.text), ...browser.cookies.values());
    await browser.request(linkFrom(first.text));
    await browser.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(first.text) } });
    await browser.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(first.text) } }); // reuse: logged failure
    await browser.request('/auth/session');
    secrets.push(...browser.cookies.values());

    // TOTP: the secret, its codes and the recovery codes never reach a log line.
    const enrolment = (await (await browser.request('/auth/totp/enrol', { method: 'POST' })).json()) as { secret: string };
    const secret = enrolment.secret;
    await browser.request('/auth/totp/confirm', { method: 'POST', json: { code: totpCode(secret, Date.now() + 5 * 30_000) } }); // wrong: logged failure
    const confirmCode = totpCode(secret, Date.now());
    const confirmed = await browser.request('/auth/totp/confirm', { method: 'POST', json: { code: confirmCode } });
    const { recoveryCodes } = (await confirmed.json()) as { recoveryCodes: string[] };
    assert.equal(recoveryCodes.length, 10, 'TOTP was switched on');
    secrets.push(secret, confirmCode, ...recoveryCodes, ...recoveryCodes.map((c) => normalizeRecoveryCode(c)!));

    // Another address: one address gets one mail per resend interval (60 s, real time here).
    const phoneEmail = `logs.phone.${Date.now()}@example.com`;
    const phone = new Client(baseUrl);
    await phone.request('/auth/sign-in/email', { method: 'POST', json: { email: phoneEmail } });
    const second = await sink.waitFor((m) => m.to === phoneEmail);
    const code = codeFrom(second.text);
    secrets.push(tokenFrom(second.text), code, ...phone.cookies.values());
    await phone.request('/auth/sign-in/code', { method: 'POST', json: { email: phoneEmail, code: code === '999999' ? '000000' : '999999' } });
    await phone.request('/auth/sign-in/code', { method: 'POST', json: { email: phoneEmail, code } });
    secrets.push(...phone.cookies.values());

    // Passwords: set, a wrong and a right sign-in, a reset by link and by code; none of it is printed.
    const password = `log hygiene ${Date.now()} passphrase`;
    const resetPassword = `${password} after the reset`;
    const codePassword = `${password} by the code`;
    secrets.push(password, resetPassword, codePassword);
    assert.equal((await phone.request('/auth/password', { method: 'POST', json: { password } })).status, 204);
    await new Client(baseUrl).request('/auth/sign-in/password', { method: 'POST', json: { email: phoneEmail, password: `${password}!` } });
    const byPassword = new Client(baseUrl);
    assert.equal((await byPassword.request('/auth/sign-in/password', { method: 'POST', json: { email: phoneEmail, password } })).status, 200);
    secrets.push(...byPassword.cookies.values());
    await byPassword.request('/auth/password/forgot', { method: 'POST', json: { email: phoneEmail } });
    const reset = await sink.waitFor((m) => m.to === phoneEmail && /^Reset/.test(m.subject));
    const resetToken = /\/auth\/password\/reset\?token=([A-Za-z0-9_-]{43})/.exec(reset.text)![1]!;
    secrets.push(resetToken, codeFrom(reset.text));
    await byPassword.request(`/auth/password/reset?token=${resetToken}`);
    assert.equal((await byPassword.request('/auth/password/reset', { method: 'POST', json: { token: resetToken, password: resetPassword } })).status, 200);
    secrets.push(...byPassword.cookies.values());
    await new Promise((resolve) => setTimeout(resolve, 10_500)); // one mail per address per resend interval, in real time
    await byPassword.request('/auth/password/forgot', { method: 'POST', json: { email: phoneEmail } });
    const again = await sink.waitFor((m) => m.to === phoneEmail && /^Reset/.test(m.subject) && m !== reset);
    secrets.push(codeFrom(again.text));
    const byCode = await byPassword.request('/auth/password/reset', { method: 'POST', json: { email: phoneEmail, code: codeFrom(again.text), password: codePassword } });
    assert.equal(byCode.status, 200, 'the reset code worked');
    secrets.push(...byPassword.cookies.values());
    await phone.request('/auth/sign-out', { method: 'POST' });
    await browser.request(`/auth/verify?token=${tokenFrom(second.text)}`);

    // The TOTP account signs in again on a new device: the pending step and the second factor.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, firstMailAt + 10_500 - Date.now())));
    const laptop = new Client(baseUrl);
    await laptop.request('/auth/sign-in/email', { method: 'POST', json: { email } });
    // The sign-in mail, not the notice that TOTP was turned on (issue #12 finding 12).
    const third = await sink.waitFor((m) => m.to === email && m !== first && /^Sign in to /.test(m.subject));
    secrets.push(tokenFrom(third.text), codeFrom(third.text));
    const pending = await laptop.request('/auth/verify', { method: 'POST', json: { token: tokenFrom(third.text) } });
    assert.deepEqual(await pending.json(), { status: 'second_factor_required' });
    secrets.push(...laptop.cookies.values());
    await laptop.request('/auth/sign-in/totp', { method: 'POST', json: { recoveryCode: 'zzzz-zzzz-zzzz-zzzz' } }); // wrong: logged failure
    const secondFactor = await laptop.request('/auth/sign-in/totp', { method: 'POST', json: { recoveryCode: recoveryCodes[0] } });
    assert.equal(secondFactor.status, 200, 'the recovery code completed the sign-in');
    secrets.push(...laptop.cookies.values());

    // Sign in to an app through the OpenID Connect provider (issue #15): its code, tokens, client secret and cookies stay out too.
    const app = await relyingParty(baseUrl, CONFIDENTIAL);
    const authorization = await authorizationRequest(app, CONFIDENTIAL.redirect_uris[0]!);
    const callback = new URL((await follow(laptop, authorization.url.href)).location!);
    const authorizationCode = callback.searchParams.get('code')!;
    const tokens = await oidc.authorizationCodeGrant(app, callback, { pkceCodeVerifier: authorization.verifier, expectedNonce: authorization.nonce, expectedState: authorization.state });
    await oidc.fetchUserInfo(app, tokens.access_token, oidc.skipSubjectCheck);
    await oidc.authorizationCodeGrant(app, callback, { pkceCodeVerifier: authorization.verifier, expectedNonce: authorization.nonce, expectedState: authorization.state }).catch(() => {}); // replay: refused
    secrets.push(authorizationCode, tokens.access_token, tokens.id_token!, CONFIDENTIAL.client_secret, authorization.verifier, ...laptop.cookies.values());
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await sink.close();
  }
  assert.ok(secrets.length >= 8, 'the flow produced secrets to look for');
  assert.match(output, /"route":"\/auth\/verify"/, 'request lines were logged');
  // The provider answers on Node's response itself: its lines carry the status it sent, not 200.
  assert.match(output, /"route":"\/oidc\/token","status":400/, 'the replayed code: 400 in the log');
  assert.match(output, /"route":"\/oidc\/auth","status":303/, 'the authorization: a redirect in the log');
  for (const secret of new Set(secrets)) {
    assert.ok(secret.length >= 6);
    assert.equal(output.includes(secret), false, `a secret value (${secret.length} chars) appeared in the server output`);
  }
});
