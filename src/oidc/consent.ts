// Consent for third-party clients (issue #15 item 5): what the consent page
// names (the app, and what it will see), and the person's answer. Allow
// records the scopes in the account's Grant for that client (oidc-provider's
// model, kept in the Store), so the next authorization does not ask again,
// on any device; Deny sends `access_denied` back to the client.
// First-party clients never get here: provider.ts grants them without asking.

import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';
import { unseal } from '../core/crypto.ts';
import type { OidcStore } from '../store/oidc-store.ts';

/** What the consent page shows: the client, and what it will see. */
export interface ConsentView {
  clientId: string;
  /** client_name, or the client id. */
  appName: string;
  /** Its address (the `email` scope). */
  email: boolean;
  /** Access while the person is away: a refresh token (`offline_access`). */
  offlineAccess: boolean;
}

/** The interaction's consent prompt, as the provider describes it (a subset of interactionDetails()). */
export interface ConsentPrompt {
  grantId?: string | undefined;
  params: Record<string, unknown>;
  prompt: { details: Record<string, unknown> };
  session?: { accountId: string } | undefined;
}

const list = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

export async function consentView(provider: Provider, details: ConsentPrompt): Promise<ConsentView> {
  const clientId = String(details.params.client_id);
  const client = await provider.Client.find(clientId);
  const requested = new Set(String(details.params.scope ?? '').split(' '));
  // The provider leaves offline_access out unless prompt=consent was asked (OIDC Core §11): it is only shown when missing.
  const missing = new Set(list(details.prompt.details.missingOIDCScope));
  return {
    clientId,
    appName: client?.clientName ?? clientId,
    email: requested.has('email'),
    offlineAccess: missing.has('offline_access'),
  };
}

/** Allow: the missing scopes and claims added to this account's grant for the client (a new one if none), saved. */
export async function allowConsent(provider: Provider, details: ConsentPrompt): Promise<InteractionResults> {
  const accountId = details.session?.accountId;
  const clientId = String(details.params.client_id);
  if (!accountId) throw new Error('consent without a signed-in account');
  const existing = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
  const grant = existing && existing.accountId === accountId && existing.clientId === clientId ? existing : new provider.Grant({ accountId, clientId });
  const scopes = list(details.prompt.details.missingOIDCScope);
  if (scopes.length) grant.addOIDCScope(scopes.join(' '));
  const claims = list(details.prompt.details.missingOIDCClaims);
  if (claims.length) grant.addOIDCClaims(claims);
  const resources = details.prompt.details.missingResourceScopes;
  if (resources && typeof resources === 'object') {
    for (const [indicator, values] of Object.entries(resources)) grant.addResourceScope(indicator, list(values).join(' '));
  }
  return { consent: { grantId: await grant.save() } };
}

export const DENIED: InteractionResults = { error: 'access_denied', error_description: 'the person did not allow this app' };

/**
 * The grant this account gave the client earlier, on any device (the provider's
 * session remembers grants per browser only): its id, or undefined.
 */
export async function rememberedGrantId(
  deps: { store: Pick<OidcStore, 'listOidcGrants'>; sealKey: Buffer; now: () => number },
  accountId: string,
  clientId: string,
): Promise<string | undefined> {
  const grants = await deps.store.listOidcGrants(accountId, deps.now());
  const found = grants.find((g) => g.clientId === clientId);
  if (!found) return undefined;
  const payload = JSON.parse(unseal(deps.sealKey, found.payload)) as { jti?: unknown };
  return typeof payload.jti === 'string' ? payload.jti : undefined;
}
