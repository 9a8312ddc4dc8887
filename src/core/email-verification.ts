// Email verification: the account's `emailVerified` flag says its address was
// proven by an email token. Any successful one sets it (sign-in, password
// reset, email change); this flow sends an `email_verify` token on request,
// through the one token engine, for an account whose address is not proven yet
// (one an operator created, for instance).

import { mailEnvelope, tokenLink, type AccountMailContext } from './account.ts';
import { auditEvent, type RequestContext } from './audit.ts';
import type { ErrorCode } from './errors.ts';
import { tokenErrorCode } from './tokens.ts';
import type { User } from './types.ts';

export const VERIFY_EMAIL_PAGE = '/auth/email/verify';

/** POST /auth/email/verification: a link to the account's own address. */
export async function requestEmailVerification(
  ctx: AccountMailContext,
  user: User,
  input: { locale: string | null },
  context: RequestContext,
): Promise<{ ok: true } | { ok: false; code: ErrorCode }> {
  if (!(await ctx.policy.checkMailRequest(context)).allow) return { ok: false, code: 'rate_limited' };
  const now = ctx.now();
  const latest = await ctx.store.findLatestToken(user.email, 'email_verify');
  const decision = await ctx.policy.checkMail({ email: user.email, lastMailAt: latest?.createdAt ?? null, now }, context);
  // Too soon after the last one: as if sent (the last link still works).
  if (!decision.allow) return decision.silent ? { ok: true } : { ok: false, code: 'rate_limited' };
  await ctx.tokens.issue(
    {
      purpose: 'email_verify',
      email: user.email,
      userId: user.id,
      flowHash: null,
      redirectTo: null,
      requestIp: context.ip,
      requestUserAgent: context.userAgent?.slice(0, 512) ?? null,
      mail: ({ token }) =>
        ctx.composeAccountMail(
          { kind: 'email_verify', link: tokenLink(ctx.baseUrl, VERIFY_EMAIL_PAGE, token), expiresInSeconds: ctx.tokens.ttlSeconds('email_verify') },
          mailEnvelope(user.email, now, context, input.locale),
        ),
      events: [auditEvent(context, { type: 'email_verification.requested', outcome: 'success', at: now, userId: user.id, email: user.email })],
    },
    now,
  );
  ctx.mailQueued();
  return { ok: true };
}

/** POST /auth/email/verify {token}: no session needed, and none is issued (verifying is not signing in). */
export async function confirmEmailVerification(
  ctx: AccountMailContext,
  token: string,
  context: RequestContext,
): Promise<{ ok: true; email: string } | { ok: false; code: ErrorCode }> {
  if (!(await ctx.policy.checkVerify({ verifier: 'link', account: null }, context)).allow) return { ok: false, code: 'rate_limited' };
  const now = ctx.now();
  const result = await ctx.tokens.consumeLink(token, 'email_verify', now);
  const record = result.record;
  let code: ErrorCode | null = result.ok ? null : tokenErrorCode(result.reason);
  if (result.ok && record !== null && record.userId !== null) {
    const event = (type: 'token.consumed' | 'email.verified') =>
      auditEvent(context, { type, outcome: 'success', reason: type === 'token.consumed' ? 'email_verify' : null, at: now, userId: record.userId, email: record.email });
    // The account moved to another address meanwhile: this one proves nothing about it.
    if (await ctx.store.markEmailVerified(record.userId, record.email, [event('token.consumed'), event('email.verified')])) return { ok: true, email: record.email };
    code = 'token_invalid';
  }
  await ctx.store.appendAudit([
    auditEvent(context, { type: 'token.rejected', outcome: 'failure', reason: code, at: now, userId: record?.userId, email: record?.email }),
  ]);
  return { ok: false, code: code ?? 'token_invalid' };
}
