// Pieces shared by the auth routes: the session of the request, and how a
// successful sign-in is answered.
import type { Context } from 'hono';
import { validateSession, type ValidSession } from '../../core/sessions.ts';
import type { SignedIn } from '../../core/sign-in.ts';
import type { Session, User } from '../../core/types.ts';
import { clearCookie, cookieNames, readCookie, writeCookie } from '../cookies.ts';
import type { AppEnv, HttpDeps } from '../env.ts';

export async function currentSession(c: Context<AppEnv>, deps: HttpDeps): Promise<ValidSession | null> {
  const names = cookieNames(deps.config);
  const found = await validateSession(deps.store, deps.sessions, readCookie(c, names.session), deps.now());
  if (found) c.set('userId', found.user.id);
  return found;
}

export function userJson(user: User) {
  return { id: user.id, email: user.email };
}

export function sessionJson(session: Session) {
  return { id: session.id, expiresAt: new Date(session.expiresAt).toISOString() };
}

export function answerSignedIn(c: Context<AppEnv>, deps: HttpDeps, result: SignedIn, asForm: boolean): Response {
  const names = cookieNames(deps.config);
  writeCookie(c, names, names.session, result.sessionToken, deps.sessions.ttlSeconds);
  clearCookie(c, names, names.flow);
  clearCookie(c, names, names.flowEmail);
  c.set('userId', result.user.id);
  c.header('Cache-Control', 'no-store');
  if (asForm) return c.redirect(result.redirectTo, 303);
  return c.json({ user: userJson(result.user), session: sessionJson(result.session) }, 200);
}
