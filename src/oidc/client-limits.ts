// Failed client authentication and refused grants at the token endpoint go
// through the policy's limits (issue #15): each counts toward the client's
// progressive delay, like an account's failed passwords; a success resets it.
// The route refuses a client in its delay before the provider does any work
// (routes/oidc.ts), by the client id of its Basic credentials.

import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { RequestContext } from '../core/audit.ts';
import { oidcClientAccount, type Policy } from '../core/policy.ts';
import { beforeAnswer, providerRequests } from './audit.ts';

export type ClientPolicy = Pick<Policy, 'checkOidcClient' | 'recordFailure' | 'recordSuccess'>;

/** The failures that may be someone guessing: a wrong client secret, a wrong or replayed code or refresh token. */
const COUNTED = new Set(['invalid_client', 'invalid_grant']);

/** The client id of `Authorization: Basic …` (RFC 6749 §2.3.1: form-urlencoded parts), or null. */
export function basicClientId(authorization: string | undefined): string | null {
  const encoded = /^Basic ([A-Za-z0-9+/=]{1,2048})$/i.exec(authorization ?? '')?.[1];
  if (!encoded) return null;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  try {
    return decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')).slice(0, 200);
  } catch {
    return null;
  }
}

function clientIdOf(ctx: KoaContextWithOIDC): string | null {
  const fromBody = (ctx.oidc.body as Record<string, unknown> | undefined)?.client_id;
  return ctx.oidc.client?.clientId ?? basicClientId(ctx.get('authorization')) ?? (typeof fromBody === 'string' ? fromBody.slice(0, 200) : null);
}

export function limitClientFailures(provider: Provider, policy: ClientPolicy, onError: (error: unknown) => void): void {
  const contextOf = (ctx: KoaContextWithOIDC): RequestContext =>
    providerRequests.get(ctx.req as never) ?? { requestId: null, ip: null, userAgent: null };
  // Awaited before the answer goes out (audit.ts beforeAnswer): the 21st guess is refused however fast it follows the 20th.
  const failed = (ctx: KoaContextWithOIDC, error: { error: string }) => {
    const clientId = clientIdOf(ctx);
    if (clientId === null || !COUNTED.has(error.error)) return;
    beforeAnswer(ctx, policy.recordFailure(oidcClientAccount(clientId), 'password', contextOf(ctx)), onError);
  };
  provider.on('grant.error', failed);
  provider.on('revocation.error', failed);
  provider.on('introspection.error', failed);
  provider.on('grant.success', (ctx) => {
    const clientId = ctx.oidc.client?.clientId;
    if (clientId) beforeAnswer(ctx, policy.recordSuccess(oidcClientAccount(clientId), 'password'), onError);
  });
}
