// The account page's password and email sections (issue #5): what they show,
// read from the store and from the notice or error a form redirect left in the query.
import type { Context } from 'hono';
import { canonicalizeEmail } from '../../core/email.ts';
import type { ErrorCode } from '../../core/errors.ts';
import { RECENT_SIGN_IN_SECONDS } from '../../core/policy.ts';
import type { ValidSession } from '../../core/sessions.ts';
import { formatUtc } from '../../i18n/catalog.ts';
import type { EmailView, PasswordView } from '../../pages/account-security-section.ts';
import type { AppEnv, HttpDeps } from '../env.ts';
import { pageContext } from '../pages.ts';
import { EMAIL_INLINE_ERRORS } from './email.ts';
import { PASSWORD_INLINE_ERRORS } from './passwords.ts';

const PASSWORD_NOTICES = new Set(['added', 'changed', 'removed']);

/** The account page's password and email sections (routes/session.ts renders them). */
export async function accountSecurityViews(c: Context<AppEnv>, deps: HttpDeps, found: ValidSession): Promise<{ password: PasswordView; emailView: EmailView }> {
  const { t } = pageContext(c, deps);
  // Display only: the actions themselves ask the policy (and audit a refusal).
  const recent = deps.now() - found.session.authenticatedAt <= RECENT_SIGN_IN_SECONDS * 1000;
  const stored = await deps.store.getPassword(found.user.id);
  const passwordParam = c.req.query('password') ?? '';
  const emailParam = c.req.query('email') ?? '';
  const to = canonicalizeEmail(c.req.query('to'));
  const emailNotice: EmailView['notice'] =
    emailParam === 'change-sent' && to.ok
      ? { kind: 'changeSent', email: to.email }
      : emailParam === 'verification-sent'
        ? { kind: 'verificationSent', email: found.user.email }
        : null;
  return {
    password: {
      setAt: stored ? formatUtc(stored.changedAt) : null,
      recent,
      notice: PASSWORD_NOTICES.has(passwordParam) ? (passwordParam as PasswordView['notice']) : null,
      error: PASSWORD_INLINE_ERRORS.has(passwordParam as ErrorCode) ? t(`error.${passwordParam as ErrorCode}.message`) : null,
    },
    emailView: {
      email: found.user.email,
      verified: found.user.emailVerified,
      recent,
      notice: emailNotice,
      error: EMAIL_INLINE_ERRORS.has(emailParam as ErrorCode) ? t(`error.${emailParam as ErrorCode}.message`) : null,
    },
  };
}

