// Small wrappers over node:crypto so every module hashes, keys and compares the
// same way. Secrets are derived per use (HKDF) so one server secret never keys
// two different things.

import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  hash,
  hkdfSync,
  randomBytes,
  randomFillSync,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';

// Each randomBytes() call is a synchronous CSPRNG job of several microseconds;
// a sign-in takes three or four. Like Node's own randomUUID(), fill a pool once
// per 4 KiB and hand out slices: each byte is handed out once and zeroed as it
// is, so no token lingers in the pool.
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let offset = 0;

function takeRandom<T>(bytes: number, read: (source: Buffer, start: number, end: number) => T): T {
  if (bytes > POOL_BYTES) return read(randomBytes(bytes), 0, bytes);
  if (offset + bytes > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafeSlow(POOL_BYTES));
    offset = 0;
  }
  const start = offset;
  offset += bytes;
  const value = read(pool, start, offset);
  pool.fill(0, start, offset);
  return value;
}

/** `bytes` random bytes from the CSPRNG, base64url (32 bytes → 43 chars). */
export function randomToken(bytes = 32): string {
  return takeRandom(bytes, (source, start, end) => source.toString('base64url', start, end));
}

/** `bytes` random bytes from the CSPRNG, in a Buffer of their own. */
export function randomBuffer(bytes: number): Buffer {
  return takeRandom(bytes, (source, start, end) => Buffer.from(source.subarray(start, end)));
}

export function sha256(value: string): string {
  // One-shot: no Hash object per call (the session check hashes every cookie).
  return hash('sha256', value, 'base64url');
}

// A raw Buffer key is re-imported on every createHmac (about 6x slower than a
// KeyObject); the keys are long-lived derived secrets, so import each once.
const KEY_OBJECTS = new WeakMap<Buffer, KeyObject>();

function keyObject(key: Buffer): KeyObject {
  let imported = KEY_OBJECTS.get(key);
  if (!imported) KEY_OBJECTS.set(key, (imported = createSecretKey(key)));
  return imported;
}

export function hmacSha256(key: Buffer, value: string): string {
  return createHmac('sha256', keyObject(key)).update(value).digest('base64url');
}

/** Constant-time comparison of two strings (lengths are not secret here: both are fixed-size digests). */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  if (left.length !== right.length) return false;
  return timingSafeEqual(left, right);
}

export type KeyPurpose =
  | 'code-hmac' | 'outbox-seal' | 'limiter-keys' | 'totp-seal' | 'recovery-code-hmac' | 'csrf-token'
  | 'oidc-seal' | 'oidc-cookies' | 'forward-auth-cookie';

/** A 32-byte key for one purpose, derived from the server secret (RFC 5869). */
export function deriveKey(secret: string, purpose: KeyPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'latchkey', `latchkey:${purpose}:v1`, 32));
}

/** AES-256-GCM; output is base64url(iv | tag | ciphertext). */
export function seal(key: Buffer, plaintext: string): string {
  const iv = randomBuffer(12);
  const cipher = createCipheriv('aes-256-gcm', keyObject(key), iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

export function unseal(key: Buffer, sealed: string): string {
  const raw = Buffer.from(sealed, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', keyObject(key), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}
