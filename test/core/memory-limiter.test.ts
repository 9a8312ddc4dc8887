// The in-memory rate limits (one process, no Redis): fixed windows that start
// with a key's first event, blocks, and windows that end are forgotten, so a
// burst of new addresses does not stay in memory (issue #14 item 5).
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { memoryBucket } from '../../src/core/memory-limiter.ts';

function clock(start = 1_800_000_000_000) {
  let time = start;
  return { now: () => time, advance: (ms: number) => (time += ms) };
}

describe('in-memory rate limits (core/memory-limiter.ts)', () => {
  it('allows `points` events per window, refuses the next, and starts over when the window ends', async () => {
    const { now, advance } = clock();
    const bucket = memoryBucket(3, 60, now);
    for (let i = 0; i < 3; i++) assert.equal(await bucket.take('a@example.com'), true);
    assert.equal(await bucket.take('a@example.com'), false);
    assert.equal(await bucket.take('b@example.com'), true, 'keys are counted apart');
    advance(59_999);
    assert.equal(await bucket.take('a@example.com'), false, 'the window runs from the first event');
    advance(1);
    assert.equal(await bucket.take('a@example.com'), true, 'a new window');
    assert.equal(await bucket.add('a@example.com'), 2);
  });

  it('counts past the limit with add, forgets a key on reset', async () => {
    const { now } = clock();
    const bucket = memoryBucket(1, 60, now);
    assert.equal(await bucket.add('k'), 1);
    assert.equal(await bucket.add('k'), 2);
    assert.equal(await bucket.add('k'), 3);
    await bucket.reset('k');
    assert.equal(await bucket.take('k'), true);
  });

  it('block refuses the key for the time given, then lets it go', async () => {
    const { now, advance } = clock();
    const bucket = memoryBucket(1, 3600, now);
    assert.equal(await bucket.blockedForMs('acct'), 0);
    await bucket.block('acct', 30);
    assert.equal(await bucket.blockedForMs('acct'), 30_000);
    assert.equal(await bucket.take('acct'), false);
    advance(10_000);
    assert.equal(await bucket.blockedForMs('acct'), 20_000);
    advance(20_000);
    assert.equal(await bucket.blockedForMs('acct'), 0);
    assert.equal(await bucket.take('acct'), true);
    await bucket.block('acct', 30);
    await bucket.reset('acct');
    assert.equal(await bucket.blockedForMs('acct'), 0, 'a success clears the delay');
  });

  it('drops ended windows from memory: a burst of new keys is not kept past its window', async () => {
    const bucket = memoryBucket(5, 1);
    for (let i = 0; i < 1000; i++) await bucket.take(`burst-${i}@example.com`);
    assert.equal(bucket.size, 1000);
    await sleep(2300); // the window (1 s), then the next sweep
    assert.equal(bucket.size, 0);
    assert.equal(await bucket.take('burst-0@example.com'), true);
  });
});
