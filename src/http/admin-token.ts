// The admin group's own guard (http/route-groups.ts): the bearer of
// LATCHKEY_ADMIN_TOKEN, compared as SHA-256 digests in constant time. Every
// refusal goes through the policy (audited, and inside the per-IP verify
// bucket, so the key cannot be guessed fast).
import type { MiddlewareHandler } from 'hono';
import { constantTimeEqual, sha256 } from '../core/crypto.ts';
import type { AppEnv } from './env.ts';
import { jsonError } from './errors.ts';
import { requestContext } from './request.ts';
import type { GuardDeps } from './route-groups.ts';

export function adminTokenGuard(adminToken: string, deps: Pick<GuardDeps, 'policy'>): MiddlewareHandler<AppEnv> {
  const expected = sha256(adminToken);
  return async (c, next) => {
    const given = /^Bearer (\S+)$/.exec(c.req.header('authorization') ?? '')?.[1] ?? '';
    const authorized = constantTimeEqual(sha256(given), expected);
    const decision = await deps.policy.checkAdmin({ authorized }, requestContext(c));
    if (decision.allow) return next();
    if (authorized) return jsonError(c, 'rate_limited');
    // Issue #12: a missing or wrong key asks for the admin token (RFC 6750 section 3), not for a
    // sign-in; missing and wrong get the same answer, so a guess learns nothing.
    c.header('WWW-Authenticate', 'Bearer realm="latchkey-admin"');
    return jsonError(c, 'admin_token_required');
  };
}
