// TOTP second factor (RFC 6238): 30-second steps, 6 digits, HMAC-SHA-1 (what
// every authenticator app understands), ±1 step of clock drift, computed by
// `otpauth`. The secret is sealed at rest (AES-256-GCM, key derived from the
// server secret) and bound to its account. A code counts once: the accepted
// time step is stored by a conditional update, and a code of that step or an
// older one is refused (RFC 6238 §5.2), however many requests race.

import { Secret, TOTP } from 'otpauth';
import { auditEvent, type RequestContext } from './audit.ts';
import { seal, unseal } from './crypto.ts';
import { admitNotice } from './security-notices.ts';
import type { ErrorCode } from './errors.ts';
import type { Random } from './random.ts';
import { generateRecoveryCodes, hashRecoveryCode, normalizeRecoveryCode } from './recovery-codes.ts';
import type { Session, User } from './types.ts';
import type { Context } from '../context.ts';

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps of drift accepted either side of now. */
export const TOTP_WINDOW = 1;
// RFC 4226 §4 asks for at least 128 bits and recommends 160.
const SECRET_BYTES = 20;
const CODE = /^[0-9]{6}$/;

/** Keys and names the two-factor modules need; derived once at start (latchkey.ts). */
export interface TwoFactorKeys {
  /** Seals TOTP secrets (deriveKey(secret, 'totp-seal')). */
  totpKey: Buffer;
  /** Keys the recovery-code HMAC (deriveKey(secret, 'recovery-code-hmac')). */
  recoveryCodeKey: Buffer;
  /** The issuer authenticator apps show: the product name. */
  issuer: string;
}

/** What the account's two-factor settings use (recovery-codes.ts too). */
export type TotpContext = Pick<Context, 'store' | 'now' | 'random' | 'policy' | 'twoFactor' | 'securityNotices'>;

export type TotpResult<T> = ({ ok: true } & T) | { ok: false; code: ErrorCode };

export function generateTotpSecret(random: Random): string {
  // A copy in an ArrayBuffer of its own: a small Buffer may be a view into a shared pool.
  return new Secret({ buffer: Uint8Array.from(random.bytes(SECRET_BYTES)).buffer }).base32;
}

/** Bound to the account: a sealed secret copied onto another account's row does not open. */
export function sealTotpSecret(key: Buffer, userId: string, secret: string): string {
  return seal(key, `${userId}:${secret}`);
}

export function unsealTotpSecret(key: Buffer, userId: string, sealed: string): string {
  const plain = unseal(key, sealed);
  if (!plain.startsWith(`${userId}:`)) throw new Error('totp: sealed secret belongs to another account');
  return plain.slice(userId.length + 1);
}

function totp(secret: string, digits = TOTP_DIGITS): TOTP {
  return new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits, period: TOTP_PERIOD_SECONDS });
}

/** The time step (counter) of a moment. */
export function totpStep(timestampMs: number): number {
  return TOTP.counter({ period: TOTP_PERIOD_SECONDS, timestamp: timestampMs });
}

/** The code an authenticator app shows at this moment (`digits` 8 for the RFC 6238 test vectors). */
export function totpCode(secret: string, timestampMs: number, digits = TOTP_DIGITS): string {
  return totp(secret, digits).generate({ timestamp: timestampMs });
}

/** Accepts "123 456" and "123-456" as typed; anything else that is not 6 digits is null. */
export function normalizeTotpCode(input: unknown): string | null {
  if (typeof input !== 'string' || input.length > 32) return null;
  const code = input.replace(/[\s-]/g, '');
  return CODE.test(code) ? code : null;
}

/** The time step the code belongs to (now ± TOTP_WINDOW), or null. Replay is judged by the store. */
export function matchTotpCode(secret: string, code: string, timestampMs: number): number | null {
  const delta = totp(secret).validate({ token: code, timestamp: timestampMs, window: TOTP_WINDOW });
  return delta === null ? null : totpStep(timestampMs) + delta;
}

/** The otpauth:// URI authenticator apps read from the QR code. */
export function otpauthUri(issuer: string, account: string, secret: string): string {
  return new TOTP({
    issuer,
    label: account,
    secret: Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
  }).toString();
}

/**
 * The QR code as an SVG document (shown as a data: image, which the strict CSP
 * allows). qrcode is loaded at the first enrolment, not at startup (issue #14 item 5).
 */
export async function qrCodeSvg(uri: string): Promise<string> {
  const { default: QRCode } = await import('qrcode');
  return QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

/** "JBSW Y3DP …": groups of four, easier to type from a screen. */
export function formatSecret(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}

// Account management: every change needs a sign-in of the last 10 minutes
// (policy.checkRecentSignIn); turning protection down also needs a current code.

async function recent(ctx: TotpContext, user: User, session: Session, context: RequestContext): Promise<boolean> {
  return (await ctx.policy.checkRecentSignIn({ signedInAt: session.authenticatedAt, email: user.email }, context)).allow;
}

export interface Enrolment {
  /** Base32, for typing into an app. */
  secret: string;
  uri: string;
}

/** Starts (or restarts) enrolment with a fresh secret; TOTP stays off until confirmEnrolment. */
export async function startEnrolment(
  ctx: TotpContext,
  user: User,
  session: Session,
  context: RequestContext,
): Promise<TotpResult<{ enrolment: Enrolment }>> {
  if (!(await recent(ctx, user, session, context))) return { ok: false, code: 'reauthentication_required' };
  // Each start stores a secret and an audit row: the account's hourly share of changes bounds them (issue #12 finding 8 variant).
  if (!(await ctx.policy.checkAccountChange({ account: user.email, verifiesPassword: false }, context)).allow) return { ok: false, code: 'rate_limited' };
  const secret = generateTotpSecret(ctx.random);
  const now = ctx.now();
  const event = auditEvent(context, { type: 'totp.enrolment_started', outcome: 'info', at: now, userId: user.id, email: user.email });
  const started = await ctx.store.startTotpEnrolment(user.id, sealTotpSecret(ctx.twoFactor.totpKey, user.id, secret), now, [event]);
  if (!started) return { ok: false, code: 'totp_already_enabled' };
  return { ok: true, enrolment: { secret, uri: otpauthUri(ctx.twoFactor.issuer, user.email, secret) } };
}

/** The unconfirmed enrolment, to show again (account page), or null. */
export async function pendingEnrolment(ctx: TotpContext, user: User): Promise<Enrolment | null> {
  const record = await ctx.store.getTotp(user.id);
  if (!record || record.enabledAt !== null) return null;
  const secret = unsealTotpSecret(ctx.twoFactor.totpKey, user.id, record.secretSealed);
  return { secret, uri: otpauthUri(ctx.twoFactor.issuer, user.email, secret) };
}

/** A wrong code counts toward the account's delay, like every verifier (policy.ts). */
async function wrongCode(ctx: TotpContext, user: User, context: RequestContext, reason: ErrorCode): Promise<{ ok: false; code: ErrorCode }> {
  await ctx.policy.recordFailure(user.email, 'totp', context);
  await ctx.store.appendAudit([
    auditEvent(context, { type: 'totp.failed', outcome: 'failure', reason, at: ctx.now(), userId: user.id, email: user.email }),
  ]);
  return { ok: false, code: reason };
}

/** The first code switches TOTP on; the answer carries the recovery codes, shown once. */
export async function confirmEnrolment(
  ctx: TotpContext,
  user: User,
  session: Session,
  codeInput: unknown,
  context: RequestContext,
): Promise<TotpResult<{ recoveryCodes: string[] }>> {
  if (!(await recent(ctx, user, session, context))) return { ok: false, code: 'reauthentication_required' };
  if (!(await ctx.policy.checkVerify({ verifier: 'totp', account: user.email }, context)).allow) return { ok: false, code: 'rate_limited' };
  const record = await ctx.store.getTotp(user.id);
  if (!record) return { ok: false, code: 'totp_not_enabled' };
  if (record.enabledAt !== null) return { ok: false, code: 'totp_already_enabled' };
  const now = ctx.now();
  const code = normalizeTotpCode(codeInput);
  const secret = unsealTotpSecret(ctx.twoFactor.totpKey, user.id, record.secretSealed);
  const step = code === null ? null : matchTotpCode(secret, code, now);
  if (step === null) return wrongCode(ctx, user, context, 'totp_invalid');
  if (!(await admitNotice(ctx, user, 'totp_enabled', context))) return { ok: false, code: 'rate_limited' };
  const recoveryCodes = generateRecoveryCodes(ctx.random);
  const event = (type: 'totp.enabled' | 'recovery_codes.generated') =>
    auditEvent(context, { type, outcome: 'success', at: now, userId: user.id, email: user.email });
  const enabled = await ctx.store.enableTotp({
    userId: user.id,
    step,
    now,
    recoveryCodeHashes: recoveryCodes.map((c) => hashRecoveryCode(ctx.twoFactor.recoveryCodeKey, user.id, normalizeRecoveryCode(c) ?? c)),
    events: [event('totp.enabled'), event('recovery_codes.generated')],
  });
  // Lost a race with another confirmation (or a cancel): the other one decided.
  if (!enabled) return { ok: false, code: 'totp_already_enabled' };
  await ctx.policy.recordSuccess(user.email, 'totp');
  // An intruder with a fresh session could otherwise add a second factor unseen and lock the owner out (issue #12 finding 12).
  await ctx.securityNotices(user, 'totp_enabled', context, { admitted: true });
  return { ok: true, recoveryCodes };
}

/**
 * Proves the person holds the second factor right now: a current TOTP code
 * (used up: it cannot be replayed) or a recovery code (consumed). For changes
 * that lower the protection.
 */
export async function proveSecondFactor(
  ctx: TotpContext,
  user: User,
  input: { code?: unknown; recoveryCode?: unknown },
  context: RequestContext,
): Promise<TotpResult<{ via: 'totp' | 'recovery_code' }>> {
  if (!(await ctx.policy.checkVerify({ verifier: input.recoveryCode !== undefined ? 'recovery_code' : 'totp', account: user.email }, context)).allow) {
    return { ok: false, code: 'rate_limited' };
  }
  const record = await ctx.store.getTotp(user.id);
  if (!record || record.enabledAt === null) return { ok: false, code: 'totp_not_enabled' };
  const now = ctx.now();
  if (input.recoveryCode !== undefined) {
    const normalized = normalizeRecoveryCode(input.recoveryCode);
    const used =
      normalized !== null &&
      (await ctx.store.consumeRecoveryCode(user.id, hashRecoveryCode(ctx.twoFactor.recoveryCodeKey, user.id, normalized), now, [
        auditEvent(context, { type: 'recovery_code.used', outcome: 'success', at: now, userId: user.id, email: user.email }),
      ]));
    if (!used) {
      await ctx.policy.recordFailure(user.email, 'recovery_code', context);
      await ctx.store.appendAudit([
        auditEvent(context, { type: 'recovery_code.failed', outcome: 'failure', reason: 'recovery_code_invalid', at: now, userId: user.id, email: user.email }),
      ]);
      return { ok: false, code: 'recovery_code_invalid' };
    }
    await ctx.policy.recordSuccess(user.email, 'totp');
    return { ok: true, via: 'recovery_code' };
  }
  const code = normalizeTotpCode(input.code);
  const secret = unsealTotpSecret(ctx.twoFactor.totpKey, user.id, record.secretSealed);
  const step = code === null ? null : matchTotpCode(secret, code, now);
  if (step === null) return wrongCode(ctx, user, context, 'totp_invalid');
  if (!(await ctx.store.useTotpStep(user.id, step))) return wrongCode(ctx, user, context, 'totp_reused');
  await ctx.policy.recordSuccess(user.email, 'totp');
  return { ok: true, via: 'totp' };
}

/** Off: needs a recent sign-in and a current code (or a recovery code, for a lost device). */
export async function disableTotp(
  ctx: TotpContext,
  user: User,
  session: Session,
  input: { code?: unknown; recoveryCode?: unknown },
  context: RequestContext,
): Promise<TotpResult<object>> {
  if (!(await recent(ctx, user, session, context))) return { ok: false, code: 'reauthentication_required' };
  const proof = await proveSecondFactor(ctx, user, input, context);
  if (!proof.ok) return proof;
  if (!(await admitNotice(ctx, user, 'totp_disabled', context))) return { ok: false, code: 'rate_limited' };
  const event = auditEvent(context, { type: 'totp.disabled', outcome: 'success', reason: proof.via, at: ctx.now(), userId: user.id, email: user.email });
  if (!(await ctx.store.disableTotp(user.id, [event]))) return { ok: false, code: 'totp_not_enabled' };
  // One notice, whether the proof was a current code or a recovery code.
  await ctx.securityNotices(user, 'totp_disabled', context, { admitted: true });
  return { ok: true };
}

/**
 * Whether email sign-in (link or code) also asks for TOTP. Turning it off lets
 * the mailbox alone sign in again, so that direction needs a current code too.
 */
export async function setEmailSignInRequiresTotp(
  ctx: TotpContext,
  user: User,
  session: Session,
  input: { value: boolean; code?: unknown; recoveryCode?: unknown },
  context: RequestContext,
): Promise<TotpResult<object>> {
  if (!(await recent(ctx, user, session, context))) return { ok: false, code: 'reauthentication_required' };
  if (!input.value) {
    const proof = await proveSecondFactor(ctx, user, input, context);
    if (!proof.ok) return proof;
    if (proof.via === 'recovery_code') await ctx.securityNotices(user, 'recovery_code_used', context);
  }
  const kind = input.value ? 'email_sign_in_requires_totp' : 'email_sign_in_alone';
  if (!(await admitNotice(ctx, user, kind, context))) return { ok: false, code: 'rate_limited' };
  const event = auditEvent(context, {
    type: 'totp.settings_changed',
    outcome: 'success',
    reason: kind,
    at: ctx.now(),
    userId: user.id,
    email: user.email,
  });
  if (!(await ctx.store.setEmailSignInRequiresTotp(user.id, input.value, [event]))) return { ok: false, code: 'totp_not_enabled' };
  await ctx.securityNotices(user, kind, context, { admitted: true });
  return { ok: true };
}

/** What the account page and GET /auth/totp show. */
export interface TotpStatus {
  enabled: boolean;
  enabledAt: number | null;
  /** An enrolment waits for its first code. */
  enrolling: boolean;
  emailSignInRequiresTotp: boolean;
  recoveryCodesLeft: number;
}

export async function totpStatus(ctx: Pick<Context, 'store'>, userId: string): Promise<TotpStatus> {
  const record = await ctx.store.getTotp(userId);
  const enabled = record !== null && record.enabledAt !== null;
  return {
    enabled,
    enabledAt: record?.enabledAt ?? null,
    enrolling: record !== null && record.enabledAt === null,
    emailSignInRequiresTotp: enabled && record.emailSignInRequiresTotp,
    recoveryCodesLeft: enabled ? await ctx.store.countRecoveryCodes(userId) : 0,
  };
}
