// Security notices: mail to the account's address after something that weakens
// or spends its protection (two-factor turned off, a recovery code used), so an
// intruder holding a fresh session cannot do it unnoticed. Queued right after the
// change commits (the mail carries no secret, so it needs no token). Every
// notice passes the policy's notice cap first (per mailbox and kind, issue #12
// finding 5), so repeating a change cannot turn the notices into a mail bomb,
// and a flood of one kind cannot silence another.

import type { RequestContext } from './audit.ts';
import { mailEnvelope, type ComposeAccountMail } from './account.ts';
import type { Policy } from './policy.ts';
import type { Store } from '../store/store.ts';

export type SecurityNoticeKind = 'totp_disabled' | 'recovery_code_used';

export type SecurityNotices = (user: { id: string; email: string }, kind: SecurityNoticeKind, context: RequestContext) => Promise<void>;

export function createSecurityNotices(deps: {
  store: Store;
  policy: Pick<Policy, 'checkNotice'>;
  now: () => number;
  baseUrl: URL;
  composeAccountMail: ComposeAccountMail;
  mailQueued: () => void;
}): SecurityNotices {
  return async (user, kind, context) => {
    // Over the cap: the change stands, the mail is not sent (the denial is audited).
    if (!(await deps.policy.checkNotice({ email: user.email, kind }, context)).allow) return;
    const now = deps.now();
    const accountLink = new URL('/auth/account', deps.baseUrl).href;
    const mail = deps.composeAccountMail({ kind, accountLink }, mailEnvelope(user.email, now, context, null));
    // The change's own event (totp.disabled, recovery_code.used) is already in the trail, with this request ID.
    await deps.store.queueMail(mail, []);
    deps.mailQueued();
  };
}
