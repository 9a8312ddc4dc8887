// Assembles the Hono app: middleware once, routes once, at creation (never per request).
import { Hono } from 'hono';
import { csrf } from 'hono/csrf';
import { requestId } from 'hono/request-id';
import type { AppEnv, HttpDeps } from './env.ts';
import { errorResponse } from './errors.ts';
import { requestLogger } from './logging.ts';
import { securityHeaders } from './security.ts';
import { devRoutes } from './routes/dev.ts';
import { sessionRoutes } from './routes/session.ts';
import { signInRoutes } from './routes/sign-in.ts';
import { systemRoutes } from './routes/system.ts';
import { verifyRoutes } from './routes/verify.ts';

/** An incoming X-Request-Id is kept only when well-formed (it reaches logs and mail headers). */
const REQUEST_ID = /^[A-Za-z0-9_-]{8,128}$/;

export function createApp(deps: HttpDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(
    requestId({
      generator: (c) => {
        const incoming = c.req.header('x-request-id');
        return incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
      },
      headerName: '',
    }),
  );
  app.use(async (c, next) => {
    await next();
    c.res.headers.set('X-Request-Id', c.get('requestId'));
  });
  app.use(requestLogger(deps.logger));
  app.use(securityHeaders(deps.config));
  // Login CSRF: form posts must come from our own origin (SameSite=Lax alone
  // does not stop a cross-site form from posting an attacker's token). Browsers
  // send Origin (or Sec-Fetch-Site) on every POST; a request with neither is not
  // a browser's, so it cannot be a forged cross-site one.
  const checkOrigin = csrf({ origin: deps.config.baseUrl.origin });
  app.use((c, next) => (c.req.header('origin') || c.req.header('sec-fetch-site') ? checkOrigin(c, next) : next()));

  systemRoutes(app, deps);
  signInRoutes(app, deps);
  verifyRoutes(app, deps);
  sessionRoutes(app, deps);
  if (deps.devMailbox) devRoutes(app, deps.devMailbox);

  app.notFound((c) => errorResponse(c, deps, 'not_found'));
  app.onError((error, c) => {
    if ('status' in error && error.status === 403) return errorResponse(c, deps, 'forbidden');
    deps.logger.error({ err: error, requestId: c.get('requestId') }, 'unhandled error');
    return errorResponse(c, deps, 'internal_error');
  });
  return app;
}
