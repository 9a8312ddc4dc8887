// Sign-in with a password (POST /auth/sign-in/password), and re-entering the
// password to make a session recent again. An unknown address, an account
// without a password, a disabled account and a wrong password all get the same
// answer after the same work: one store query, one Argon2id computation (against
// a dummy hash when there is nothing to compare with), one failure counted and
// one audit event. The policy decides every attempt (issue #4), and every
// Argon2id run takes a slot of the process-wide bound (issue #12 finding 5).

import { auditEvent, type AuditEvent, type RequestContext } from './audit.ts';
import { canonicalizeEmail } from './email.ts';
import type { ErrorCode } from './errors.ts';
import { MAX_PASSWORD_INPUT, withPasswordHashSlot, type PasswordCheck } from './passwords.ts';
import { finishFirstFactor, type FirstFactorContext, type VerifyOutcome } from './first-factor.ts';
import type { Session, User } from './types.ts';
import type { Context } from '../context.ts';

/** Checking a password: the hasher and the clock, and, for a sign-in, the end of every first factor. */
type PasswordContext = Pick<Context, 'policy' | 'store' | 'now' | 'passwords'>;

export interface PasswordSignInRequest {
  email: unknown;
  password: unknown;
  redirectTo?: unknown;
}

const asPassword = (value: unknown): string => (typeof value === 'string' && value.length <= MAX_PASSWORD_INPUT ? value : '');

/** A right password hashed with older parameters gets a new hash (only if nobody changed it meanwhile). */
async function upgrade(ctx: PasswordContext, user: User, password: string, oldHash: string, check: PasswordCheck, context: RequestContext, now: number) {
  if (!check.needsRehash) return [];
  // No free slot: the upgrade waits for the next sign-in.
  const newHash = await withPasswordHashSlot(ctx.policy, context, () => ctx.passwords.hash(password));
  if (newHash === null) return [];
  const rehashed = await ctx.store.rehashPassword(user.id, oldHash, newHash.value);
  return rehashed ? [auditEvent(context, { type: 'password.rehashed', outcome: 'success', at: now, userId: user.id, email: user.email })] : [];
}

export async function signInWithPassword(ctx: PasswordContext & FirstFactorContext, request: PasswordSignInRequest, context: RequestContext): Promise<VerifyOutcome> {
  const canonical = canonicalizeEmail(request.email);
  if (!canonical.ok) return { ok: false, code: (await ctx.policy.checkRefusedVerification(context)).allow ? 'invalid_email' : 'rate_limited' };
  const account = canonical.email;
  if (!(await ctx.policy.checkPasswordAttempt(account, context)).allow) return { ok: false, code: 'rate_limited' };
  const password = asPassword(request.password);
  const found = await ctx.store.findPasswordByEmail(account);
  const hash = found && !found.user.disabled ? found.passwordHash : null;
  const verified = await withPasswordHashSlot(ctx.policy, context, () => ctx.passwords.verify(password, hash));
  if (verified === null) return { ok: false, code: 'rate_limited' };
  const check = verified.value;
  const now = ctx.now();
  if (!found || hash === null || !check.ok) {
    await ctx.policy.recordFailure(account, 'password', context);
    await ctx.store.appendAudit([
      auditEvent(context, { type: 'password.failed', outcome: 'failure', reason: 'credentials_invalid', at: now, userId: found?.user.id, email: account }),
    ]);
    return { ok: false, code: 'credentials_invalid' };
  }
  const events: AuditEvent[] = await upgrade(ctx, found.user, password, hash, check, context, now);
  const redirect = await ctx.policy.checkRedirect(request.redirectTo, context);
  // Checked like every first factor: an account with TOTP on gets the second-factor step, always after a password.
  return finishFirstFactor(ctx, { kind: 'password', email: found.user.email, userId: found.user.id, redirectTo: redirect.target, events }, context, now);
}

/**
 * The signed-in person types their password again: the session counts as
 * recently signed in (authenticatedAt = now), for changes that ask for it.
 */
export async function reauthenticateWithPassword(
  ctx: PasswordContext,
  user: User,
  session: Session,
  passwordInput: unknown,
  context: RequestContext,
): Promise<{ ok: true } | { ok: false; code: ErrorCode }> {
  // Each success renews the recent-sign-in window: within the account's hourly share (issue #12 finding 5).
  if (!(await ctx.policy.checkAccountChange({ account: user.email, verifiesPassword: true }, context)).allow) return { ok: false, code: 'rate_limited' };
  const password = asPassword(passwordInput);
  const stored = await ctx.store.getPassword(user.id);
  const verified = await withPasswordHashSlot(ctx.policy, context, () => ctx.passwords.verify(password, stored?.passwordHash ?? null));
  if (verified === null) return { ok: false, code: 'rate_limited' };
  const check = verified.value;
  const now = ctx.now();
  if (!stored || !check.ok) {
    await ctx.policy.recordFailure(user.email, 'password', context);
    await ctx.store.appendAudit([
      auditEvent(context, { type: 'password.failed', outcome: 'failure', reason: 'reauthentication', at: now, userId: user.id, email: user.email }),
    ]);
    return { ok: false, code: 'credentials_invalid' };
  }
  const events = await upgrade(ctx, user, password, stored.passwordHash, check, context, now);
  events.push(auditEvent(context, { type: 'session.reauthenticated', outcome: 'success', reason: 'password', at: now, userId: user.id, email: user.email }));
  if (!(await ctx.store.reauthenticateSession(session.id, user.id, now, events))) return { ok: false, code: 'unauthenticated' };
  await ctx.policy.recordSuccess(user.email, 'password');
  return { ok: true };
}
