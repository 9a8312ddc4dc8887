import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, resolveConfig } from '../../src/config.ts';

const dataDir = () => mkdtempSync(join(tmpdir(), 'latchkey-config-'));

describe('configuration', () => {
  it('has documented defaults and generates a development secret once', () => {
    const dir = dataDir();
    const config = resolveConfig({}, { LATCHKEY_DATA_DIR: dir });
    assert.equal(config.baseUrl.origin, 'http://localhost:3000');
    assert.equal(config.databaseUrl, 'sqlite:./data/latchkey.db');
    assert.equal(config.tokenTtlSeconds, 600);
    assert.equal(config.sessionTtlSeconds, 30 * 86_400);
    assert.equal(config.sessionIdleTtlSeconds, 7 * 86_400);
    assert.equal(config.signup, 'open');
    assert.equal(config.smtpUrl, null);
    assert.equal(config.mailFrom, 'Latchkey <no-reply@localhost>');
    assert.equal(config.outboxLeaseMs, 60_000);
    assert.ok(config.secret.length >= 32);
    assert.equal(statSync(join(dir, 'secret')).mode & 0o777, 0o600);
    assert.equal(resolveConfig({}, { LATCHKEY_DATA_DIR: dir }).secret, config.secret);
    assert.equal(readFileSync(join(dir, 'secret'), 'utf8').trim(), config.secret);
  });

  it('names the variable in every error', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ LATCHKEY_TOKEN_TTL: 'abc' }, /LATCHKEY_TOKEN_TTL/],
      [{ LATCHKEY_TOKEN_TTL: '3600' }, /LATCHKEY_TOKEN_TTL: must be at most 600/],
      [{ LATCHKEY_BASE_URL: 'ftp://x' }, /LATCHKEY_BASE_URL/],
      [{ LATCHKEY_BASE_URL: 'https://auth.example.com/path' }, /LATCHKEY_BASE_URL: must be an origin/],
      [{ LATCHKEY_SECRET: 'short' }, /LATCHKEY_SECRET: must be at least 32/],
      [{ LATCHKEY_SIGNUP: 'maybe' }, /LATCHKEY_SIGNUP/],
      [{ LATCHKEY_SMTP_URL: 'http://mail' }, /LATCHKEY_SMTP_URL/],
      [{ PORT: '70000' }, /PORT/],
      [{ LATCHKEY_OUTBOX_LEASE_MS: '500' }, /LATCHKEY_OUTBOX_LEASE_MS: must be at least 1000/],
    ];
    for (const [env, message] of cases) {
      assert.throws(() => resolveConfig({}, { LATCHKEY_DATA_DIR: dataDir(), ...env }), (error: Error) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, message);
        return true;
      });
    }
  });

  it('refuses development defaults in production', () => {
    const base = { NODE_ENV: 'production', LATCHKEY_DATA_DIR: dataDir(), LATCHKEY_SECRET: 's'.repeat(40), LATCHKEY_METRICS_LISTEN: '127.0.0.1:9464' };
    assert.throws(() => resolveConfig({}, { ...base, LATCHKEY_BASE_URL: 'https://auth.example.com' }), /LATCHKEY_SMTP_URL: required/);
    assert.throws(
      () => resolveConfig({}, { ...base, LATCHKEY_SMTP_URL: 'smtp://mail:25', LATCHKEY_BASE_URL: 'http://auth.example.com' }),
      /LATCHKEY_BASE_URL: must be https/,
    );
    assert.throws(
      () => resolveConfig({}, { ...base, LATCHKEY_SECRET: '', LATCHKEY_SMTP_URL: 'smtp://mail:25', LATCHKEY_BASE_URL: 'https://a.example.com' }),
      /LATCHKEY_SECRET: required/,
    );
    const ok = resolveConfig({}, { ...base, LATCHKEY_SMTP_URL: 'smtp://mail:25', LATCHKEY_BASE_URL: 'https://auth.example.com' });
    assert.equal(ok.production, true);
    assert.deepEqual(ok.metricsListen, { host: '127.0.0.1', port: 9464 });
  });

  it('refuses an open /metrics on the public listener in production (issue #12 finding 9)', () => {
    const env = { NODE_ENV: 'production', LATCHKEY_DATA_DIR: dataDir(), LATCHKEY_SECRET: 's'.repeat(40), LATCHKEY_SMTP_URL: 'smtp://mail:25', LATCHKEY_BASE_URL: 'https://auth.example.com' };
    assert.throws(() => resolveConfig({}, env), /LATCHKEY_METRICS_TOKEN or LATCHKEY_METRICS_LISTEN: required/);
    assert.equal(resolveConfig({}, { ...env, LATCHKEY_METRICS_TOKEN: 'm'.repeat(16) }).metricsListen, null);
    assert.deepEqual(resolveConfig({}, { ...env, LATCHKEY_METRICS_LISTEN: '[::1]:9464' }).metricsListen, { host: '::1', port: 9464 });
    for (const bad of ['9464', '127.0.0.1', 'http://127.0.0.1:9464', '127.0.0.1:0', '127.0.0.1:70000']) {
      assert.throws(() => resolveConfig({}, { ...env, LATCHKEY_METRICS_LISTEN: bad }), /LATCHKEY_METRICS_LISTEN/, bad);
    }
    // Development keeps /metrics open on the public listener (start.ts says so loudly).
    assert.equal(resolveConfig({ secret: 's'.repeat(40) }).metricsListen, null);
  });

  it('reports every missing production setting and every invalid value in one error (issue #12)', () => {
    // A new operator fixed one variable per start; the whole list comes at once now.
    const env = {
      NODE_ENV: 'production',
      LATCHKEY_DATA_DIR: dataDir(),
      LATCHKEY_BASE_URL: 'http://auth.example.com',
      LATCHKEY_TOKEN_TTL: '3600',
      LATCHKEY_TRUSTED_PROXIES: 'not-an-ip',
    };
    assert.throws(() => resolveConfig({}, env), (error: Error) => {
      assert.ok(error instanceof ConfigError);
      for (const problem of [
        /LATCHKEY_TOKEN_TTL: must be at most 600/,
        /LATCHKEY_SMTP_URL: required when NODE_ENV=production/,
        /LATCHKEY_METRICS_TOKEN or LATCHKEY_METRICS_LISTEN: required when NODE_ENV=production/,
        /LATCHKEY_BASE_URL: must be https/,
        /LATCHKEY_SECRET: required when NODE_ENV=production/,
        /LATCHKEY_TRUSTED_PROXIES: "not-an-ip"/,
      ]) {
        assert.match(error.message, problem);
      }
      assert.match(error.message, /^Invalid configuration \(6 problems\):\n/);
      return true;
    });
  });

  it('accepts the same options as a typed object', () => {
    const config = resolveConfig({ baseUrl: 'https://auth.example.com', signup: 'closed', tokenTtlSeconds: 300, secret: 'k'.repeat(32), outboxLeaseMs: 4000 });
    assert.equal(config.outboxLeaseMs, 4000);
    assert.equal(config.signup, 'closed');
    assert.equal(config.tokenTtlSeconds, 300);
    assert.equal(config.secretGenerated, false);
  });
});
