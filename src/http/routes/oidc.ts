// The OpenID Connect provider's endpoints (issue #15), mounted under the Hono
// app: oidc-provider is a Koa app and answers on Node's request and response
// themselves, so these routes hand them over and tell @hono/node-server the
// answer is sent. They are registered before the body limit and the browser
// guards (http/app.ts): relying parties post to the token endpoint from their
// own servers, and the provider reads and bounds its own bodies.
// Library mode without Node's objects (latchkey.fetch(request) alone) cannot
// run them: they answer not_found there.

import type { IncomingMessage } from 'node:http';
import type { Context, Hono } from 'hono';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { OIDC_PATHS } from '../../oidc/paths.ts';
import type { OidcProvider } from '../../oidc/provider.ts';
import { providerRequests } from '../../oidc/audit.ts';
import { basicClientId } from '../../oidc/client-limits.ts';
import type { AppEnv, HttpDeps } from '../env.ts';
import { errorResponse } from '../error-page.ts';
import { jsonError } from '../errors.ts';
import { requestContext } from '../request.ts';
import { securityHeaderList } from '../security.ts';

/** The provider sees the base URL's host and protocol, never a Host or X-Forwarded-* header a client sent. */
export function pinToBaseUrl(incoming: IncomingMessage, baseUrl: URL): void {
  incoming.headers.host = baseUrl.host;
  incoming.headers['x-forwarded-proto'] = baseUrl.protocol.slice(0, -1);
  delete incoming.headers['x-forwarded-host'];
}

export function oidcRoutes(app: Hono<AppEnv>, deps: HttpDeps, oidc: OidcProvider): void {
  // The provider builds its URLs (discovery, redirects) from the request's host
  // and protocol: it sees only the base URL's, never a Host or X-Forwarded-*
  // header a client sent (host-header poisoning of discovery). provider.ts sets
  // provider.proxy, so the protocol comes from the header set here.
  // Latchkey's header set on every answer of the provider, but the CSP (its form_post
  // page submits itself with an inline script; its error page sets the CSP itself,
  // oidc/error-page.ts) and CORP (discovery, JWKS and browser apps are cross-origin by design).
  const headers = securityHeaderList(deps.config).filter(([name]) => name !== 'Content-Security-Policy' && name !== 'Cross-Origin-Resource-Policy');
  const toProvider = async (c: Context<AppEnv>) => {
    const { incoming, outgoing } = c.env ?? {};
    if (!incoming || !outgoing) return errorResponse(c, deps, 'not_found');
    providerRequests.set(incoming, requestContext(c));
    pinToBaseUrl(incoming, deps.config.baseUrl);
    for (const [name, value] of headers) outgoing.setHeader(name, value);
    outgoing.setHeader('X-Request-Id', c.get('requestId'));
    // A rotated signing key is picked up here, at most once a minute (oidc/keys.ts).
    await oidc.refreshSigningKeys();
    await oidc.handler()(incoming, outgoing);
    return RESPONSE_ALREADY_SENT;
  };
  // OPTIONS: CORS preflights, answered by the provider (provider.ts clientBasedCORS).
  app.on(['GET', 'OPTIONS'], '/.well-known/openid-configuration', toProvider);
  app.on(['GET', 'OPTIONS'], OIDC_PATHS.jwks, toProvider);
  app.on(['GET', 'POST'], OIDC_PATHS.authorization, toProvider);
  // The authorization resumes here once the interaction is finished.
  app.get(`${OIDC_PATHS.authorization}/:uid`, toProvider);
  // The endpoints where a client authenticates. A client in its delay after consecutive
  // failures (oidc/client-limits.ts) is refused before any work.
  for (const path of [OIDC_PATHS.token, OIDC_PATHS.revocation, OIDC_PATHS.introspection]) {
    app.options(path, toProvider);
    app.post(path, async (c) => {
      const clientId = basicClientId(c.req.header('authorization'));
      if (clientId !== null && !(await deps.policy.checkOidcClient(clientId, requestContext(c))).allow) return jsonError(c, 'rate_limited');
      return toProvider(c);
    });
  }
  app.on(['GET', 'POST', 'OPTIONS'], OIDC_PATHS.userinfo, toProvider);
  // RP-initiated logout: the confirmation page, its form (the provider checks its own xsrf value), the "signed out" page.
  app.on(['GET', 'POST'], OIDC_PATHS.endSession, toProvider);
  app.post(`${OIDC_PATHS.endSession}/confirm`, toProvider);
  app.get(`${OIDC_PATHS.endSession}/success`, toProvider);
}
