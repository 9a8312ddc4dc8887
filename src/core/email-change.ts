// Changing the account's address. A signed-in person who signed in within the
// last 10 minutes asks for a new address; two tokens are issued through the one
// token engine, both living LATCHKEY_EMAIL_CHANGE_TTL:
//
// - `email_change`, mailed to the new address: confirming it switches the
//   account over (same account, address now verified), signs out every other
//   session and retires every outstanding token;
// - `email_change_cancel`, mailed to the old address with a notice: "this
//   wasn't me". It works before and after the confirmation, and after later
//   changes (the first owner's link wins, issue #12 finding 3): it puts its
//   address back, signs out everywhere, removes the password (an intruder may
//   have set it) and a second factor (TOTP, passkeys) added around the change. It is not
//   issued when the account's own second factor (TOTP, or a passkey) guards the change (policy
//   checkMailboxUndo, issue #12 finding 4): the mailbox alone cannot undo what
//   it could not have done; the old address gets the notice without the link.
//
// A new address that already has an account gets the same answer and the same
// notice to the old address, but no mail and a token nobody holds: the
// requester learns nothing about who owns it. A change of address is also the
// recovery path for someone who lost their mailbox but still has password + TOTP.

import { mailEnvelope, tokenLink, type AccountMailContext } from './account.ts';
import { appsOfAccount, signOutApps, type AppsLogoutContext } from './apps-logout.ts';
import { auditEvent, type RequestContext } from './audit.ts';
import { canonicalizeEmail } from './email.ts';
import type { ErrorCode } from './errors.ts';
import { RECENT_SIGN_IN_SECONDS } from './policy.ts';
import type { ValidSession } from './sessions.ts';
import { tokenErrorCode } from './tokens.ts';
import type { Session, TokenPurpose, TokenRecord, User } from './types.ts';

type Failure = { ok: false; code: ErrorCode };

/** POST /auth/email/change {newEmail}: 202, the same whether or not the new address is taken. */
export async function requestEmailChange(
  ctx: AccountMailContext,
  user: User,
  session: Session,
  input: { newEmail: unknown; locale: string | null },
  context: RequestContext,
): Promise<{ ok: true; newEmail: string } | Failure> {
  if (!(await ctx.policy.checkRecentSignIn({ signedInAt: session.authenticatedAt, email: user.email }, context)).allow) {
    return { ok: false, code: 'reauthentication_required' };
  }
  const canonical = canonicalizeEmail(input.newEmail);
  if (!canonical.ok) return { ok: false, code: 'invalid_email' };
  const newEmail = canonical.email;
  if (newEmail === user.email) return { ok: false, code: 'email_unchanged' };
  // Each request mails the old address a notice that must not be dropped (it carries the
  // undo link), so the requests themselves are capped per account (issue #12 finding 5).
  if (!(await ctx.policy.checkAccountChange({ account: user.email, verifiesPassword: false }, context)).allow) {
    return { ok: false, code: 'rate_limited' };
  }
  if (!(await ctx.policy.checkMailRequest(context)).allow) return { ok: false, code: 'rate_limited' };
  const now = ctx.now();
  const latest = await ctx.store.findLatestToken(newEmail, 'email_change');
  const decision = await ctx.policy.checkMail({ email: newEmail, lastMailAt: latest?.createdAt ?? null, now }, context);
  if (!decision.allow) return decision.silent ? { ok: true, newEmail } : { ok: false, code: 'rate_limited' };
  const taken = (await ctx.store.findUserByEmail(newEmail)) !== null;
  const ttl = ctx.tokens.ttlSeconds('email_change');
  const client = { requestIp: context.ip, requestUserAgent: context.userAgent?.slice(0, 512) ?? null, flowHash: null, redirectTo: null };
  await ctx.tokens.issue(
    {
      ...client,
      purpose: 'email_change',
      email: newEmail,
      userId: user.id,
      otherEmail: user.email,
      mail: ({ token }) =>
        taken
          ? null
          : ctx.composeAccountMail(
              { kind: 'email_change_confirm', link: tokenLink(ctx.baseUrl, 'emailConfirmPage', token), oldEmail: user.email, expiresInSeconds: ttl },
              mailEnvelope(newEmail, now, context, input.locale),
            ),
      events: [
        auditEvent(context, {
          type: 'email_change.requested',
          outcome: taken ? 'failure' : 'success',
          reason: taken ? 'address_taken' : null,
          at: now,
          userId: user.id,
          email: user.email,
        }),
      ],
    },
    now,
  );
  // Decided when the change is asked for, from the account as it is then: settings changed
  // later (turning "email sign-in asks for TOTP" on needs no code) cannot take the link back.
  const totp = await ctx.store.getTotp(user.id);
  const { emailSignInRequiresPasskey } = await ctx.store.getPasskeySettings(user.id);
  const oldestPasskey = (await ctx.store.listPasskeys(user.id))[0];
  const undo = await ctx.policy.checkMailboxUndo(
    {
      totpEnabledAt: totp?.enabledAt ?? null,
      emailSignInRequiresTotp: totp?.emailSignInRequiresTotp ?? false,
      oldestPasskeyAt: oldestPasskey?.createdAt ?? null,
      emailSignInRequiresPasskey,
      changeRequestedAt: now,
      email: user.email,
    },
    context,
  );
  if (!undo.allow) {
    // The old mailbox is told, with no "this wasn't me" link (issue #12 finding 4).
    const notice = { kind: 'email_change_notice', newEmail, cancelLink: null, expiresInSeconds: ttl } as const;
    await ctx.store.queueMail(ctx.composeAccountMail(notice, mailEnvelope(user.email, now, context, input.locale)), []);
    ctx.mailQueued();
    return { ok: true, newEmail };
  }
  await ctx.tokens.issue(
    {
      ...client,
      purpose: 'email_change_cancel',
      email: user.email,
      userId: user.id,
      otherEmail: newEmail,
      mail: ({ token }) =>
        ctx.composeAccountMail(
          { kind: 'email_change_notice', newEmail, cancelLink: tokenLink(ctx.baseUrl, 'emailCancelPage', token), expiresInSeconds: ttl },
          mailEnvelope(user.email, now, context, input.locale),
        ),
      events: [],
    },
    now,
  );
  ctx.mailQueued();
  return { ok: true, newEmail };
}

async function consume(ctx: AccountMailContext, token: string, purpose: TokenPurpose, context: RequestContext): Promise<TokenRecord | Failure> {
  if (!(await ctx.policy.checkVerify({ verifier: 'link', account: null }, context)).allow) return { ok: false, code: 'rate_limited' };
  const now = ctx.now();
  const result = await ctx.tokens.consumeLink(token, purpose, now);
  if (result.ok && result.record.userId !== null && result.record.otherEmail !== null) return result.record;
  const code = result.ok ? 'token_invalid' : tokenErrorCode(result.reason);
  await ctx.store.appendAudit([
    auditEvent(context, { type: 'token.rejected', outcome: 'failure', reason: code, at: now, userId: result.record?.userId, email: result.record?.email }),
  ]);
  return { ok: false, code };
}

/**
 * POST /auth/email/confirm {token}: no session needed (the new mailbox may be
 * on another device). The confirming browser keeps its session if it is one
 * of this account's; every other session is signed out.
 */
export async function confirmEmailChange(
  ctx: AccountMailContext,
  token: string,
  current: ValidSession | null,
  context: RequestContext,
): Promise<{ ok: true; user: User; keptSession: boolean } | Failure> {
  const record = await consume(ctx, token, 'email_change', context);
  if ('ok' in record) return record;
  const userId = record.userId!;
  const now = ctx.now();
  const keepSessionId = current && current.user.id === userId ? current.session.id : null;
  const event = (type: 'token.consumed' | 'email_change.confirmed' | 'session.revoked', reason: string | null) =>
    auditEvent(context, { type, outcome: 'success', reason, at: now, userId, email: record.email });
  const changed = await ctx.store.changeEmail({
    userId,
    fromEmail: record.otherEmail!,
    toEmail: record.email,
    now,
    keepSessionId,
    events: [event('token.consumed', 'email_change'), event('email_change.confirmed', null), event('session.revoked', 'email_change')],
  });
  if (!changed.ok) {
    await ctx.store.appendAudit([
      auditEvent(context, { type: 'email_change.confirmed', outcome: 'failure', reason: changed.reason, at: now, userId, email: record.email }),
    ]);
    // Only the holder of the new mailbox gets here, and that person could sign in to its account anyway.
    return { ok: false, code: changed.reason === 'taken' ? 'email_taken' : 'token_invalid' };
  }
  return { ok: true, user: changed.user, keptSession: keepSessionId !== null };
}

export interface CancelledEmailChange {
  ok: true;
  /** The account's address now. */
  email: string;
  restored: boolean;
  passwordRemoved: boolean;
  totpRemoved: boolean;
  /** Every passkey of the account: one signs in alone, whenever it was added (issue #17 review F2, round 2). */
  passkeysRemoved: number;
}

/** POST /auth/email/cancel {token}: "this wasn't me"; the account's apps get a back-channel logout token too. */
export async function cancelEmailChange(
  ctx: AccountMailContext & Pick<AppsLogoutContext, 'appsLogout'>,
  token: string,
  context: RequestContext,
): Promise<CancelledEmailChange | Failure> {
  const record = await consume(ctx, token, 'email_change_cancel', context);
  if ('ok' in record) return record;
  const userId = record.userId!;
  const now = ctx.now();
  const event = (type: 'token.consumed' | 'email_change.cancelled' | 'session.revoked', reason: string) =>
    auditEvent(context, { type, outcome: 'success', reason, at: now, userId, email: record.email });
  // Read first: the undo deletes every grant and token of the account, and with them the list of its apps.
  const apps = await appsOfAccount(ctx, userId);
  const undone = await ctx.store.undoEmailChange({
    userId,
    restoreEmail: record.email,
    cancelIssuedAt: record.createdAt,
    // Changing the address needed a session authenticated within this window before the request:
    // a second factor enrolled (TOTP) or registered (passkey) since then may be the intruder's.
    // An older one is the owner's and stays.
    removeSecondFactorsSince: record.createdAt - RECENT_SIGN_IN_SECONDS * 1000,
    now,
    events: [event('token.consumed', 'email_change_cancel'), event('email_change.cancelled', 'not_me'), event('session.revoked', 'email_change_cancel')],
  });
  if (!undone) return { ok: false, code: 'token_invalid' };
  await signOutApps(ctx, userId, apps, context);
  const { restored, passwordRemoved, totpRemoved, passkeysRemoved } = undone;
  return { ok: true, email: undone.user.email, restored, passwordRemoved, totpRemoved, passkeysRemoved };
}
