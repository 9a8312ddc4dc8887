// Back-channel logout (issue #15 item 8; OpenID Connect Back-Channel Logout
// 1.0): a client that registered a `backchannel_logout_uri` gets a logout token
// (a JWT signed with the provider's key: iss, aud, sub, events, jti, and sid when
// it asked for one) when the person's session ends. RP-initiated logout sends
// them itself (oidc-provider's end_session, audited here); signing out of
// Latchkey ends this browser's provider session and sends them from here, and
// an account-wide sign-out (core/apps-logout.ts) sends one naming the account.
// The URIs are the operator's (clients file, admin API, CLI), never a
// relying party's own registration, so they may be on a private network, where
// self-hosted apps live: oidc-provider's guard against private addresses is
// lifted for them (provider.ts `fetch`).

import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { auditEvent, type AuditEvent, type RequestContext } from '../core/audit.ts';
import type { AuditStore } from '../store/store.ts';
import { beforeAnswer, providerRequests } from './audit.ts';

export interface BackchannelDeps {
  store: Pick<AuditStore, 'appendAudit'>;
  now: () => number;
  /** A client that did not answer 200/204 (logged; the sign-out goes on). */
  onError: (error: unknown) => void;
}

interface NotifiableClient {
  clientId: string;
  backchannelLogoutUri?: string | undefined;
  backchannelLogout(sub: string, sid: string | undefined): Promise<void>;
}

const MAX_SESSION_ID = 128;

/**
 * Ends the provider session this browser's cookie names (Latchkey sign-out):
 * the session is destroyed, then each of its clients with a back-channel URI is
 * notified (in parallel; each waits at most 2.5 s, oidc-provider's timeout).
 */
export async function endProviderSession(provider: Provider, sessionId: string | null, context: RequestContext, deps: BackchannelDeps): Promise<void> {
  if (!sessionId || sessionId.length > MAX_SESSION_ID) return;
  const session = await provider.Session.find(sessionId);
  if (!session) return;
  const { accountId } = session;
  const clientIds = Object.keys(session.authorizations ?? {});
  const sids = new Map(clientIds.map((clientId) => [clientId, session.sidFor(clientId)]));
  await session.destroy();
  if (!accountId) return;
  await notifyClients(provider, accountId, clientIds.map((clientId) => ({ clientId, sid: sids.get(clientId) })), context, deps);
}

/**
 * Account-wide sign-out (core/apps-logout.ts: an operator's disable, session
 * revocation or second-factor reset, "this wasn't me"): each client with a
 * back-channel URI gets a logout token naming the account (`sub`) and no
 * `sid`, which the spec (section 2.4) reads as every session of this person at
 * that app. A client that registered backchannel_logout_session_required gets
 * the same token: no one provider session is ended, all of them are. Never throws.
 */
export async function endAccountAtClients(
  provider: Provider,
  accountId: string,
  clientIds: readonly string[],
  context: RequestContext,
  deps: BackchannelDeps,
): Promise<void> {
  await notifyClients(provider, accountId, clientIds.map((clientId) => ({ clientId, sid: undefined })), context, deps).catch(deps.onError);
}

/** One logout token per client with a back-channel URI, in parallel; each outcome audited (a failure logged too). */
async function notifyClients(
  provider: Provider,
  accountId: string,
  targets: ReadonlyArray<{ clientId: string; sid: string | undefined }>,
  context: RequestContext,
  deps: BackchannelDeps,
): Promise<void> {
  const events = await Promise.all(
    targets.map(async ({ clientId, sid }): Promise<AuditEvent | null> => {
      // A client removed since its grant was given (or a file client no longer in the file) is found no more: nothing to tell.
      const client = (await provider.Client.find(clientId).catch(() => undefined)) as unknown as NotifiableClient | undefined;
      if (!client?.backchannelLogoutUri) return null;
      const outcome = await client.backchannelLogout(accountId, sid).then(
        () => 'success' as const,
        (error: unknown) => {
          deps.onError(error);
          return 'failure' as const;
        },
      );
      return auditEvent(context, { type: 'oidc.backchannel_logout', outcome, at: deps.now(), userId: accountId, reason: clientId });
    }),
  );
  const written = events.filter((event): event is AuditEvent => event !== null);
  if (written.length > 0) await deps.store.appendAudit(written);
}

/** The notifications RP-initiated logout sends (the provider's own), in the audit trail. */
export function auditBackchannelLogout(provider: Provider, deps: BackchannelDeps): void {
  const record = (ctx: KoaContextWithOIDC, client: { clientId: string }, accountId: string, outcome: 'success' | 'failure') => {
    const context = providerRequests.get(ctx.req as never) ?? { requestId: null, ip: null, userAgent: null };
    const event = auditEvent(context, { type: 'oidc.backchannel_logout', outcome, at: deps.now(), userId: accountId, reason: client.clientId });
    beforeAnswer(ctx, deps.store.appendAudit([event]), deps.onError);
  };
  provider.on('backchannel.success', (ctx, client, accountId) => record(ctx, client, accountId, 'success'));
  provider.on('backchannel.error', (ctx, error, client, accountId) => {
    deps.onError(error);
    record(ctx, client, accountId, 'failure');
  });
}

/**
 * oidc-provider's outgoing requests (here: logout tokens only) without its
 * private-address guard: every URI it calls was registered by the operator.
 * Its timeout (signal) and headers are kept; redirects are not followed.
 */
export function operatorFetch(url: string | URL | Request, init?: RequestInit): Promise<Response> {
  const { dispatcher: _privateAddressGuard, ...rest } = (init ?? {}) as RequestInit & { dispatcher?: unknown };
  return globalThis.fetch(url, { ...rest, redirect: 'manual' });
}
