// "Apps with access" (issue #15 item 5): the apps the signed-in account gave
// access to through Latchkey's OpenID Connect provider, as JSON, and revoking
// one (JSON DELETE, or the account page's form). Revoking deletes the app's
// grant and every code and token of it for this account (oidc/apps.ts).

import { formatUtc } from '../../i18n/catalog.ts';
import { listApps, revokeApp, type AppAccess } from '../../oidc/apps.ts';
import type { OidcProvider } from '../../oidc/provider.ts';
import type { AppsSectionView } from '../../pages/apps-section.ts';
import { urlFor } from '../../route-table.ts';
import type { HttpDeps } from '../env.ts';
import { jsonError } from '../errors.ts';
import { requestContext } from '../request.ts';
import type { Endpoints, Handler } from '../route-groups.ts';
import { currentSession } from './shared.ts';

const appJson = (app: AppAccess) => ({
  clientId: app.clientId,
  name: app.name,
  scopes: app.scopes,
  grantedAt: app.grantedAt === null ? null : new Date(app.grantedAt).toISOString(),
});

/** The account page's section (routes/session.ts). */
export async function appsSectionView(oidc: OidcProvider, userId: string): Promise<AppsSectionView> {
  const apps = await listApps(oidc.apps, oidc.provider, userId);
  return { apps: apps.map((app) => ({ clientId: app.clientId, name: app.name, scopes: app.scopes, grantedAt: app.grantedAt === null ? null : formatUtc(app.grantedAt) })) };
}

export function oidcAppRoutes(deps: HttpDeps, oidc: OidcProvider): Endpoints {
  const apps: Handler = async (c) => {
    c.header('Cache-Control', 'no-store');
    const found = await currentSession(c, deps);
    if (!found) return jsonError(c, 'unauthenticated');
    return c.json({ apps: (await listApps(oidc.apps, oidc.provider, found.user.id)).map(appJson) });
  };

  const appDelete: Handler = async (c) => {
    const found = await currentSession(c, deps);
    if (!found) return jsonError(c, 'unauthenticated');
    const revoked = await revokeApp(oidc.apps, found.user.id, c.req.param('clientId') ?? '', requestContext(c));
    return revoked ? c.body(null, 204) : jsonError(c, 'not_found');
  };

  // HTML forms cannot send DELETE.
  const appRevoke: Handler = async (c) => {
    const found = await currentSession(c, deps);
    if (!found) return c.redirect(urlFor('signIn'), 303);
    await revokeApp(oidc.apps, found.user.id, c.req.param('clientId') ?? '', requestContext(c));
    return c.redirect(urlFor('account'), 303);
  };

  return { apps, appDelete, appRevoke };
}
