// Security notices: mail to the account's address after every change to how it
// signs in (two-factor turned on or off, new recovery codes, email sign-in with
// or without TOTP) and after a recovery code is spent, so an intruder holding a
// fresh session cannot do it unnoticed (issue #12 finding 12: adding a second
// factor silently locks the owner out). Password and address changes have notices
// of their own (password_changed, email_change_notice); a password reset held by
// the second factor is mailed from here as that password notice. Queued right after the
// change commits (the mail carries no secret, so it needs no token). Every
// notice passes the policy's notice cap first (per mailbox and kind, issue #12
// finding 5), so repeating a change cannot turn the notices into a mail bomb,
// and a flood of one kind cannot silence another.

import type { RequestContext } from './audit.ts';
import { mailEnvelope, type AccountMail, type SecurityNoticeKind } from './account.ts';
import type { Context } from '../context.ts';

export type { SecurityNoticeKind };

/** `admitted`: the caller already passed the notice cap (admitNotice) before making the change. */
export type SecurityNotices = (
  user: { id: string; email: string },
  kind: SecurityNoticeKind,
  context: RequestContext,
  options?: { admitted: true },
) => Promise<void>;

/**
 * Before a change made from a session: may its notice go? Over the cap the
 * change waits (429) instead of being made unseen: with "change stands, mail
 * dropped", three TOTP on/off toggles let a fourth "on" pass while the owner's
 * last mail said "off" (a variant of issue #12 finding 12). Notices of what
 * already happened (a recovery code spent at sign-in, a reset completed) are
 * still dropped over the cap, since refusing those would refuse the owner.
 */
export async function admitNotice(
  ctx: Pick<Context, 'policy'>,
  user: { email: string },
  kind: SecurityNoticeKind,
  context: RequestContext,
): Promise<boolean> {
  return (await ctx.policy.checkNotice({ email: user.email, kind }, context)).allow;
}

export function createSecurityNotices(ctx: Pick<Context, 'store' | 'policy' | 'now' | 'baseUrl' | 'composeAccountMail' | 'mailQueued'>): SecurityNotices {
  return async (user, kind, context, options) => {
    // Over the cap: the mail is not sent (the denial is audited); changes made from a session asked first (admitNotice).
    if (!options?.admitted && !(await ctx.policy.checkNotice({ email: user.email, kind }, context)).allow) return;
    const now = ctx.now();
    const accountLink = new URL('/auth/account', ctx.baseUrl).href;
    const resetLink = new URL('/auth/password/forgot', ctx.baseUrl).href;
    const notice: AccountMail = kind === 'password_reset' ? { kind: 'password_changed', change: 'reset', resetLink } : { kind, accountLink };
    const mail = ctx.composeAccountMail(notice, mailEnvelope(user.email, now, context, null));
    // The change's own event (totp.disabled, recovery_code.used) is already in the trail, with this request ID.
    await ctx.store.queueMail(mail, []);
    ctx.mailQueued();
  };
}
