// TOTP and recovery codes, the pure parts: RFC 6238 test vectors, the ±1 step
// window, what is accepted as typed, sealing, the otpauth URI and the QR code.
// Replay, single use and attempt limits are in test/http/two-factor.test.ts and
// the store conformance suite (they live in the store's conditional updates).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Secret } from 'otpauth';
import { deriveKey } from '../../src/core/crypto.ts';
import { nodeRandom } from '../../src/core/random.ts';
import { generateRecoveryCodes, hashRecoveryCode, normalizeRecoveryCode, RECOVERY_CODE_COUNT } from '../../src/core/recovery-codes.ts';
import {
  generateTotpSecret,
  matchTotpCode,
  normalizeTotpCode,
  otpauthUri,
  qrCodeSvg,
  sealTotpSecret,
  totpCode,
  totpStep,
  unsealTotpSecret,
} from '../../src/core/totp.ts';

// RFC 6238 Appendix B, the SHA-1 rows: the ASCII secret "12345678901234567890", 8 digits.
const RFC_SECRET = Secret.fromLatin1('12345678901234567890').base32;
const RFC_VECTORS: Array<[seconds: number, code: string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('TOTP (RFC 6238)', () => {
  it('gives the RFC 6238 test vectors (SHA-1, 8 digits)', () => {
    for (const [seconds, code] of RFC_VECTORS) assert.equal(totpCode(RFC_SECRET, seconds * 1000, 8), code, `T = ${seconds}`);
  });

  it('our 6-digit configuration is the same truncation, mod 10^6', () => {
    // RFC 4226 §5.3: the same 31-bit value, reduced mod 10^digits, so the last six digits.
    for (const [seconds, code] of RFC_VECTORS) {
      assert.equal(totpCode(RFC_SECRET, seconds * 1000), code.slice(-6), `T = ${seconds}`);
      assert.equal(matchTotpCode(RFC_SECRET, code.slice(-6), seconds * 1000), totpStep(seconds * 1000));
    }
  });

  it('time steps are 30 seconds from the Unix epoch', () => {
    assert.equal(totpStep(59_000), 1);
    assert.equal(totpStep(1_111_111_109_000), 37_037_036);
    assert.equal(totpStep(29_999), 0);
    assert.equal(totpStep(30_000), 1);
  });

  it('accepts the code of the step before and after (clock drift), not two away', () => {
    const secret = generateTotpSecret(nodeRandom);
    const now = 1_800_000_000_000 + 12_345;
    const step = totpStep(now);
    for (const offset of [-1, 0, 1]) {
      const code = totpCode(secret, now + offset * 30_000);
      assert.equal(matchTotpCode(secret, code, now), step + offset, `offset ${offset}`);
    }
    for (const offset of [-2, 2, -3, 3]) {
      const code = totpCode(secret, now + offset * 30_000);
      // A 1-in-10^6 collision with a code inside the window would be a false failure, not a false pass.
      const insideWindow = [-1, 0, 1].map((o) => totpCode(secret, now + o * 30_000));
      if (insideWindow.includes(code)) continue;
      assert.equal(matchTotpCode(secret, code, now), null, `offset ${offset}`);
    }
  });

  it('a code of another secret is refused', () => {
    const now = Date.now();
    const mine = generateTotpSecret(nodeRandom);
    const theirs = generateTotpSecret(nodeRandom);
    assert.notEqual(mine, theirs);
    const code = totpCode(theirs, now);
    const window = [-1, 0, 1].map((o) => totpCode(mine, now + o * 30_000));
    if (!window.includes(code)) assert.equal(matchTotpCode(mine, code, now), null);
  });

  it('secrets are 160 random bits in base32', () => {
    const secrets = new Set(Array.from({ length: 50 }, () => generateTotpSecret(nodeRandom)));
    assert.equal(secrets.size, 50);
    for (const secret of secrets) {
      assert.match(secret, /^[A-Z2-7]{32}$/);
      assert.equal(Secret.fromBase32(secret).bytes.length, 20);
    }
  });

  it('takes a code as people type it, and nothing else', () => {
    assert.equal(normalizeTotpCode('123456'), '123456');
    assert.equal(normalizeTotpCode(' 123 456 '), '123456');
    assert.equal(normalizeTotpCode('123-456'), '123456');
    for (const bad of ['12345', '1234567', 'abcdef', '１２３４５６', '', 123456, null, undefined, {}, '1'.repeat(40)]) {
      assert.equal(normalizeTotpCode(bad), null, String(bad));
    }
  });

  it('the sealed secret opens only for its own account and key, and hides the secret', () => {
    const key = deriveKey('x'.repeat(40), 'totp-seal');
    const secret = generateTotpSecret(nodeRandom);
    const sealed = sealTotpSecret(key, 'user-1', secret);
    assert.equal(sealed.includes(secret), false);
    assert.notEqual(sealTotpSecret(key, 'user-1', secret), sealed, 'a fresh IV each time');
    assert.equal(unsealTotpSecret(key, 'user-1', sealed), secret);
    assert.throws(() => unsealTotpSecret(key, 'user-2', sealed));
    assert.throws(() => unsealTotpSecret(deriveKey('y'.repeat(40), 'totp-seal'), 'user-1', sealed));
    const tampered = Buffer.from(sealed, 'base64url');
    tampered[tampered.length - 1]! ^= 1;
    assert.throws(() => unsealTotpSecret(key, 'user-1', tampered.toString('base64url')));
  });

  it('builds the otpauth URI authenticator apps expect, and its QR code as SVG', async () => {
    const secret = generateTotpSecret(nodeRandom);
    const uri = new URL(otpauthUri('Acme & Co', 'ada@example.com', secret));
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.host, 'totp');
    assert.equal(decodeURIComponent(uri.pathname), '/Acme & Co:ada@example.com');
    assert.equal(uri.searchParams.get('secret'), secret);
    assert.equal(uri.searchParams.get('issuer'), 'Acme & Co');
    assert.equal(uri.searchParams.get('algorithm'), 'SHA1');
    assert.equal(uri.searchParams.get('digits'), '6');
    assert.equal(uri.searchParams.get('period'), '30');
    const svg = await qrCodeSvg(uri.href);
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg, /<path /);
    assert.doesNotMatch(svg, /<script|on\w+=/i);
  });
});

describe('recovery codes', () => {
  it('ten distinct codes of 80 random bits, in groups of four', () => {
    const codes = generateRecoveryCodes(nodeRandom);
    assert.equal(codes.length, RECOVERY_CODE_COUNT);
    assert.equal(RECOVERY_CODE_COUNT, 10);
    assert.equal(new Set(codes).size, 10);
    for (const code of codes) assert.match(code, /^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/);
    // Every symbol of the 32 turns up across many codes (no bias towards part of the alphabet).
    const seen = new Set(generateRecoveryCodes(nodeRandom, 200).join('').replaceAll('-', ''));
    assert.equal(seen.size, 32);
  });

  it('takes a code as people type it', () => {
    const [code] = generateRecoveryCodes(nodeRandom, 1) as [string];
    const plain = code.replaceAll('-', '');
    assert.equal(normalizeRecoveryCode(code), plain);
    assert.equal(normalizeRecoveryCode(code.toUpperCase()), plain);
    assert.equal(normalizeRecoveryCode(` ${code.replaceAll('-', ' ')} `), plain);
    assert.equal(normalizeRecoveryCode('O0IL-1111-2222-3333'), '0011111122223333');
    for (const bad of [plain.slice(1), `${plain}a`, 'uuuu-uuuu-uuuu-uuuu', '', 42, null, undefined]) {
      assert.equal(normalizeRecoveryCode(bad), null, String(bad));
    }
  });

  it('the stored hash is keyed and bound to the account', () => {
    const key = deriveKey('x'.repeat(40), 'recovery-code-hmac');
    const code = normalizeRecoveryCode(generateRecoveryCodes(nodeRandom, 1)[0])!;
    const stored = hashRecoveryCode(key, 'user-1', code);
    assert.equal(hashRecoveryCode(key, 'user-1', code), stored);
    assert.notEqual(hashRecoveryCode(key, 'user-2', code), stored);
    assert.notEqual(hashRecoveryCode(deriveKey('y'.repeat(40), 'recovery-code-hmac'), 'user-1', code), stored);
    assert.equal(stored.includes(code), false);
  });
});
