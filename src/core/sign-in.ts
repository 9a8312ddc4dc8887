// The sign-in flow: request → email (link + code) → verify → session. Expected
// failures are returned as values with a stable error code; the HTTP layer maps
// them to responses.

import { randomUUID } from 'node:crypto';
import { auditEvent, type AuditEvent, type RequestContext } from './audit.ts';
import { canonicalizeEmail } from './email.ts';
import type { ErrorCode } from './errors.ts';
import { checkRedirect, type RedirectPolicy } from './redirects.ts';
import { newSession, type SessionPolicy } from './sessions.ts';
import type { TokenEngine, TokenFailure } from './tokens.ts';
import type { Session, TokenRecord, User } from './types.ts';
import type { NewOutboxMessage, Store } from '../store/store.ts';

export interface ComposeSignInMail {
  (input: { to: string; link: string; code: string; record: TokenRecord; requestId: string | null }): NewOutboxMessage;
}

export interface SignInDeps {
  store: Store;
  tokens: TokenEngine;
  now: () => number;
  baseUrl: URL;
  tokenTtlSeconds: number;
  signup: 'open' | 'closed';
  sessions: SessionPolicy;
  redirects: RedirectPolicy;
  composeMail: ComposeSignInMail;
  /** Wakes the outbox worker so the mail leaves at once. */
  mailQueued: () => void;
}

export interface SignInRequest {
  email: unknown;
  redirectTo?: unknown;
  /** SHA-256 of the asking browser's flow cookie, if any. */
  flowHash?: string | null;
}

export type RequestSignInResult = { ok: true; email: string } | { ok: false; code: 'invalid_email' };

export interface SignedIn {
  ok: true;
  user: User;
  session: Session;
  /** The cookie value: returned once, never stored or logged. */
  sessionToken: string;
  redirectTo: string;
  createdUser: boolean;
}

export type VerifyOutcome = SignedIn | { ok: false; code: ErrorCode };

const FAILURE_CODES: Record<TokenFailure, ErrorCode> = {
  not_found: 'token_invalid',
  expired: 'token_expired',
  used: 'token_used',
  replaced: 'token_replaced',
  locked: 'code_locked',
  code_invalid: 'code_invalid',
};

export function verifyLinkUrl(baseUrl: URL, token: string): string {
  const url = new URL('/auth/verify', baseUrl);
  url.searchParams.set('token', token);
  return url.href;
}

export async function requestSignIn(
  deps: SignInDeps,
  request: SignInRequest,
  context: RequestContext,
): Promise<RequestSignInResult> {
  const canonical = canonicalizeEmail(request.email);
  if (!canonical.ok) return { ok: false, code: 'invalid_email' };
  const email = canonical.email;
  const now = deps.now();
  const user = await deps.store.findUserByEmail(email);
  // Closed signup still records a (never mailed) token for unknown addresses, so
  // code attempts, locks and timing look the same whether or not an account exists.
  const mailable = user !== null || deps.signup === 'open';
  const event = auditEvent(context, {
    type: 'sign_in.requested',
    outcome: mailable ? 'success' : 'failure',
    reason: mailable ? null : 'signup_closed',
    at: now,
    userId: user?.id ?? null,
    email,
  });
  await deps.tokens.issue(
    {
      purpose: 'sign_in',
      email,
      userId: user?.id ?? null,
      flowHash: request.flowHash ?? null,
      redirectTo: checkRedirect(request.redirectTo, deps.redirects),
      ttlSeconds: deps.tokenTtlSeconds,
      requestIp: context.ip,
      requestUserAgent: context.userAgent?.slice(0, 512) ?? null,
      mail: ({ token, code, record }) =>
        mailable
          ? deps.composeMail({ to: email, link: verifyLinkUrl(deps.baseUrl, token), code, record, requestId: context.requestId })
          : null,
      events: [event],
    },
    now,
  );
  if (mailable) deps.mailQueued();
  return { ok: true, email };
}

export async function verifySignInLink(deps: SignInDeps, token: string, context: RequestContext): Promise<VerifyOutcome> {
  const now = deps.now();
  const result = await deps.tokens.consumeLink(token, 'sign_in', now);
  if (!result.ok) return reject(deps, 'token.rejected', FAILURE_CODES[result.reason], result.record, context, now);
  return completeSignIn(deps, result.record, context, now);
}

export async function verifySignInCode(
  deps: SignInDeps,
  emailInput: unknown,
  code: unknown,
  context: RequestContext,
): Promise<VerifyOutcome> {
  const canonical = canonicalizeEmail(emailInput);
  if (!canonical.ok) return { ok: false, code: 'invalid_email' };
  const now = deps.now();
  const result = await deps.tokens.consumeCode(canonical.email, typeof code === 'string' ? code.trim() : '', 'sign_in', now);
  if (!result.ok) return reject(deps, 'code.failed', FAILURE_CODES[result.reason], result.record, context, now, canonical.email);
  return completeSignIn(deps, result.record, context, now);
}

async function reject(
  deps: SignInDeps,
  type: 'token.rejected' | 'code.failed',
  code: ErrorCode,
  record: TokenRecord | null,
  context: RequestContext,
  now: number,
  email?: string,
): Promise<VerifyOutcome> {
  await deps.store.appendAudit([
    auditEvent(context, { type, outcome: 'failure', reason: code, at: now, userId: record?.userId, email: record?.email ?? email }),
  ]);
  return { ok: false, code };
}

async function completeSignIn(
  deps: SignInDeps,
  record: TokenRecord,
  context: RequestContext,
  now: number,
): Promise<VerifyOutcome> {
  const { token, record: sessionRecord } = newSession(deps.sessions, now, context);
  const event = (type: AuditEvent['type'], reason: string | null = null) =>
    auditEvent(context, { type, outcome: 'success', reason, at: now, userId: record.userId, email: record.email });
  const signedIn = await deps.store.signIn({
    email: record.email,
    userId: record.userId,
    allowSignup: deps.signup === 'open',
    newUserId: randomUUID(),
    now,
    session: sessionRecord,
    events: [event('token.consumed', 'sign_in'), event('session.created'), event('sign_in.succeeded')],
  });
  if (!signedIn) {
    // Only a closed-signup decoy token gets here, and its code was never mailed.
    return reject(deps, 'token.rejected', 'token_invalid', record, context, now);
  }
  if (signedIn.createdUser) {
    await deps.store.appendAudit([
      auditEvent(context, { type: 'user.created', outcome: 'success', at: now, userId: signedIn.user.id, email: record.email }),
    ]);
  }
  return {
    ok: true,
    user: signedIn.user,
    session: signedIn.session,
    sessionToken: token,
    // Checked again at use: the allowlist may have changed since the link was issued.
    redirectTo: checkRedirect(record.redirectTo, deps.redirects) ?? deps.redirects.defaultPath,
    createdUser: signedIn.createdUser,
  };
}
