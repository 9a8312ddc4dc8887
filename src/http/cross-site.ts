// Login CSRF and forged sign-outs: the policy refuses state-changing requests
// from another site (SameSite=Lax alone does not stop a cross-site form from
// posting an attacker's token); this only maps its decision to a 403.
import type { MiddlewareHandler } from 'hono';
import type { AppEnv, HttpDeps } from './env.ts';
import { errorResponse } from './error-page.ts';
import { requestContext } from './request.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function crossSiteGuard(deps: HttpDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    // Reads never change state; skipping them here keeps the session check lean.
    if (SAFE_METHODS.has(c.req.method)) return next();
    const decision = await deps.policy.checkCrossSite(
      { method: c.req.method, origin: c.req.header('origin') ?? null, fetchSite: c.req.header('sec-fetch-site') ?? null },
      requestContext(c),
    );
    if (!decision.allow) return errorResponse(c, deps, 'forbidden');
    return next();
  };
}
