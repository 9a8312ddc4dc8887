// Passwords, the pure parts (src/core/passwords.ts): the stored PHC string and
// its parameters, interoperability with the Argon2 reference implementation,
// when a hash asks to be redone, what an unreadable hash does, and the rules
// for a new password (code points, NFKC, the bundled breached list). Sign-in,
// reset and timing over HTTP on both stores are in test/http/passwords.test.ts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  checkNewPassword,
  createPasswordHasher,
  hashPassword,
  isBreachedPassword,
  OWASP_ARGON2ID,
  parsePasswordHash,
  type PasswordHasher,
  verifyPassword,
} from '../../src/core/passwords.ts';

// Published by the Argon2 reference implementation (P-H-C/phc-winner-argon2,
// src/test.c): Argon2id v1.3 of "password" with salt "somesalt", made by other code than ours.
const REFERENCE = [
  { phc: '$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc', params: { memoryKiB: 65_536, passes: 2, parallelism: 1 } },
  { phc: '$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4', params: { memoryKiB: 256, passes: 2, parallelism: 1 } },
];

// Cheap parameters where the test is about format or logic, not cost.
const CHEAP = { memoryKiB: 256, passes: 2, parallelism: 1 };

describe('password hashes', () => {
  it('are stored as an Argon2id v1.3 PHC string with the OWASP parameters, a 16-byte salt and a 32-byte tag', async () => {
    const phc = await hashPassword('correct horse battery staple', OWASP_ARGON2ID);
    const match = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(phc);
    assert.ok(match, phc);
    assert.equal(Buffer.from(match[1]!, 'base64').length, 16);
    assert.equal(Buffer.from(match[2]!, 'base64').length, 32);
    assert.deepEqual(parsePasswordHash(phc)?.params, OWASP_ARGON2ID);
    const again = await hashPassword('correct horse battery staple', OWASP_ARGON2ID);
    assert.notEqual(again, phc, 'a fresh salt every time');
  });

  it('verify hashes made by the reference implementation, and ask for a rehash since their parameters differ', async () => {
    for (const { phc, params } of REFERENCE) {
      assert.deepEqual(parsePasswordHash(phc)?.params, params);
      assert.deepEqual(await verifyPassword('password', phc, OWASP_ARGON2ID), { ok: true, needsRehash: true }, phc);
      assert.deepEqual(await verifyPassword('passwore', phc, OWASP_ARGON2ID), { ok: false, needsRehash: false }, phc);
      // Under the parameters they were made with, they are current.
      assert.deepEqual(await verifyPassword('password', phc, params), { ok: true, needsRehash: false }, phc);
    }
  });

  it('ask for a rehash when any one parameter was raised, and only for the right password', async () => {
    const phc = await hashPassword('a long enough passphrase', CHEAP);
    assert.deepEqual(await verifyPassword('a long enough passphrase', phc, CHEAP), { ok: true, needsRehash: false });
    for (const raised of [{ memoryKiB: 512 }, { passes: 3 }, { parallelism: 2 }]) {
      const current = { ...CHEAP, ...raised };
      assert.deepEqual(await verifyPassword('a long enough passphrase', phc, current), { ok: true, needsRehash: true }, JSON.stringify(raised));
      assert.deepEqual(await verifyPassword('a long enough passphrase!', phc, current), { ok: false, needsRehash: false });
    }
  });

  it('compare the NFKC form: the same password typed with a ligature or full-width characters matches', async () => {
    const phc = await hashPassword('ﬁve ＦＩＮＧＥＲＳ', CHEAP);
    assert.equal((await verifyPassword('five FINGERS', phc, CHEAP)).ok, true);
    assert.equal((await verifyPassword('five fingers', phc, CHEAP)).ok, false, 'case still counts');
  });

  it('never match when the stored string is unreadable or of another algorithm or version', async () => {
    const { phc } = REFERENCE[0]!;
    const unreadable = [
      '',
      'password',
      phc.replace('$argon2id$', '$argon2i$'),
      phc.replace('v=19', 'v=16'),
      phc.replace('m=65536', 'm=abc'),
      phc.replace('t=2', 't=0'),
      phc.replace('c29tZXNhbHQ', 'c29t'), // a 3-byte salt
      phc.slice(0, phc.lastIndexOf('$')),
    ];
    for (const stored of unreadable) {
      assert.equal(parsePasswordHash(stored), null, stored);
      assert.deepEqual(await verifyPassword('password', stored, OWASP_ARGON2ID), { ok: false, needsRehash: false }, stored);
    }
  });

  it('the hasher checks a missing hash against a dummy: never a match, and one Argon2id computation, the first miss too', async () => {
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
    const hasher = createPasswordHasher(OWASP_ARGON2ID);
    const real = await hasher.hash('a long enough passphrase');
    const timed = async (on: PasswordHasher, phc: string | null) => {
      const start = process.hrtime.bigint();
      assert.deepEqual(await on.verify('a long enough passphrase?', phc), { ok: false, needsRehash: false });
      return Number(process.hrtime.bigint() - start) / 1e6;
    };
    const firstMiss: number[] = [];
    const miss: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < 9; i++) {
      firstMiss.push(await timed(createPasswordHasher(OWASP_ARGON2ID), null)); // as in a process that just started
      miss.push(await timed(hasher, null));
      wrong.push(await timed(hasher, real));
    }
    // Not the statistical timing check (that is over HTTP): a dummy path that hashed nothing, or twice,
    // would be off by a whole Argon2id computation.
    const cost = median(wrong);
    for (const [name, times] of [['first miss', firstMiss], ['miss', miss]] as const) {
      assert.ok(Math.abs(median(times) - cost) < cost / 2, `${name}: median ${median(times).toFixed(1)} ms, wrong password ${cost.toFixed(1)} ms`);
    }
    assert.deepEqual(await hasher.verify('', null), { ok: false, needsRehash: false }, 'not even an empty password');
  });
});

describe('new password rules', () => {
  it('count code points after NFKC: 8 to 128, no composition rules', () => {
    assert.deepEqual(checkNewPassword('abcdefg'), { ok: false, code: 'password_too_short' });
    assert.deepEqual(checkNewPassword('🔑'.repeat(7)), { ok: false, code: 'password_too_short' }, '14 UTF-16 units, 7 characters');
    assert.deepEqual(checkNewPassword('🔑'.repeat(8)), { ok: true, password: '🔑'.repeat(8) });
    assert.deepEqual(checkNewPassword('zqxjvkwp'), { ok: true, password: 'zqxjvkwp' }, 'lower-case letters only are fine');
    assert.deepEqual(checkNewPassword('😀'.repeat(128)), { ok: true, password: '😀'.repeat(128) }, '256 UTF-16 units, 128 characters');
    assert.deepEqual(checkNewPassword('x'.repeat(129)), { ok: false, code: 'password_too_long' });
    assert.deepEqual(checkNewPassword('x'.repeat(100_000)), { ok: false, code: 'password_too_long' });
    // Counted, and returned for hashing, in the NFKC form: one ligature is two letters.
    assert.deepEqual(checkNewPassword('ﬁﬁﬁ'), { ok: false, code: 'password_too_short' });
    assert.deepEqual(checkNewPassword('ﬁﬁﬁﬁ'), { ok: true, password: 'fifififi' });
    assert.deepEqual(checkNewPassword(12345678), { ok: false, code: 'invalid_request' });
    assert.deepEqual(checkNewPassword(undefined), { ok: false, code: 'invalid_request' });
  });

  it('refuse every entry of the bundled breached list, in any case; a passphrase outside it is fine', () => {
    const entries = readFileSync(new URL('../../src/core/breached-passwords.txt', import.meta.url), 'utf8')
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'));
    assert.equal(entries.length, 10_000, 'the README promises the 10,000 most common');
    assert.equal(new Set(entries).size, entries.length, 'no duplicates');
    for (const entry of entries) {
      assert.ok([...entry].length >= 8, `${entry} is too short to be settable anyway`);
      assert.equal(entry, entry.toLowerCase());
    }
    for (const entry of [entries[0]!, entries[4_999]!, entries[9_999]!]) {
      assert.deepEqual(checkNewPassword(entry), { ok: false, code: 'password_breached' }, entry);
      assert.deepEqual(checkNewPassword(entry.toUpperCase()), { ok: false, code: 'password_breached' }, entry);
    }
    for (const common of ['password', 'Password1', 'iloveyou', '12345678', 'qwertyuiop']) assert.equal(isBreachedPassword(common), true, common);
    // Held sorted and searched by halving (issue #14): every entry is found, and nothing else.
    for (const entry of entries) assert.equal(isBreachedPassword(entry), true, entry);
    for (const other of ['correct horse battery staple 42', ' ', '\u0000', '~~~~~~~~~~~~', 'pässwörd123', `${entries[0]}x`, entries[9_999]!.slice(0, -1)]) {
      assert.equal(isBreachedPassword(other), entries.includes(other.toLowerCase()), other);
    }
    assert.equal(checkNewPassword('correct horse battery staple 42').ok, true);
  });
});
