// Optional passwords (issue #5). Stored as Argon2id (Node's built-in
// crypto.argon2) in the PHC string format, which names the algorithm, the
// Argon2 version and the cost parameters next to the salt and the hash:
//
//   $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
//
// so the parameters can be raised at any time: a hash made with other
// parameters still verifies, and is rehashed at the next successful sign-in.
// Rules (NIST SP 800-63B §3.1.1.2): 8 to 128 characters counted as Unicode code
// points after NFKC normalisation, no composition rules, and never one of the
// most common breached passwords (a bundled list, compared case-insensitively).

import { argon2, randomBytes, timingSafeEqual, type Argon2Parameters } from 'node:crypto';
import type { PasswordHashingOptions } from '../config.ts';
import { mailEnvelope } from './account.ts';
import { auditEvent, type RequestContext } from './audit.ts';
import { isListedPassword } from './breached-passwords.ts';
import type { ErrorCode } from './errors.ts';
import type { Policy } from './policy.ts';
import type { Session, User } from './types.ts';
import type { Context } from '../context.ts';
import { absoluteUrlFor } from '../route-table.ts';

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 128;
/** What a sign-in form may send at most (more is refused before hashing: Argon2 reads all of it). */
export const MAX_PASSWORD_INPUT = 1024;

export type PasswordHashing = PasswordHashingOptions;

/** OWASP Password Storage Cheat Sheet: 19 MiB, 2 passes, 1 lane. */
export const OWASP_ARGON2ID: PasswordHashing = { memoryKiB: 19_456, passes: 2, parallelism: 1 };

const ARGON2_VERSION = 19; // 0x13, the only version crypto.argon2 computes
const SALT_BYTES = 16;
const HASH_BYTES = 32;
const PHC = /^\$argon2id\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** The form a password is hashed and counted in: typed on another keyboard, it is still the same password. */
export function normalizePassword(input: string): string {
  return input.normalize('NFKC');
}

/** One of the 10,000 most common breached passwords (src/core/breached-passwords.txt), ignoring case. */
export function isBreachedPassword(password: string): boolean {
  return isListedPassword(normalizePassword(password).toLowerCase());
}

export type NewPasswordCheck = { ok: true; password: string } | { ok: false; code: ErrorCode };

/** Whether a password may be set: length in code points, and not a common breached one. Returns it normalised. */
export function checkNewPassword(input: unknown): NewPasswordCheck {
  if (typeof input !== 'string' || input.length > MAX_PASSWORD_INPUT) return { ok: false, code: typeof input === 'string' ? 'password_too_long' : 'invalid_request' };
  const password = normalizePassword(input);
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) return { ok: false, code: 'password_too_short' };
  if (length > MAX_PASSWORD_LENGTH) return { ok: false, code: 'password_too_long' };
  if (isBreachedPassword(password)) return { ok: false, code: 'password_breached' };
  return { ok: true, password };
}

interface ParsedHash {
  params: PasswordHashing;
  salt: Buffer;
  hash: Buffer;
}

function derive(password: string, salt: Buffer, params: PasswordHashing, length: number): Promise<Buffer> {
  const parameters: Argon2Parameters = {
    message: password,
    nonce: salt,
    parallelism: params.parallelism,
    tagLength: length,
    memory: params.memoryKiB,
    passes: params.passes,
  };
  // The callback form runs on libuv's thread pool: the event loop keeps serving meanwhile.
  return new Promise((resolve, reject) => argon2('argon2id', parameters, (error, key) => (error ? reject(error) : resolve(key))));
}

// PHC strings use standard base64 without padding.
const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');

export function encodePasswordHash(params: PasswordHashing, salt: Buffer, hash: Buffer): string {
  return `$argon2id$v=${ARGON2_VERSION}$m=${params.memoryKiB},t=${params.passes},p=${params.parallelism}$${b64(salt)}$${b64(hash)}`;
}

export function parsePasswordHash(phc: string): ParsedHash | null {
  const match = PHC.exec(phc);
  if (!match || Number(match[1]) !== ARGON2_VERSION) return null;
  const params = { memoryKiB: Number(match[2]), passes: Number(match[3]), parallelism: Number(match[4]) };
  const salt = Buffer.from(match[5]!, 'base64');
  const hash = Buffer.from(match[6]!, 'base64');
  if (salt.length < 8 || hash.length < 16 || params.passes < 1 || params.parallelism < 1 || params.memoryKiB < 8 * params.parallelism) return null;
  return { params, salt, hash };
}

export async function hashPassword(password: string, params: PasswordHashing): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  return encodePasswordHash(params, salt, await derive(normalizePassword(password), salt, params, HASH_BYTES));
}

export interface PasswordCheck {
  ok: boolean;
  /** Right, but hashed with other parameters than the current ones: store a new hash. */
  needsRehash: boolean;
}

/** Compares in constant time; an unreadable stored hash never matches. */
export async function verifyPassword(password: string, phc: string, current: PasswordHashing): Promise<PasswordCheck> {
  const parsed = parsePasswordHash(phc);
  if (!parsed) return { ok: false, needsRehash: false };
  const candidate = await derive(normalizePassword(password), parsed.salt, parsed.params, parsed.hash.length);
  const ok = timingSafeEqual(candidate, parsed.hash);
  const { params } = parsed;
  const stale = params.memoryKiB !== current.memoryKiB || params.passes !== current.passes || params.parallelism !== current.parallelism;
  return { ok, needsRehash: ok && (stale || parsed.hash.length !== HASH_BYTES) };
}

export interface PasswordHasher {
  readonly params: PasswordHashing;
  hash(password: string): Promise<string>;
  /**
   * `phc` null (no account, no password, disabled account) is checked against a
   * dummy hash of the current parameters and never matches, so the answer takes
   * as long as for a real account with a wrong password.
   */
  verify(password: string, phc: string | null): Promise<PasswordCheck>;
}

export function createPasswordHasher(params: PasswordHashing): PasswordHasher {
  let dummy: Promise<string> | undefined;
  return {
    params,
    hash: (password) => hashPassword(password, params),
    async verify(password, phc) {
      if (phc !== null) return verifyPassword(password, phc, params);
      if (dummy === undefined) {
        // Making the dummy is itself one Argon2id computation: the first miss costs one, not two.
        dummy = hashPassword(randomBytes(24).toString('base64url'), params);
        await dummy;
      } else {
        await verifyPassword(password, await dummy, params);
      }
      return { ok: false, needsRehash: false };
    },
  };
}

/**
 * Runs one Argon2id computation inside a slot of the process-wide bound the
 * policy keeps (issue #12 finding 5).
 * null: refused, every slot busy and enough requests waiting (answer 429).
 */
export async function withPasswordHashSlot<T>(
  policy: Pick<Policy, 'acquirePasswordHash'>,
  context: RequestContext,
  run: () => Promise<T>,
): Promise<{ value: T } | null> {
  const slot = await policy.acquirePasswordHash(context);
  if (!slot.decision.allow) return null;
  try {
    return { value: await run() };
  } finally {
    slot.release();
  }
}

/**
 * The "password changed/removed" notice, if the policy's notice cap lets it go
 * (per mailbox and kind; issue #12 finding 5), else null. Over the cap a change
 * from the account waits (429); a reset, already proven by the mailbox, is made
 * without another mail.
 */
export async function passwordNotice(
  ctx: Pick<Context, 'policy' | 'composeAccountMail' | 'baseUrl'>,
  email: string,
  change: 'added' | 'changed' | 'reset' | 'removed',
  envelope: { at: number; locale: string | null },
  context: RequestContext,
) {
  if (!(await ctx.policy.checkNotice({ email, kind: 'password_changed' }, context)).allow) return null;
  return ctx.composeAccountMail(
    { kind: 'password_changed', change, resetLink: absoluteUrlFor(ctx.baseUrl, 'passwordForgotPage') },
    mailEnvelope(email, envelope.at, context, envelope.locale),
  );
}

// Setting a password from the account: a session that signed in within the last
// 10 minutes (policy.checkRecentSignIn), within the account's hourly share of
// changes (policy.checkAccountChange, issue #12 finding 5). Every other session
// is signed out, any outstanding reset link retired, and the address told.

/** Setting or removing the account's password. */
type PasswordChangeContext = Pick<Context, 'policy' | 'store' | 'now' | 'passwords' | 'composeAccountMail' | 'baseUrl' | 'mailQueued'>;

export type PasswordChangeResult = { ok: true; change: 'added' | 'changed' | 'removed' } | { ok: false; code: ErrorCode };

export async function setAccountPassword(
  ctx: PasswordChangeContext,
  user: User,
  session: Session,
  input: { password: unknown; locale: string | null },
  context: RequestContext,
): Promise<PasswordChangeResult> {
  if (!(await ctx.policy.checkRecentSignIn({ signedInAt: session.authenticatedAt, email: user.email }, context)).allow) {
    return { ok: false, code: 'reauthentication_required' };
  }
  const rule = checkNewPassword(input.password);
  if (!rule.ok) return rule;
  if (!(await ctx.policy.checkAccountChange({ account: user.email, verifiesPassword: false }, context)).allow) {
    return { ok: false, code: 'rate_limited' };
  }
  const hashed = await withPasswordHashSlot(ctx.policy, context, () => ctx.passwords.hash(rule.password));
  if (hashed === null) return { ok: false, code: 'rate_limited' };
  const passwordHash = hashed.value;
  const change = (await ctx.store.getPassword(user.id)) === null ? 'added' : 'changed';
  return savePassword(ctx, user, session, passwordHash, change, input.locale, context);
}

export async function removeAccountPassword(
  ctx: PasswordChangeContext,
  user: User,
  session: Session,
  input: { locale: string | null },
  context: RequestContext,
): Promise<PasswordChangeResult> {
  if (!(await ctx.policy.checkRecentSignIn({ signedInAt: session.authenticatedAt, email: user.email }, context)).allow) {
    return { ok: false, code: 'reauthentication_required' };
  }
  if ((await ctx.store.getPassword(user.id)) === null) return { ok: false, code: 'password_not_set' };
  if (!(await ctx.policy.checkAccountChange({ account: user.email, verifiesPassword: false }, context)).allow) {
    return { ok: false, code: 'rate_limited' };
  }
  return savePassword(ctx, user, session, null, 'removed', input.locale, context);
}

async function savePassword(
  ctx: PasswordChangeContext,
  user: User,
  session: Session,
  passwordHash: string | null,
  change: 'added' | 'changed' | 'removed',
  locale: string | null,
  context: RequestContext,
): Promise<PasswordChangeResult> {
  const now = ctx.now();
  const mail = await passwordNotice(ctx, user.email, change, { at: now, locale }, context);
  // Over the notice cap the change waits rather than going unseen (see admitNotice, issue #12 finding 12).
  if (mail === null) return { ok: false, code: 'rate_limited' };
  const events = [
    auditEvent(context, { type: 'password.set', outcome: 'success', reason: change, at: now, userId: user.id, email: user.email }),
    auditEvent(context, { type: 'session.revoked', outcome: 'success', reason: 'other_sessions', at: now, userId: user.id, email: user.email }),
  ];
  const updated = await ctx.store.setPassword({ userId: user.id, passwordHash, now, keepSessionId: session.id, verifiedEmail: null, mail, events });
  if (!updated) return { ok: false, code: 'unauthenticated' };
  ctx.mailQueued();
  return { ok: true, change };
}

