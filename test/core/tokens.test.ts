// The one token engine (src/core/tokens.ts), for every purpose it serves, on
// SQLite and PostgreSQL: only hashes stored, each purpose's own lifetime, single
// use however many requests race (link and code), and a token of one purpose
// refused for every other by the same consume path.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { hmacSha256, sha256 } from '../../src/core/crypto.ts';
import { nodeRandom } from '../../src/core/random.ts';
import { createTokenEngine, generateCode, tokenErrorCode, type IssueTokenInput, type TokenEngine, type TokenTtls } from '../../src/core/tokens.ts';
import { TOKEN_PURPOSES, type TokenPurpose, type TokenRecord } from '../../src/core/types.ts';
import type { Store } from '../../src/store/store.ts';
import { BACKENDS, backendSkip } from '../support/stores.ts';

const key = randomBytes(32);
const MAX_CODE_ATTEMPTS = 5;
// Distinct lifetimes, so a purpose that borrowed another's would show.
const TTLS: TokenTtls = { sign_in: 600, password_reset: 900, email_verify: 86_400, email_change: 43_200, email_change_cancel: 86_000 };

let counter = 0;
const uniqueEmail = (label: string) => `${label}.${Date.now()}.${++counter}@example.com`;

interface Issued {
  token: string;
  code: string;
  record: TokenRecord;
}

async function issue(engine: TokenEngine, purpose: TokenPurpose, email: string, now: number): Promise<Issued> {
  const secrets = { token: '', code: '' };
  const input: IssueTokenInput = {
    purpose,
    email,
    userId: null,
    otherEmail: purpose.startsWith('email_change') ? 'other@example.com' : null,
    flowHash: null,
    redirectTo: null,
    requestIp: '203.0.113.9',
    requestUserAgent: 'test',
    mail: ({ token, code }) => {
      secrets.token = token;
      secrets.code = code;
      return null;
    },
    events: [],
  };
  const { record } = await engine.issue(input, now);
  return { ...secrets, record };
}

for (const backend of BACKENDS) {
  describe(`token engine (${backend.name})`, async () => {
    const skip = await backendSkip(backend);
    if (skip) {
      it(`skipped: ${skip}`, { skip }, () => {});
      return;
    }
    let store: Store;
    let engine: TokenEngine;
    before(async () => {
      store = (await backend.open())!;
      engine = createTokenEngine({ store, random: nodeRandom }, key, MAX_CODE_ATTEMPTS, TTLS);
    });
    after(() => store.close());

    for (const purpose of TOKEN_PURPOSES) {
      describe(purpose, () => {
        it('stores only the SHA-256 of the link token and an HMAC of the code bound to purpose and request', async () => {
          const now = Date.now();
          const { token, code, record } = await issue(engine, purpose, uniqueEmail(purpose), now);
          assert.match(token, /^[A-Za-z0-9_-]{43}$/);
          assert.equal(Buffer.from(token, 'base64url').length, 32);
          assert.match(code, /^[0-9]{6}$/);
          const stored = (await store.findToken(sha256(token)))!;
          assert.equal(stored.id, record.id);
          assert.equal(stored.purpose, purpose);
          assert.equal(stored.tokenHash, sha256(token));
          assert.equal(stored.codeHash, hmacSha256(key, `${purpose}:${record.id}:${code}`));
          assert.equal(JSON.stringify(stored).includes(token), false, 'the token is not stored');
          assert.ok(Object.values(stored).every((value) => value !== code), 'the code is not stored');
        });

        it(`lives its own lifetime (${TTLS[purpose]} s), for the link and for the code`, async () => {
          const now = Date.now();
          const expiresAt = now + TTLS[purpose] * 1000;
          const link = await issue(engine, purpose, uniqueEmail(purpose), now);
          assert.equal(link.record.expiresAt, expiresAt);
          assert.equal(engine.ttlSeconds(purpose), TTLS[purpose]);
          const late = await engine.consumeLink(link.token, purpose, expiresAt);
          assert.deepEqual(late.ok ? 'ok' : late.reason, 'expired');
          assert.equal(tokenErrorCode('expired'), 'token_expired');
          assert.equal((await engine.inspect(link.token, purpose, expiresAt - 1)).ok, true, 'still good a millisecond before');
          assert.equal((await engine.consumeLink(link.token, purpose, expiresAt - 1)).ok, true);

          const email = uniqueEmail(purpose);
          const byCode = await issue(engine, purpose, email, now);
          const lateCode = await engine.consumeCode(email, byCode.code, purpose, expiresAt);
          assert.equal(lateCode.ok ? 'ok' : lateCode.reason, 'expired');
          assert.equal((await engine.consumeCode(email, byCode.code, purpose, expiresAt - 1)).ok, true);
        });

        it('is used once: 50 parallel consumes of one token, by link and by code, give exactly one success', async () => {
          const email = uniqueEmail(purpose);
          const now = Date.now();
          const { token, code } = await issue(engine, purpose, email, now);
          const results = await Promise.all(
            Array.from({ length: 50 }, (_, i) =>
              i % 2 ? engine.consumeLink(token, purpose, now + 1) : engine.consumeCode(email, code, purpose, now + 1),
            ),
          );
          assert.equal(results.filter((r) => r.ok).length, 1);
          const reasons = new Set(results.filter((r) => !r.ok).map((r) => (r.ok ? '' : r.reason)));
          for (const reason of reasons) assert.ok(['used', 'locked'].includes(reason), `unexpected ${reason}`);
          const again = await engine.consumeLink(token, purpose, now + 2);
          assert.equal(again.ok ? 'ok' : again.reason, 'used');
        });

        it('is refused for every other purpose (link and code) as an unknown token, and stays usable for its own', async () => {
          const email = uniqueEmail(purpose);
          const now = Date.now();
          const { token, code } = await issue(engine, purpose, email, now);
          for (const other of TOKEN_PURPOSES.filter((p) => p !== purpose)) {
            const link = await engine.consumeLink(token, other, now + 1);
            assert.deepEqual(link, { ok: false, reason: 'not_found', record: null }, `${purpose} link used as ${other}`);
            assert.equal(tokenErrorCode('not_found'), 'token_invalid');
            const shown = await engine.inspect(token, other, now + 1);
            assert.deepEqual(shown, { ok: false, reason: 'not_found', record: null }, `${purpose} link shown as ${other}`);
            const byCode = await engine.consumeCode(email, code, other, now + 1);
            assert.equal(byCode.ok, false, `${purpose} code used as ${other}`);
          }
          assert.equal((await engine.inspect(token, purpose, now + 2)).ok, true, 'inspecting does not consume');
          assert.equal((await engine.consumeLink(token, purpose, now + 2)).ok, true);
        });

        it('a newer token for the same address and purpose replaces the older one', async () => {
          const email = uniqueEmail(purpose);
          const now = Date.now();
          const older = await issue(engine, purpose, email, now);
          const newer = await issue(engine, purpose, email, now + 1);
          const replaced = await engine.consumeLink(older.token, purpose, now + 2);
          assert.equal(replaced.ok ? 'ok' : replaced.reason, 'replaced');
          assert.equal((await engine.consumeLink(newer.token, purpose, now + 2)).ok, true);
        });
      });
    }

    it('caps code attempts at five even when guesses arrive in parallel; the link still works (issue #12 finding 2)', async () => {
      const email = uniqueEmail('parallel');
      const { token, code } = await issue(engine, 'password_reset', email, Date.now());
      const wrong = code === '000000' ? '111111' : '000000';
      const guesses = await Promise.all(
        Array.from({ length: 30 }, (_, i) => engine.consumeCode(email, i === 29 ? code : wrong, 'password_reset', Date.now())),
      );
      const reasons = guesses.map((g) => (g.ok ? 'ok' : g.reason));
      assert.equal(reasons.filter((r) => r === 'code_invalid').length, 4);
      assert.equal(reasons.filter((r) => r === 'locked').length, 26, 'the right code came too late');
      const link = await engine.consumeLink(token, 'password_reset', Date.now());
      assert.equal(link.ok ? 'ok' : link.reason, 'ok');
    });

    it('treats malformed tokens and codes as invalid without consuming anything', async () => {
      assert.deepEqual(await engine.consumeLink('short', 'sign_in', Date.now()), { ok: false, reason: 'not_found', record: null });
      const email = uniqueEmail('malformed');
      const { code } = await issue(engine, 'sign_in', email, Date.now());
      const result = await engine.consumeCode(email, '12ab56', 'sign_in', Date.now());
      assert.equal(result.ok ? 'ok' : result.reason, 'code_invalid');
      assert.equal((await engine.consumeCode(email, code, 'sign_in', Date.now())).ok, true);
    });
  });
}

it('generates codes uniformly enough to use every digit in every position', () => {
  const seen = Array.from({ length: 6 }, () => new Set<string>());
  for (let i = 0; i < 2000; i++) [...generateCode(nodeRandom)].forEach((digit, position) => seen[position]!.add(digit));
  assert.ok(seen.every((digits) => digits.size === 10));
});
