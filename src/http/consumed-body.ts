// Issue #14: behind a host app's body parser (a global express.json() or
// express.urlencoded() is common), Latchkey used to read an empty body, and every
// form post failed as "from another website" (no CSRF token in it). The adapters
// rebuild such a body when they can; when they cannot they say so, and the request
// is answered with the cause and the fix instead.
import type { MiddlewareHandler } from 'hono';
import type { AppEnv, HttpDeps } from './env.ts';
import { errorResponse } from './error-page.ts';

export function consumedBodyGuard(deps: HttpDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!c.env?.bodyConsumed || c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    // For the developer: the page and the JSON tell the person only that the site is set up wrongly.
    deps.logger.error(
      { requestId: c.get('requestId'), path: c.req.path },
      'body_already_parsed: a body parser of the host app read the request body before Latchkey; mount Latchkey before express.json() / express.urlencoded()',
    );
    return errorResponse(c, deps, 'body_already_parsed');
  };
}
