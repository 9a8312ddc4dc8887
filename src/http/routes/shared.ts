// Pieces shared by the auth routes: the session of the request, and how a
// successful sign-in is answered.
import type { Context } from 'hono';
import { validateSession, type ValidSession } from '../../core/sessions.ts';
import { PENDING_SECOND_FACTOR_TTL_SECONDS } from '../../core/second-factor.ts';
import type { SecondFactorRequired, SignedIn } from '../../core/first-factor.ts';
import type { Session, User } from '../../core/types.ts';
import { clearCookie, readCookie, writeCookie } from '../cookies.ts';
import { renewCsrfCookie } from '../csrf-token.ts';
import type { AppEnv, HttpDeps } from '../env.ts';
import { errorResponse } from '../error-page.ts';
import { jsonError } from '../errors.ts';
import { requestContext } from '../request.ts';

export async function currentSession(c: Context<AppEnv>, deps: HttpDeps): Promise<ValidSession | null> {
  const names = deps.cookies;
  const found = await validateSession(deps.store, deps.sessions, readCookie(c, names.session), deps.now());
  if (found) c.set('userId', found.user.id);
  deps.metrics.sessionCheck(found !== null);
  return found;
}

export function userJson(user: User) {
  return { id: user.id, email: user.email };
}

export function sessionJson(session: Session) {
  return { id: session.id, expiresAt: new Date(session.expiresAt).toISOString() };
}

/**
 * How every verified first factor (link, code, password) and the second factor
 * are answered: a session, or, for an account with TOTP on, the pending
 * second-factor cookie and `{status: "second_factor_required"}` (a form goes to
 * the second-factor page).
 */
export function answerVerified(c: Context<AppEnv>, deps: HttpDeps, result: SignedIn | SecondFactorRequired, asForm: boolean): Response {
  if (result.status === 'signed_in') return answerSignedIn(c, deps, result, asForm);
  const names = deps.cookies;
  writeCookie(c, names, names.secondFactor, result.pendingToken, PENDING_SECOND_FACTOR_TTL_SECONDS);
  // The email token is spent; the flow-request cookie stays for "send a new link" if this step expires.
  clearCookie(c, names, names.flow);
  c.header('Cache-Control', 'no-store');
  if (asForm) return c.redirect('/auth/sign-in/totp', 303);
  return c.json({ status: 'second_factor_required' }, 200);
}

export function answerSignedIn(c: Context<AppEnv>, deps: HttpDeps, result: SignedIn, asForm: boolean): Response {
  const names = deps.cookies;
  writeCookie(c, names, names.session, result.sessionToken, deps.sessions.ttlSeconds);
  clearCookie(c, names, names.flow);
  clearCookie(c, names, names.flowRequest);
  if (readCookie(c, names.secondFactor) !== undefined) clearCookie(c, names, names.secondFactor);
  // Forms rendered before the sign-in stop working with it (OWASP: new CSRF token at login).
  renewCsrfCookie(c, deps);
  c.set('userId', result.user.id);
  c.header('Cache-Control', 'no-store');
  if (asForm) return c.redirect(result.redirectTo, 303);
  return c.json({ user: userJson(result.user), session: sessionJson(result.session) }, 200);
}

/**
 * A malformed body on a route that verifies a secret (code, password, link,
 * second factor): it still spends the per-IP verify bucket, so refused input is
 * no free way to make us work, and past the bucket it is answered `429` like any
 * guess (issue #12 finding 1).
 */
export async function refuseMalformedVerification(c: Context<AppEnv>, deps: HttpDeps, asForm: boolean): Promise<Response> {
  const decision = await deps.policy.checkRefusedVerification(requestContext(c));
  const code = decision.allow ? 'invalid_request' : 'rate_limited';
  return asForm ? errorResponse(c, deps, code) : jsonError(c, code);
}
