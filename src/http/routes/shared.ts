// Pieces shared by the auth routes: the session of the request, how a
// successful sign-in is answered (JSON or a form's redirect), and the account
// endpoints' answer to a request without a session.
import type { Context } from 'hono';
import type { ErrorCode } from '../../core/errors.ts';
import { validateSession, type ValidSession } from '../../core/sessions.ts';
import { PENDING_SECOND_FACTOR_TTL_SECONDS } from '../../core/second-factor.ts';
import type { SecondFactorRequired, SignedIn } from '../../core/first-factor.ts';
import type { Session, User } from '../../core/types.ts';
import { SIGN_IN_TO_ACCOUNT, urlFor } from '../../route-table.ts';
import { clearCookie, readCookie, writeCookie } from '../cookies.ts';
import { renewCsrfCookie } from '../csrf-token.ts';
import { writeSessionCookies } from '../proxy-cookie.ts';
import type { AppEnv, HttpDeps } from '../env.ts';
import { jsonError } from '../errors.ts';
import { requestContext } from '../request.ts';
import type { JsonAndForm } from '../route-groups.ts';

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
  return { id: session.id, expiresAt: new Date(session.expiresAt).toISOString(), amr: session.amr };
}

type SessionHandler = (c: Context<AppEnv>, found: ValidSession) => Response | Promise<Response>;

/**
 * An endpoint of the signed-in account: without a session a JSON client gets
 * 401 and a form goes to the sign-in page (and back to the account after it).
 */
export function withSession(deps: HttpDeps, handlers: { json: SessionHandler; form: SessionHandler }): JsonAndForm {
  return {
    json: async (c) => {
      const found = await currentSession(c, deps);
      return found ? handlers.json(c, found) : jsonError(c, 'unauthenticated');
    },
    form: async (c) => {
      const found = await currentSession(c, deps);
      return found ? handlers.form(c, found) : c.redirect(SIGN_IN_TO_ACCOUNT, 303);
    },
  };
}

/**
 * Every verified first factor (link, code, password): a session, or, for an
 * account with TOTP on, the pending second-factor cookie (`secondFactorStarted`).
 */
export type Verified = SignedIn | SecondFactorRequired;

function secondFactorStarted(c: Context<AppEnv>, deps: HttpDeps, result: SecondFactorRequired): void {
  const names = deps.cookies;
  writeCookie(c, names, names.secondFactor, result.pendingToken, PENDING_SECOND_FACTOR_TTL_SECONDS);
  // The email token is spent; the flow-request cookie stays for "send a new link" if this step expires.
  clearCookie(c, names, names.flow);
  c.header('Cache-Control', 'no-store');
}

function sessionStarted(c: Context<AppEnv>, deps: HttpDeps, result: SignedIn): void {
  const names = deps.cookies;
  // The cookie lives as long as the session: a step-up's new session ends when the old one would have.
  writeSessionCookies(c, deps, result.sessionToken, Math.ceil((result.session.expiresAt - result.session.createdAt) / 1000));
  clearCookie(c, names, names.flow);
  clearCookie(c, names, names.flowRequest);
  if (readCookie(c, names.secondFactor) !== undefined) clearCookie(c, names, names.secondFactor);
  // Forms rendered before the sign-in stop working with it (OWASP: new CSRF token at login).
  renewCsrfCookie(c, deps);
  c.set('userId', result.user.id);
  c.header('Cache-Control', 'no-store');
}

/** A verified first factor, to a JSON client: the session, or `{status: "second_factor_required"}`. */
export function verifiedJson(c: Context<AppEnv>, deps: HttpDeps, result: Verified): Response {
  if (result.status === 'signed_in') return signedInJson(c, deps, result);
  secondFactorStarted(c, deps, result);
  return c.json({ status: 'second_factor_required' }, 200);
}

/** A verified first factor, to a form: on to the checked redirect, or to the second-factor page. */
export function verifiedForm(c: Context<AppEnv>, deps: HttpDeps, result: Verified): Response {
  if (result.status === 'signed_in') return signedInForm(c, deps, result);
  secondFactorStarted(c, deps, result);
  return c.redirect(urlFor('secondFactorPage'), 303);
}

/** `extra`: fields a caller adds (the passkey sign-in's checked redirect, for the page's script). */
export function signedInJson(c: Context<AppEnv>, deps: HttpDeps, result: SignedIn, extra: Record<string, unknown> = {}): Response {
  sessionStarted(c, deps, result);
  return c.json({ user: userJson(result.user), session: sessionJson(result.session), ...extra }, 200);
}

export function signedInForm(c: Context<AppEnv>, deps: HttpDeps, result: SignedIn): Response {
  sessionStarted(c, deps, result);
  return c.redirect(result.redirectTo, 303);
}

/**
 * The code for a malformed body on a route that verifies a secret (code,
 * password, link, second factor): it still spends the per-IP verify bucket, so
 * refused input is no free way to make us work, and past the bucket it is
 * answered `429` like any guess (issue #12 finding 1).
 */
export async function malformedVerification(c: Context<AppEnv>, deps: HttpDeps): Promise<ErrorCode> {
  const decision = await deps.policy.checkRefusedVerification(requestContext(c));
  return decision.allow ? 'invalid_request' : 'rate_limited';
}
