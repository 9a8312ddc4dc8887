// Forward-auth (issue #16): a reverse proxy asks, for each request it holds,
// whether that request may reach the app behind it. The session is the shared
// proxy cookie (LATCHKEY_COOKIE_DOMAIN, http/proxy-cookie.ts), the URL the proxy's headers (http/original-url.ts),
// the decision the policy's (core/policy-access.ts).
//
// - GET /auth/auth-request (nginx auth_request): 200 with Remote-User and
//   Remote-Email; 401 with the sign-in URL in Location (nginx turns it into a
//   302 with `error_page 401 =302 $lk_signin`); 403.
// - GET /auth/forward-auth (Caddy forward_auth, Traefik forwardAuth): 200 with the
//   same headers; without a session a 302 to the sign-in page for a browser
//   navigation (Accept: text/html) and 401 for anything else; 403 with a page.
//
// Nothing of the request is echoed back: the identity headers come from the session.
import type { Context } from 'hono';
import { trustedProxies } from '../../core/client-ip.ts';
import type { AccessDecision } from '../../core/policy-access.ts';
import { checkRedirect } from '../../core/redirects.ts';
import { absoluteUrlFor } from '../../route-table.ts';
import type { AppEnv, HttpDeps } from '../env.ts';
import { htmlError } from '../error-page.ts';
import { acceptsHtml, jsonError } from '../errors.ts';
import { originalUrlForwarded, originalUrlNginx, type OriginalUrl } from '../original-url.ts';
import { requestContext } from '../request.ts';
import type { Endpoints, Handler } from '../route-groups.ts';
import { proxyCookieSession } from '../proxy-cookie.ts';
import { currentSession } from './shared.ts';

interface Answer {
  decision: AccessDecision;
  target: OriginalUrl;
  user: { id: string; email: string } | null;
}

export function forwardAuthRoutes(deps: HttpDeps): Endpoints {
  // Built once: the same proxies X-Forwarded-For is believed from (core/client-ip.ts).
  const proxies = trustedProxies(deps.config.trustedProxies);
  // The allowed answer is the hot path: its whole header set as one plain object. It goes to the proxy only,
  // never to a browser (nginx's auth_request reads its status and the headers it copies; Caddy and Traefik
  // pass the original request on to the app on a 2xx), so it carries no page headers (CSP, frame options,
  // …): ~700 bytes fewer to write and parse per proxied request. Every refusal, which a browser may see,
  // keeps them. Content-Length 0: without it Node answers an empty body chunked, a second write and more
  // for the proxy to parse.
  const base: Record<string, string> = { 'Cache-Control': 'no-store', 'Content-Length': '0' };

  async function decide(c: Context<AppEnv>, readUrl: typeof originalUrlNginx): Promise<Answer> {
    const target = readUrl(c, proxies);
    // With LATCHKEY_COOKIE_DOMAIN the proxy cookie only (http/proxy-cookie.ts); without it the apps
    // share Latchkey's host and the browser sends the host-only session cookie.
    const found = deps.cookies.proxy === null ? await currentSession(c, deps) : await proxyCookieSession(c, deps);
    if (found && deps.cookies.proxy !== null) c.set('userId', found.user.id);
    const session = found
      ? { id: found.session.id, userId: found.user.id, email: found.user.email, amr: found.session.amr }
      : null;
    const decision = await deps.policy.checkAccess({ target, session }, requestContext(c));
    deps.metrics.forwardAuth(decision.reason);
    return { decision, target, user: found ? found.user : null };
  }

  function allowed(c: Context<AppEnv>, user: { id: string; email: string }): Response {
    c.set('headersFinal', true);
    return new Response(null, { status: 200, headers: { ...base, 'X-Request-Id': c.get('requestId'), 'Remote-User': user.id, 'Remote-Email': user.email } });
  }

  /** The sign-in page, back to the original URL after it (when the redirect policy lets it go there). */
  function signInUrl(target: OriginalUrl): string {
    const back = 'href' in target ? checkRedirect(target.href, deps.redirects) : null;
    return absoluteUrlFor(deps.baseUrl, 'signIn', undefined, { redirectTo: back });
  }

  /** A refusal: its own forward_auth.denied event tells it (within its bound), so no error.answered beside it. */
  function refused(c: Context<AppEnv>, decision: AccessDecision, page: boolean, target: OriginalUrl): Response | Promise<Response> {
    c.set('errorAudited', true);
    const code = decision.reason === 'second_factor_required' ? 'access_second_factor' : 'access_denied';
    if (!page) return jsonError(c, code);
    // The proxy hands this page to the browser on the app's host: no cookie of ours is set there, and
    // its "confirm it's you" link is absolute, back to the original URL (issues #16/#17).
    if (code === 'access_second_factor') return htmlError(c, deps, code, { csrfCookie: false, stepUpUrl: stepUpUrl(target) });
    return htmlError(c, deps, code, { csrfCookie: false });
  }

  function stepUpUrl(target: OriginalUrl): string {
    const back = 'href' in target ? checkRedirect(target.href, deps.redirects) : null;
    return absoluteUrlFor(deps.baseUrl, 'stepUpPage', undefined, { redirectTo: back });
  }

  const authRequest: Handler = async (c) => {
    const { decision, target, user } = await decide(c, originalUrlNginx);
    if (decision.allow && user) return allowed(c, user);
    if (decision.reason !== 'unauthenticated') return refused(c, decision, false, target);
    c.set('errorAudited', true);
    c.header('Location', signInUrl(target));
    return jsonError(c, 'unauthenticated');
  };

  const forwardAuth: Handler = async (c) => {
    const { decision, target, user } = await decide(c, originalUrlForwarded);
    if (decision.allow && user) return allowed(c, user);
    // The original request's Accept: Caddy and Traefik pass the browser's headers on.
    const navigation = acceptsHtml(c.req.header('accept'));
    if (decision.reason !== 'unauthenticated') return refused(c, decision, navigation, target);
    if (navigation) return c.redirect(signInUrl(target), 302);
    c.set('errorAudited', true);
    return jsonError(c, 'unauthenticated');
  };

  return { authRequest, forwardAuth };
}
