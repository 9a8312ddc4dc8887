// The random pool in core/crypto.ts: tokens stay 256-bit, distinct, and
// independent across pool refills; large requests bypass the pool.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomBuffer, randomToken, seal, unseal } from '../../src/core/crypto.ts';

describe('random tokens', () => {
  it('are 43 base64url characters (32 bytes) and never repeat, across many pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const token = randomToken();
      assert.match(token, /^[A-Za-z0-9_-]{43}$/);
      seen.add(token);
    }
    assert.equal(seen.size, 5000);
  });

  it('use every byte value about equally (no zeroed or stuck slices)', () => {
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 4000; i++) for (const byte of randomBuffer(32)) counts[byte]!++;
    // 128,000 bytes: 500 per value expected; a zeroed slice per pool would push byte 0 far above.
    assert.ok(Math.max(...counts) < 650 && Math.min(...counts) > 350, `spread ${Math.min(...counts)}..${Math.max(...counts)}`);
  });

  it('a buffer handed out is not changed by later draws', () => {
    const first = randomBuffer(16);
    const copy = Buffer.from(first);
    for (let i = 0; i < 300; i++) randomToken();
    assert.deepEqual(first, copy);
  });

  it('sizes beyond the pool come straight from the CSPRNG', () => {
    assert.equal(randomBuffer(10_000).length, 10_000);
    assert.equal(Buffer.from(randomToken(5000), 'base64url').length, 5000);
  });

  it('sealed values use a fresh IV each time', () => {
    const key = randomBuffer(32);
    const a = seal(key, 'same text');
    const b = seal(key, 'same text');
    assert.notEqual(a, b);
    assert.equal(unseal(key, a), 'same text');
  });
});
