// The "check your email" answer, shared by GET /auth/check-email, a wrong code
// and an approval not yet picked, and the resend state that page and the error
// pages show. Everything about a request comes from server state found by this
// browser's flow-request cookie, a random value only it holds (core/sign-in-flow.ts);
// never from an address a client names (issue #12 finding 10). The wait starts
// from this browser's own request and is computed by the policy's own arithmetic
// (LATCHKEY_RESEND_INTERVAL); a request the policy still refuses is told so (not-sent notice).
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { approvalView, waitingApproval } from '../core/cross-device.ts';
import { canonicalizeEmail } from '../core/email.ts';
import { secondsUntilNextMail } from '../core/policy.ts';
import { flowHashOf } from './cookies.ts';
import { checkEmailPage } from '../pages/check-email-page.ts';
import type { AppEnv, HttpDeps } from './env.ts';
import { pageContext } from './pages.ts';

export interface ResendState {
  /** The canonical address this browser asked for. */
  email: string;
  /** Seconds until another mail to the address is accepted (0: now). */
  waitSeconds: number;
  /** The checked redirect of this browser's request, kept by a resend. */
  redirectTo: string | null;
}

/** This browser's newest sign-in request (by its flow-request cookie) and the wait before another mail, or null. */
export async function resendState(c: Context<AppEnv>, deps: HttpDeps): Promise<ResendState | null> {
  const flowHash = flowHashOf(c, deps.cookies, deps.cookies.flowRequest);
  const asked = flowHash ? await deps.store.findSignInFlow(flowHash, deps.now()) : null;
  if (!asked) return null;
  return {
    email: asked.email,
    // From this browser's own request: another browser's requests for the address must not show here.
    waitSeconds: secondsUntilNextMail(asked.createdAt, deps.now(), deps.config.resendIntervalSeconds),
    redirectTo: asked.redirectTo,
  };
}

export async function checkEmailResponse(
  c: Context<AppEnv>,
  deps: HttpDeps,
  /** `typedEmail`: the address a code was typed for; shown again, but it finds no request state. */
  options: { typedEmail?: string | null; error?: string | null; notSent?: boolean; sentAgain?: boolean },
  status: ContentfulStatusCode = 200,
): Promise<Response> {
  const asked = await resendState(c, deps);
  const typed = options.typedEmail === undefined || options.typedEmail === null ? null : canonicalizeEmail(options.typedEmail);
  const email = typed === null ? (asked?.email ?? null) : typed.ok ? typed.email : null;
  // The countdown and redirect are this browser's own, shown only beside its own address.
  const resend = asked && asked.email === email ? asked : null;
  const approval = await waitingApproval(deps, flowHashOf(c, deps.cookies));
  c.header('Cache-Control', 'no-store');
  return c.html(
    checkEmailPage(pageContext(c, deps), {
      email,
      expiresInSeconds: deps.config.tokenTtlSeconds,
      resendInSeconds: resend?.waitSeconds ?? 0,
      resendIntervalSeconds: deps.config.resendIntervalSeconds,
      redirectTo: resend?.redirectTo ?? null,
      error: options.error ?? null,
      notSent: options.notSent ?? false,
      sentAgain: options.sentAgain ?? false,
      approvalNumber: approval && approvalView(approval, deps.now()) === 'pending' ? approval.number : null,
    }),
    status,
  );
}
