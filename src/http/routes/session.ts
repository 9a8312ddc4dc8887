// The signed-in side: who am I, my sessions, sign out, the account page.
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { PROVIDER_SESSION_COOKIE } from '../../oidc/paths.ts';
import { auditEvent } from '../../core/audit.ts';
import { formatUtc } from '../../i18n/catalog.ts';
import { describeUserAgent, shownIp } from '../../mail/user-agent.ts';
import { accountPage } from '../../pages/account-page.ts';
import { SIGN_IN_TO_ACCOUNT, urlFor } from '../../route-table.ts';
import { clearSessionCookies } from '../proxy-cookie.ts';
import type { AppEnv, HttpDeps } from '../env.ts';
import { jsonError } from '../errors.ts';
import { pageContext } from '../pages.ts';
import { finalJsonFactory } from '../security.ts';
import { requestContext } from '../request.ts';
import type { Endpoints, Handler } from '../route-groups.ts';
import { currentSession, sessionJson, userJson } from './shared.ts';
import { accountSecurityViews } from './account-security.ts';
import { twoFactorView } from './two-factor.ts';
import { passkeySectionView } from './passkeys.ts';
import { appsSectionView } from './oidc-apps.ts';

const iso = (ms: number) => new Date(ms).toISOString();

export function sessionRoutes(deps: HttpDeps): Endpoints {
  const names = deps.cookies;

  async function revoke(c: Context<AppEnv>, sessionId: string, userId: string): Promise<boolean> {
    const now = deps.now();
    const event = auditEvent(requestContext(c), { type: 'session.revoked', outcome: 'success', at: now, userId });
    return deps.store.revokeSession(sessionId, userId, now, [event]);
  }

  // The hot path of every app behind Latchkey: one indexed look-up, one plain-object response.
  const finalJson = finalJsonFactory(deps.config);
  const session: Handler = async (c) => {
    const found = await currentSession(c, deps);
    if (!found) return jsonError(c, 'unauthenticated');
    return finalJson(c, { user: userJson(found.user), session: sessionJson(found.session) });
  };

  /** Signing out, the same for JSON and forms. */
  async function signOut(c: Context<AppEnv>): Promise<void> {
    const found = await currentSession(c, deps);
    if (found) await revoke(c, found.session.id, found.user.id);
    // The OpenID Connect provider's session of this browser ends too: its apps get a back-channel logout token.
    if (deps.oidc) await deps.oidc.endBrowserSession(getCookie(c, PROVIDER_SESSION_COOKIE) ?? null, requestContext(c));
    clearSessionCookies(c, deps);
    // Also drops anything else this origin left in the browser (issue #4, OWASP Session Management);
    // not with a shared proxy cookie (issue #16): the browser would clear the sibling apps' cookies too.
    if (names.sharedDomain === null) c.header('Clear-Site-Data', '"cookies"');
  }

  const signOutJson: Handler = async (c) => {
    await signOut(c);
    return c.body(null, 204);
  };

  const signOutForm: Handler = async (c) => {
    await signOut(c);
    return c.redirect(urlFor('signIn'), 303);
  };

  const sessions: Handler = async (c) => {
    c.header('Cache-Control', 'no-store');
    const found = await currentSession(c, deps);
    if (!found) return jsonError(c, 'unauthenticated');
    const sessions = await deps.store.listSessions(found.user.id, deps.now());
    return c.json({
      sessions: sessions.map((s) => ({
        id: s.id,
        createdAt: iso(s.createdAt),
        lastSeenAt: iso(s.lastSeenAt),
        userAgent: s.userAgent,
        // Client-chosen text stays raw for API users; `device` is the closed-list label to show (issue #12 finding 7).
        device: describeUserAgent(s.userAgent),
        ip: s.ip,
        current: s.id === found.session.id,
      })),
    });
  };

  const sessionDelete: Handler = async (c) => {
    const found = await currentSession(c, deps);
    if (!found) return jsonError(c, 'unauthenticated');
    // Someone else's session id answers like an unknown one.
    const id = c.req.param('id') ?? '';
    if (!(await revoke(c, id, found.user.id))) return jsonError(c, 'not_found');
    if (id === found.session.id) clearSessionCookies(c, deps);
    return c.body(null, 204);
  };

  // HTML forms cannot send DELETE.
  const sessionRevoke: Handler = async (c) => {
    const found = await currentSession(c, deps);
    if (!found) return c.redirect(urlFor('signIn'), 303);
    await revoke(c, c.req.param('id') ?? '', found.user.id);
    return c.redirect(urlFor('account'), 303);
  };

  // "Sign out everywhere else" from the account page: every session but this one.
  const otherSessionsRevoke: Handler = async (c) => {
    const found = await currentSession(c, deps);
    if (!found) return c.redirect(urlFor('signIn'), 303);
    const sessions = await deps.store.listSessions(found.user.id, deps.now());
    for (const session of sessions) {
      if (session.id !== found.session.id) await revoke(c, session.id, found.user.id);
    }
    return c.redirect(urlFor('account'), 303);
  };

  const account: Handler = async (c) => {
    c.header('Cache-Control', 'no-store');
    const found = await currentSession(c, deps);
    if (!found) return c.redirect(SIGN_IN_TO_ACCOUNT, 303);
    const sessions = await deps.store.listSessions(found.user.id, deps.now());
    const page = pageContext(c, deps);
    return c.html(
      accountPage(page, {
        email: found.user.email,
        // Most recently seen first (the page puts this device on top).
        sessions: [...sessions].sort((a, b) => b.lastSeenAt - a.lastSeenAt).map((s) => ({
          id: s.id,
          device: describeUserAgent(s.userAgent, page.t),
          ip: shownIp(s.ip),
          createdAt: formatUtc(s.createdAt),
          lastSeenAt: formatUtc(s.lastSeenAt),
          current: s.id === found.session.id,
        })),
        twoFactor: await twoFactorView(c, deps, found),
        passkeys: (await passkeySectionView(c, deps, found)) ?? undefined,
        ...(deps.oidc ? { apps: await appsSectionView(deps.oidc, found.user.id) } : {}),
        ...(await accountSecurityViews(c, deps, found)),
      }),
    );
  };

  return {
    session,
    signOut: { json: signOutJson, form: signOutForm },
    sessions,
    sessionDelete,
    sessionRevoke,
    otherSessionsRevoke,
    account,
  };
}
