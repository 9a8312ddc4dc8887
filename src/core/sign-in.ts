// The email sign-in flow: request → email (link + code) → verify. Expected
// failures are returned as values with a stable error code; the HTTP layer maps
// them to responses. A verified link or code ends like every first factor, in
// first-factor.ts.

import { auditEvent, type RequestContext } from './audit.ts';
import { constantTimeEqual } from './crypto.ts';
import { canonicalizeEmail } from './email.ts';
import { heldForWaitingBrowser, startApproval } from './cross-device.ts';
import { emailFactor, finishFirstFactor, rejectToken, type FirstFactorContext, type VerifyOutcome } from './first-factor.ts';
import { admitMailRequest } from './mail-request.ts';
import { recordSignInFlow } from './sign-in-flow.ts';
import { codeErrorCode, tokenErrorCode } from './tokens.ts';
import type { TokenRecord } from './types.ts';
import type { NewOutboxMessage } from '../store/store.ts';
import type { Context } from '../context.ts';

export interface ComposeSignInMail {
  (input: { to: string; link: string; code: string; record: TokenRecord; requestId: string | null; locale: string | null }): NewOutboxMessage;
}

/** The email flow's part of the context: the end of every first factor, plus the token engine, the mail and the clock. */
export type SignInContext = FirstFactorContext &
  Pick<Context, 'now' | 'tokens' | 'baseUrl' | 'composeSignInMail' | 'mailQueued' | 'crossDeviceApproval'>;

export interface SignInRequest {
  email: unknown;
  redirectTo?: unknown;
  /** SHA-256 of the asking browser's flow cookie, if any. */
  flowHash?: string | null;
  /** The language of the page that asked (a catalog name such as 'de'); the mail is written in it. */
  locale?: string | null;
}

/**
 * `throttled`: the policy silently sent nothing (a per-address cap). Callers
 * answer exactly as if a mail went out; only the browser that already asked for
 * this address may be told, so it is not left waiting for a mail that never comes.
 */
export type RequestSignInResult = { ok: true; email: string; throttled: boolean } | { ok: false; code: 'invalid_email' | 'rate_limited' };

export function verifyLinkUrl(baseUrl: URL, token: string): string {
  const url = new URL('/auth/verify', baseUrl);
  url.searchParams.set('token', token);
  return url.href;
}

export async function requestSignIn(
  ctx: SignInContext,
  request: SignInRequest,
  context: RequestContext,
): Promise<RequestSignInResult> {
  const admitted = await admitMailRequest(ctx, request.email, 'sign_in', context);
  if (!admitted.ok) return admitted;
  if (admitted.throttled) {
    const { target } = await ctx.policy.checkRedirect(request.redirectTo, context);
    await recordSignInFlow(ctx.store, { flowHash: request.flowHash, email: admitted.email, redirectTo: target }, ctx.now());
    return { ok: true, email: admitted.email, throttled: true };
  }
  const { email, user, now } = admitted;
  const redirect = await ctx.policy.checkRedirect(request.redirectTo, context);
  // Closed signup and disabled accounts still record a (never mailed) token, so
  // code attempts, locks and timing look the same whether or not an account can sign in.
  const disabled = user?.disabled === true;
  const mailable = !disabled && (user !== null || ctx.signup === 'open');
  const event = auditEvent(context, {
    type: 'sign_in.requested',
    outcome: mailable ? 'success' : 'failure',
    reason: mailable ? null : disabled ? 'account_disabled' : 'signup_closed',
    at: now,
    userId: user?.id ?? null,
    email,
  });
  const { record } = await ctx.tokens.issue(
    {
      purpose: 'sign_in',
      email,
      userId: user?.id ?? null,
      flowHash: request.flowHash ?? null,
      redirectTo: redirect.target,
      requestIp: context.ip,
      requestUserAgent: context.userAgent?.slice(0, 512) ?? null,
      mail: ({ token, code, record }) =>
        mailable
          ? ctx.composeSignInMail({
              to: email,
              link: verifyLinkUrl(ctx.baseUrl, token),
              code,
              record,
              requestId: context.requestId,
              locale: request.locale ?? null,
            })
          : null,
      events: [event],
    },
    now,
  );
  // Also for a decoy token: the waiting page looks the same whether or not a mail went out.
  await startApproval(ctx, record, now);
  await recordSignInFlow(ctx.store, { flowHash: request.flowHash, email, redirectTo: redirect.target }, now);
  if (mailable) ctx.mailQueued();
  return { ok: true, email, throttled: false };
}

/** Whether this request comes from the browser that asked for the token (its flow cookie's hash), compared in constant time. */
export function fromAskingBrowser(record: TokenRecord, flowHash: string | null): boolean {
  return record.flowHash !== null && flowHash !== null && constantTimeEqual(record.flowHash, flowHash);
}

/** `flowHash`: SHA-256 of the asking browser's flow cookie, if this request carries one. */
export async function verifySignInLink(
  ctx: SignInContext,
  token: string,
  context: RequestContext,
  flowHash: string | null = null,
): Promise<VerifyOutcome> {
  if (!(await ctx.policy.checkVerify({ verifier: 'link', account: null }, context)).allow) return { ok: false, code: 'rate_limited' };
  // LATCHKEY_LINK_DEVICE=same, or a pick pending on another device: another browser
  // is refused before anything is consumed. Otherwise the device cannot change the
  // answer, and the look-up is skipped (it is on every verification).
  const held = ctx.policy.bindsLinksToDevice || ctx.crossDeviceApproval ? await ctx.tokens.peek(token) : null;
  const now = ctx.now();
  if (held) {
    const sameBrowser = fromAskingBrowser(held, flowHash);
    // With cross-device approval, another browser may only pick the number, before
    // and after the pick (core/cross-device.ts; issue #12 finding 11).
    const awaitsApproval = !sameBrowser && (await heldForWaitingBrowser(ctx, held, now));
    if (!(await ctx.policy.checkLinkDevice({ sameBrowser, email: held.email, awaitsApproval }, context)).allow) {
      return { ok: false, code: 'link_other_device' };
    }
  }
  const result = await ctx.tokens.consumeLink(token, 'sign_in', now);
  // A failed link is not counted against the account: 256 random bits cannot be
  // guessed, and an unknown token names no account. Only guessable secrets count.
  if (!result.ok) return rejectToken(ctx, 'token.rejected', tokenErrorCode(result.reason), result.record, context, now);
  return finishFirstFactor(ctx, emailFactor('link', result.record, context, now), context, now);
}

/** `flowHash`: SHA-256 of the typing browser's flow cookie, if it carries one (cross-device approval). */
export async function verifySignInCode(
  ctx: SignInContext,
  emailInput: unknown,
  code: unknown,
  context: RequestContext,
  flowHash: string | null = null,
): Promise<VerifyOutcome> {
  const canonical = canonicalizeEmail(emailInput);
  if (!canonical.ok) return { ok: false, code: (await ctx.policy.checkRefusedVerification(context)).allow ? 'invalid_email' : 'rate_limited' };
  const account = canonical.email;
  // Keyed by the address whether or not an account exists, so the delay reveals nothing either.
  if (!(await ctx.policy.checkVerify({ verifier: 'code', account }, context)).allow) return { ok: false, code: 'rate_limited' };
  const now = ctx.now();
  // A request awaiting cross-device approval signs in only its waiting browser: a
  // code typed elsewhere is refused before it is compared, so it spends no attempt
  // and tells nothing about the code (issue #12 finding 11).
  const latest = ctx.crossDeviceApproval ? await ctx.store.findLatestToken(account, 'sign_in') : null;
  if (latest) {
    const sameBrowser = fromAskingBrowser(latest, flowHash);
    const awaitsApproval = !sameBrowser && (await heldForWaitingBrowser(ctx, latest, now));
    if (!(await ctx.policy.checkLinkDevice({ sameBrowser, email: account, awaitsApproval, factor: 'code' }, context)).allow) {
      return { ok: false, code: 'code_other_device' };
    }
  }
  const result = await ctx.tokens.consumeCode(account, typeof code === 'string' ? code.trim() : '', 'sign_in', now);
  if (!result.ok) {
    // Every guess at a live code counts, across resends: a new code does not reset the count.
    // A code sent when no live one exists guesses at nothing: it does not count (issue #12 finding 2).
    if (result.guessed) await ctx.policy.recordFailure(account, 'code', context);
    return rejectToken(ctx, 'code.failed', codeErrorCode(result.reason), result.record, context, now, account);
  }
  return finishFirstFactor(ctx, emailFactor('code', result.record, context, now), context, now);
}

