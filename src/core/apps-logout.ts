// Account-wide sign-out reaches the apps too (issue #15 follow-up): when an
// operator disables an account or revokes its sessions, resets its second
// factors, or its owner says "this wasn't me", every OpenID Connect client with
// a live grant, code or token of the account is told over the back channel
// (OpenID Connect Back-Channel Logout 1.0, a logout token with `sub` and no
// `sid`: every session of this person at that app). The clients are read
// before the action (two of the four delete the account's records); the tokens
// leave after its commit, and an app that fails never fails the action
// (src/oidc/backchannel.ts audits each outcome).

import type { RequestContext } from './audit.ts';
import type { OidcStore } from '../store/oidc-store.ts';

/** Sends the logout tokens; never throws (each client's outcome is audited as `oidc.backchannel_logout`). */
export type AppsLogout = (userId: string, clientIds: readonly string[], context: RequestContext) => Promise<void>;

export interface AppsLogoutContext {
  store: Pick<OidcStore, 'listOidcClientsOfAccount'>;
  now: () => number;
  /** null: no provider here (no LATCHKEY_OIDC_CLIENTS), so no app to tell. */
  appsLogout?: AppsLogout | null | undefined;
}

/** The account's apps, read before the action that ends its sessions. */
export async function appsOfAccount(ctx: AppsLogoutContext, userId: string): Promise<readonly string[]> {
  return ctx.appsLogout ? ctx.store.listOidcClientsOfAccount(userId, ctx.now()) : [];
}

/** After the commit: the logout tokens, awaited (each waits at most 2.5 s), never a failure of the caller. */
export async function signOutApps(ctx: AppsLogoutContext, userId: string, clientIds: readonly string[], context: RequestContext): Promise<void> {
  if (ctx.appsLogout && clientIds.length > 0) await ctx.appsLogout(userId, clientIds, context);
}
