// The "check your email" answer, shared by GET /auth/check-email and a wrong
// code, and the resend wait that page and the error pages show. The wait starts
// from the newest request for the address and is computed by the policy's own
// arithmetic (LATCHKEY_RESEND_INTERVAL), so a button never promises a mail the
// server would refuse.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { approvalView, waitingApproval } from '../core/cross-device.ts';
import { secondsUntilNextMail } from '../core/policy.ts';
import { cookieNames, flowHashOf } from './cookies.ts';
import { checkEmailPage } from '../pages/check-email-page.ts';
import type { AppEnv, HttpDeps } from './env.ts';
import { pageContext } from './pages.ts';

export interface ResendState {
  /** Seconds until another mail to the address is accepted (0: now). */
  waitSeconds: number;
  /** The checked redirect of the newest request, kept by a resend. */
  redirectTo: string | null;
}

export async function resendState(deps: HttpDeps, email: string): Promise<ResendState> {
  const latest = await deps.store.findLatestToken(email, 'sign_in');
  return {
    waitSeconds: secondsUntilNextMail(latest?.createdAt ?? null, deps.now(), deps.config.resendIntervalSeconds),
    redirectTo: latest?.redirectTo ?? null,
  };
}

export async function checkEmailResponse(
  c: Context<AppEnv>,
  deps: HttpDeps,
  options: { email: string | null; error?: string | null; notSent?: boolean },
  status: ContentfulStatusCode = 200,
): Promise<Response> {
  const resend = options.email ? await resendState(deps, options.email) : { waitSeconds: 0, redirectTo: null };
  const approval = await waitingApproval(deps.signIn, flowHashOf(c, cookieNames(deps.config)));
  c.header('Cache-Control', 'no-store');
  return c.html(
    checkEmailPage(pageContext(c, deps), {
      email: options.email,
      expiresInSeconds: deps.config.tokenTtlSeconds,
      resendInSeconds: resend.waitSeconds,
      resendIntervalSeconds: deps.config.resendIntervalSeconds,
      redirectTo: resend.redirectTo,
      error: options.error ?? null,
      notSent: options.notSent ?? false,
      approvalNumber: approval && approvalView(approval, deps.now()) === 'pending' ? approval.number : null,
    }),
    status,
  );
}
