// requireSession, decided once for every adapter (issue #14): signed in, the
// request goes on with its session; a browser navigating is sent to the sign-in
// page with redirectTo (checked as Latchkey checks it: same origin or
// LATCHKEY_ALLOWED_REDIRECT_ORIGINS, core/redirects.ts), so it comes back here
// after signing in; anything else gets 401 in the shape of Latchkey's own JSON errors.
import { errorStatus } from '../core/errors.ts';
import { checkRedirect } from '../core/redirects.ts';
import type { ValidSession } from '../core/sessions.ts';
import { acceptsHtml } from '../http/errors.ts';
import type { HeaderRecord } from '../http/session-source.ts';
import { errorMessage } from '../i18n/catalog.ts';
import type { Latchkey } from '../latchkey.ts';
import { SIGN_IN_PATH } from './paths.ts';

/** The body of the 401 answer: Latchkey's JSON error (http/errors.ts); no request ID, the host app answered. */
export interface UnauthenticatedBody {
  error: { code: 'unauthenticated'; message: string; requestId: null };
}

export type SessionGate =
  | { outcome: 'signed_in'; session: ValidSession }
  | { outcome: 'redirect'; status: 303; location: string }
  | { outcome: 'unauthenticated'; status: 401; body: UnauthenticatedBody };

export interface GatedRequest {
  method: string;
  /** The request target as sent: path and query (`/dashboard?tab=2`). */
  target: string;
  headers: HeaderRecord;
}

export async function checkSession(latchkey: Pick<Latchkey, 'getSession' | 'config'>, request: GatedRequest): Promise<SessionGate> {
  const session = await latchkey.getSession(request.headers);
  if (session) return { outcome: 'signed_in', session };
  const accept = request.headers.accept;
  const navigating = (request.method === 'GET' || request.method === 'HEAD') && acceptsHtml(typeof accept === 'string' ? accept : null);
  if (navigating) return { outcome: 'redirect', status: 303, location: signInLocation(latchkey, request.target) };
  const body: UnauthenticatedBody = { error: { code: 'unauthenticated', message: errorMessage('unauthenticated'), requestId: null } };
  return { outcome: 'unauthenticated', status: errorStatus('unauthenticated') as 401, body };
}

function signInLocation(latchkey: Pick<Latchkey, 'config'>, target: string): string {
  const { baseUrl, allowedRedirectOrigins } = latchkey.config;
  // A target the sign-in would refuse (`//elsewhere`) is left out rather than sent along.
  const back = checkRedirect(target, { baseUrl, allowedOrigins: allowedRedirectOrigins, defaultPath: '/' });
  return back ? `${SIGN_IN_PATH}?redirectTo=${encodeURIComponent(back)}` : SIGN_IN_PATH;
}
