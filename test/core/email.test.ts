import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalizeEmail, mailboxKey, maskEmail } from '../../src/core/email.ts';

describe('email canonicalisation', () => {
  it('lowercases, trims and converts the domain to punycode', () => {
    assert.deepEqual(canonicalizeEmail('  Alice.Smith@Example.COM '), { ok: true, email: 'alice.smith@example.com' });
    assert.deepEqual(canonicalizeEmail('bob@bücher.de'), { ok: true, email: 'bob@xn--bcher-kva.de' });
    assert.deepEqual(canonicalizeEmail('a+tag@sub.example.org'), { ok: true, email: 'a+tag@sub.example.org' });
  });

  it('does not fold provider-specific forms (Gmail dots stay)', () => {
    assert.deepEqual(canonicalizeEmail('j.doe@gmail.com'), { ok: true, email: 'j.doe@gmail.com' });
  });

  it('refuses anything an SMTP library or mailbox might read differently', () => {
    const refused: unknown[] = [
      'plain',
      '@example.com',
      'a@',
      'a@b@example.com',
      '"a b"@example.com',
      'a(comment)@example.com',
      '=?utf-8?q?a?=@example.com',
      'a@example.com, b@example.com',
      'a@example.com\r\nBcc: b@example.com',
      'a\u0000@example.com',
      'a..b@example.com',
      '.a@example.com',
      'a@localhost',
      'a@-bad.example.com',
      'a@example.com.',
      'a@127.0.0.1',
      'a@[127.0.0.1]',
      `${'a'.repeat(65)}@example.com`,
      `a@${'b'.repeat(64)}.com`,
      ['a@example.com'],
      { email: 'a@example.com' },
      42,
      null,
      undefined,
    ];
    for (const input of refused) assert.deepEqual(canonicalizeEmail(input), { ok: false }, `accepted ${JSON.stringify(input)}`);
  });

  it('masks an address for display', () => {
    assert.equal(maskEmail('alice@example.com'), 'a…@example.com');
  });
});

describe('mailbox key of the per-address caps (issue #12 finding 6)', () => {
  it('folds a "+" sub-address into its mailbox, and nothing else', () => {
    assert.equal(mailboxKey('victim+1@example.com'), 'victim@example.com');
    assert.equal(mailboxKey('victim+a+b@example.com'), 'victim@example.com');
    assert.equal(mailboxKey('victim@example.com'), 'victim@example.com');
    assert.equal(mailboxKey('first-last@example.com'), 'first-last@example.com');
    assert.equal(mailboxKey('j.doe@gmail.com'), 'j.doe@gmail.com');
    // A leading "+" is the whole local part, not a tag.
    assert.equal(mailboxKey('+x@example.com'), '+x@example.com');
  });

  it('refuses an oversized input before trimming or parsing it (issue #12 finding 1)', () => {
    assert.deepEqual(canonicalizeEmail(`a@example.com${' '.repeat(400)}`), { ok: false });
    assert.deepEqual(canonicalizeEmail(`a@${'a.'.repeat(5000)}com`), { ok: false });
  });
});
