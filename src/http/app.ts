// Assembles the Hono app: middleware once, routes once, at creation (never per
// request). Global: request ID, logging, headers, client IP, error audit, a body
// the host app already read (adapters/), body limit. Per route group (http/route-groups.ts): the guards. The routes are
// those of the table (src/route-table.ts), each file serving one group of endpoints.
import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import type { Context } from '../context.ts';
import { deriveKey } from '../core/crypto.ts';
import type { DevMailbox } from '../mail/dev-mailbox.ts';
import { cookieNames } from './cookies.ts';
import type { AppEnv, HttpDeps } from './env.ts';
import { errorResponse } from './error-page.ts';
import { requestLogger } from './logging.ts';
import { errorAudit } from './error-audit.ts';
import { bodyLimit } from 'hono/body-limit';
import { clientIpMiddleware, fromTrustedProxy } from './client-ip.ts';
import { trustedProxies } from '../core/client-ip.ts';
import { consumedBodyGuard } from './consumed-body.ts';
import { groupGuards, mountRoutes } from './route-groups.ts';
import { responseHeaders } from './security.ts';
import { adminRoutes } from './routes/admin.ts';
import { devRoutes } from './routes/dev.ts';
import { emailRoutes } from './routes/email.ts';
import { passwordResetRoutes } from './routes/password-reset.ts';
import { passwordSignInRoutes } from './routes/password-sign-in.ts';
import { passwordRoutes } from './routes/passwords.ts';
import { secondFactorRoutes } from './routes/second-factor.ts';
import { stepUpRoutes } from './routes/step-up.ts';
import { sessionRoutes } from './routes/session.ts';
import { signInRoutes } from './routes/sign-in.ts';
import { systemRoutes } from './routes/system.ts';
import { twoFactorRoutes } from './routes/two-factor.ts';
import { passkeyRoutes } from './routes/passkeys.ts';
import { verifyRoutes } from './routes/verify.ts';
import { approvalRoutes } from './routes/approval.ts';
import { forwardAuthRoutes } from './routes/forward-auth.ts';
import { oidcClientRoutes } from './routes/oidc-clients.ts';
import { oidcRoutes } from './routes/oidc.ts';
import { oidcAppRoutes } from './routes/oidc-apps.ts';
import { oidcInteractionRoutes } from './routes/oidc-interaction.ts';
import type { OidcProvider } from '../oidc/provider.ts';

/** An incoming X-Request-Id is kept only when well-formed (it reaches logs and mail headers). */
const REQUEST_ID = /^[A-Za-z0-9_-]{8,128}$/;

export function createApp(ctx: Context, parts: { devMailbox: DevMailbox | null; version: string; oidc?: OidcProvider | null }): Hono<AppEnv> {
  const deps: HttpDeps = {
    ...ctx,
    ...parts,
    oidc: parts.oidc ?? null,
    cookies: cookieNames(ctx.config),
    csrfKey: deriveKey(ctx.config.secret, 'csrf-token'),
    proxyCookieKey: deriveKey(ctx.config.secret, 'forward-auth-cookie'),
  };
  const app = new Hono<AppEnv>();
  // Kept only from one of our own proxies, as X-Forwarded-For is: from a client it
  // is request text, and it went into the genuine mail's headers (a variant of issue #12 finding 7).
  const proxies = trustedProxies(deps.config.trustedProxies);
  app.use(
    requestId({
      generator: (c) => {
        const incoming = c.req.header('x-request-id');
        // The header first: most requests carry none, and the proxy check is the dearer test.
        return incoming && REQUEST_ID.test(incoming) && fromTrustedProxy(c, proxies) ? incoming : deps.random.uuid();
      },
      headerName: '',
    }),
  );
  app.use(requestLogger(deps.logger, deps.metrics));
  app.use(responseHeaders(deps.config));
  app.use(clientIpMiddleware(proxies));
  // After the client IP (its per-IP bound), before every guard and route, so it sees each error answer.
  app.use(errorAudit(deps));
  // A body the host app's parser already read (adapters/) is refused by name, before anything reads it as empty.
  app.use(consumedBodyGuard(deps));
  // The OpenID Connect provider's endpoints come before the body limit and the browser guards:
  // relying parties call them from their own servers, and the provider bounds its own bodies.
  if (deps.oidc) oidcRoutes(app, deps, deps.oidc);
  // Every body we accept fits in a few hundred bytes; 16 KiB leaves room and stops floods (issue #4).
  const limitBody = bodyLimit({ maxSize: 16 * 1024, onError: (c) => errorResponse(c, deps, 'request_too_large') });
  // GET and HEAD carry no body; asking for one would make the Node adapter build a full Request.
  app.use((c, next) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limitBody(c, next)));

  // Login CSRF (every state-changing request from our own origin, core/policy.ts decides) and
  // this browser's form token (http/csrf.ts): on the browser, API and admin groups, not on machine routes.
  const guards = groupGuards({
    config: deps.config,
    policy: deps.policy,
    cookies: deps.cookies,
    csrfKey: deps.csrfKey,
    refuse: (c, code) => errorResponse(c, deps, code),
  });
  mountRoutes(app, guards, {
    ...systemRoutes(deps),
    ...signInRoutes(deps),
    ...verifyRoutes(deps),
    ...approvalRoutes(deps),
    ...passwordSignInRoutes(deps),
    ...secondFactorRoutes(deps),
    ...stepUpRoutes(deps),
    ...sessionRoutes(deps),
    ...twoFactorRoutes(deps),
    ...passkeyRoutes(deps),
    ...passwordRoutes(deps),
    ...passwordResetRoutes(deps),
    ...emailRoutes(deps),
    ...adminRoutes(deps),
    ...forwardAuthRoutes(deps),
    ...devRoutes(deps.devMailbox),
    // The OpenID Connect provider's interaction (login, consent) and the account's apps.
    ...(deps.oidc ? { ...oidcInteractionRoutes(deps, deps.oidc), ...oidcAppRoutes(deps, deps.oidc) } : {}),
  });
  // The admin API's OpenID Connect clients: behind the admin group's bearer check (http/admin-token.ts, mounted on /admin/*).
  if (deps.oidc) oidcClientRoutes(app, deps, deps.oidc);

  app.notFound((c) => errorResponse(c, deps, 'not_found'));
  app.onError((error, c) => {
    if ('status' in error && error.status === 403) return errorResponse(c, deps, 'forbidden');
    deps.logger.error({ err: error, requestId: c.get('requestId') }, 'unhandled error');
    return errorResponse(c, deps, 'internal_error');
  });
  return app;
}
