// Login CSRF and forged sign-outs: the policy refuses state-changing requests
// from another site (SameSite=Lax alone does not stop a cross-site form from
// posting an attacker's token); this only maps its decision to a 403.
// Mounted on the browser, API and admin route groups (http/route-groups.ts).
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './env.ts';
import { requestContext } from './request.ts';
import type { GuardDeps } from './route-groups.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function crossSiteGuard(deps: Pick<GuardDeps, 'policy' | 'refuse'>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    // Reads never change state; skipping them here keeps the session check lean.
    if (SAFE_METHODS.has(c.req.method)) return next();
    const decision = await deps.policy.checkCrossSite(
      { method: c.req.method, origin: c.req.header('origin') ?? null, fetchSite: c.req.header('sec-fetch-site') ?? null },
      requestContext(c),
    );
    if (!decision.allow) return deps.refuse(c, 'forbidden');
    return next();
  };
}
