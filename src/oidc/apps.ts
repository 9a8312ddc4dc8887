// "Apps with access" (issue #15 item 5): the apps an account signed in to with
// Latchkey, one per grant the account gave (consent, or a first-party client's
// silent grant), and revoking one: its grant and every code and token of it,
// for this account, in one transaction. The app's next authorization asks for
// consent again (a third-party client) and its refresh token is refused.

import type Provider from 'oidc-provider';
import { auditEvent, type RequestContext } from '../core/audit.ts';
import { unseal } from '../core/crypto.ts';
import type { OidcStore } from '../store/oidc-store.ts';

export interface AppsDeps {
  store: Pick<OidcStore, 'listOidcGrants' | 'revokeOidcAccess'>;
  /** deriveKey(secret, 'oidc-seal'). */
  sealKey: Buffer;
  now: () => number;
}

export interface AppAccess {
  clientId: string;
  /** client_name, or the client id (also for a client no longer registered). */
  name: string;
  /** The OpenID scopes granted: openid, email, offline_access. */
  scopes: string[];
  /** Epoch ms when the grant was first given. */
  grantedAt: number | null;
}

interface GrantPayload {
  iat?: number;
  openid?: { scope?: string };
}

export async function listApps(deps: AppsDeps, provider: Provider, accountId: string): Promise<AppAccess[]> {
  const grants = await deps.store.listOidcGrants(accountId, deps.now());
  return Promise.all(
    grants.map(async ({ clientId, payload }) => {
      const grant = JSON.parse(unseal(deps.sealKey, payload)) as GrantPayload;
      const client = await provider.Client.find(clientId).catch(() => undefined);
      return {
        clientId,
        name: client?.clientName ?? clientId,
        scopes: (grant.openid?.scope ?? '').split(' ').filter(Boolean),
        grantedAt: typeof grant.iat === 'number' ? grant.iat * 1000 : null,
      };
    }),
  );
}

/** false when this account gave the client nothing (an unknown client answers the same). */
export async function revokeApp(deps: AppsDeps, accountId: string, clientId: string, context: RequestContext): Promise<boolean> {
  if (clientId.length === 0 || clientId.length > 200) return false;
  const at = deps.now();
  const event = auditEvent(context, { type: 'oidc.access_revoked', outcome: 'success', at, userId: accountId, reason: clientId });
  return (await deps.store.revokeOidcAccess(accountId, clientId, [event])) > 0;
}
