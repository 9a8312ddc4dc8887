// RP-initiated logout ends the Latchkey session too (issue #15): once the person
// confirms "sign me out" on the provider's logout page, the Latchkey session of
// this browser is revoked and its cookie cleared, in the same response, so the
// app's next authorization asks to sign in (no SSO left to fall back on).

import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { auditEvent } from '../core/audit.ts';
import type { ValidSession } from '../core/sessions.ts';
import type { SessionStore } from '../store/store.ts';
import { providerRequests } from './audit.ts';

export interface LogoutDeps {
  store: Pick<SessionStore, 'revokeSession'>;
  now: () => number;
  latchkeySession: (cookieHeader: string | undefined) => Promise<ValidSession | null>;
  /** The Set-Cookie lines that clear the Latchkey session cookie and the forward-auth proxy cookie (http/cookies.ts sessionClearingHeaders). */
  cookie: { clearing: readonly string[] };
  /**
   * Where an authorization resumes (issuer + /oidc/auth/). The provider also
   * logs its own session out when another person signed in to Latchkey in this
   * browser, and then resumes the authorization: that logout is not the
   * person's, and their new Latchkey session stays.
   */
  resumePrefix: string;
}

const CONFIRMED = Symbol('latchkey logout confirmed');

export function endLatchkeySessionOnLogout(provider: Provider, deps: LogoutDeps): void {
  // The provider's end_session.success fires inside the confirm action; the awaited work runs
  // after it, still before the answer goes out.
  provider.on('end_session.success', (ctx: KoaContextWithOIDC) => {
    if (ctx.oidc.params?.logout) (ctx.state as Record<symbol, string | null>)[CONFIRMED] = ctx.oidc.client?.clientId ?? null;
  });
  provider.use(async (ctx, next) => {
    await next();
    const state = ctx.state as Record<symbol, string | null | undefined>;
    if (!(CONFIRMED in state) || ctx.response.get('location').startsWith(deps.resumePrefix)) return;
    const found = await deps.latchkeySession(ctx.get('cookie') || undefined);
    if (found) {
      const context = providerRequests.get(ctx.req as never) ?? { requestId: null, ip: null, userAgent: null };
      const at = deps.now();
      const userId = found.user.id;
      await deps.store.revokeSession(found.session.id, userId, at, [
        auditEvent(context, { type: 'session.revoked', outcome: 'success', at, userId, reason: 'oidc_logout' }),
        auditEvent(context, { type: 'oidc.logout', outcome: 'success', at, userId, reason: state[CONFIRMED] ?? null }),
      ]);
    }
    // With the attributes they were set with: the proxy cookie's Domain too (LATCHKEY_COOKIE_DOMAIN).
    for (const line of deps.cookie.clearing) ctx.append('Set-Cookie', line);
  });
}
