import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { hmacSha256, sha256 } from '../../src/core/crypto.ts';
import { createTokenEngine, generateCode, type IssueTokenInput, type TokenEngine } from '../../src/core/tokens.ts';
import type { TokenRecord } from '../../src/core/types.ts';
import type { Store } from '../../src/store/store.ts';
import { sqliteBackend } from '../support/stores.ts';

const key = randomBytes(32);

function input(email: string, captured: { token?: string; code?: string }): IssueTokenInput {
  return {
    purpose: 'sign_in',
    email,
    userId: null,
    flowHash: null,
    redirectTo: null,
    ttlSeconds: 600,
    requestIp: '203.0.113.9',
    requestUserAgent: 'test',
    mail: ({ token, code }) => {
      captured.token = token;
      captured.code = code;
      return null;
    },
    events: [],
  };
}

describe('one-time tokens', () => {
  let store: Store;
  let engine: TokenEngine;
  before(async () => {
    store = (await sqliteBackend.open())!;
    engine = createTokenEngine(store, key, 5);
  });
  after(() => store.close());

  it('issues a 256-bit base64url token and a 6-digit code, and stores neither', async () => {
    const secrets: { token?: string; code?: string } = {};
    const now = Date.now();
    const { record } = await engine.issue(input('shape@example.com', secrets), now);
    assert.match(secrets.token!, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(secrets.token!, 'base64url').length, 32);
    assert.match(secrets.code!, /^[0-9]{6}$/);
    const stored = (await store.findToken(sha256(secrets.token!)))!;
    assert.equal(stored.id, record.id);
    assert.notEqual(stored.tokenHash, secrets.token);
    assert.equal(stored.codeHash, hmacSha256(key, `sign_in:${record.id}:${secrets.code}`));
    assert.equal(JSON.stringify(stored).includes(secrets.token!), false);
    assert.equal(stored.expiresAt, now + 600_000);
  });

  it('binds a code to its own request: the same code for another request does not match', async () => {
    const a: { token?: string; code?: string } = {};
    const b: { token?: string; code?: string } = {};
    const first = await engine.issue(input('bind-a@example.com', a), Date.now());
    const second = await engine.issue(input('bind-b@example.com', b), Date.now());
    const sameCode = (record: TokenRecord) => hmacSha256(key, `sign_in:${record.id}:123456`);
    assert.notEqual(sameCode(first.record), sameCode(second.record));
  });

  it('refuses a token for another purpose', async () => {
    const secrets: { token?: string; code?: string } = {};
    await engine.issue(input('purpose@example.com', secrets), Date.now());
    const result = await engine.consumeLink(secrets.token!, 'password_reset', Date.now());
    assert.equal(result.ok, false);
    assert.equal((await engine.consumeLink(secrets.token!, 'sign_in', Date.now())).ok, true);
  });

  it('treats malformed tokens and codes as invalid without consuming anything', async () => {
    assert.deepEqual(await engine.consumeLink('short', 'sign_in', Date.now()), { ok: false, reason: 'not_found', record: null });
    const secrets: { token?: string; code?: string } = {};
    await engine.issue(input('malformed@example.com', secrets), Date.now());
    const result = await engine.consumeCode('malformed@example.com', '12ab56', 'sign_in', Date.now());
    assert.equal(result.ok, false);
    assert.equal(result.ok === false && result.reason, 'code_invalid');
    assert.equal((await engine.consumeCode('malformed@example.com', secrets.code!, 'sign_in', Date.now())).ok, true);
  });

  it('caps code attempts at five even when guesses arrive in parallel', async () => {
    const secrets: { token?: string; code?: string } = {};
    await engine.issue(input('parallel@example.com', secrets), Date.now());
    const wrong = secrets.code === '000000' ? '111111' : '000000';
    const guesses = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        engine.consumeCode('parallel@example.com', i === 29 ? secrets.code! : wrong, 'sign_in', Date.now()),
      ),
    );
    const reasons = guesses.map((g) => (g.ok ? 'ok' : g.reason));
    assert.equal(reasons.filter((r) => r === 'code_invalid').length, 4);
    assert.equal(reasons.filter((r) => r === 'locked').length, 26, 'the right code came too late');
    assert.equal((await engine.consumeLink(secrets.token!, 'sign_in', Date.now())).ok, false);
  });

  it('generates codes uniformly enough to use every digit in every position', () => {
    const seen = Array.from({ length: 6 }, () => new Set<string>());
    for (let i = 0; i < 2000; i++) [...generateCode()].forEach((digit, position) => seen[position]!.add(digit));
    assert.ok(seen.every((digits) => digits.size === 10));
  });
});
