// The provider's successes in the audit trail, and every outcome in the metrics (issue #15): `oidc.authorized`
// when a code goes back to a client, `oidc.token_issued` when the token
// endpoint answers. The reason is the client id; never a code or token. The
// request facts (ID, IP, user agent) are the Hono request's, found by Node's
// request object the route handed to the provider.

import type { IncomingMessage } from 'node:http';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { auditEvent, type AuditEventType, type RequestContext } from '../core/audit.ts';
import type { Metrics } from '../core/metrics.ts';
import type { AuditStore } from '../store/store.ts';

export interface ProviderAuditDeps {
  store: Pick<AuditStore, 'appendAudit'>;
  metrics: Pick<Metrics, 'oidcRequest'>;
  now: () => number;
  /** Logged, never thrown: the provider has answered already. */
  onError: (error: unknown) => void;
}

/** The request facts of each request the provider is running, set by the route that hands it over. */
export const providerRequests = new WeakMap<IncomingMessage, RequestContext>();

const PENDING = Symbol('writes before the answer');

/**
 * The provider's events are synchronous: a write one starts (an audit row, a
 * policy count) is kept on the request and awaited before the answer goes out
 * (awaitWritesBeforeAnswer), so the next request sees it.
 */
export function beforeAnswer(ctx: KoaContextWithOIDC, work: Promise<unknown>, onError: (error: unknown) => void): void {
  const state = ctx.state as Record<symbol, Promise<unknown>[] | undefined>;
  (state[PENDING] ??= []).push(work.catch(onError));
}

export function awaitWritesBeforeAnswer(provider: Provider): void {
  provider.use(async (ctx, next) => {
    await next();
    await Promise.all((ctx.state as Record<symbol, Promise<unknown>[] | undefined>)[PENDING] ?? []);
  });
}

export function auditProviderEvents(provider: Provider, deps: ProviderAuditDeps): void {
  const record = (type: AuditEventType, ctx: KoaContextWithOIDC, userId: string | undefined) => {
    const context = providerRequests.get(ctx.req as IncomingMessage) ?? { requestId: null, ip: null, userAgent: null };
    const event = auditEvent(context, { type, outcome: 'success', at: deps.now(), reason: ctx.oidc.client?.clientId ?? null, userId: userId ?? null });
    beforeAnswer(ctx, deps.store.appendAudit([event]), deps.onError);
  };
  provider.on('authorization.success', (ctx) => record('oidc.authorized', ctx, ctx.oidc.session?.accountId));
  provider.on('grant.success', (ctx) => record('oidc.token_issued', ctx, ctx.oidc.entities.AccessToken?.accountId ?? ctx.oidc.entities.Account?.accountId));
  // Metrics: the client label is a registered client's id only (an unauthenticated id is request text: unbounded).
  const client = (ctx: KoaContextWithOIDC) => ctx.oidc?.client?.clientId ?? 'unknown';
  const code = (error: { error?: unknown }) => (typeof error.error === 'string' && /^[a-z_]{1,40}$/.test(error.error) ? error.error : 'server_error');
  provider.on('authorization.success', (ctx) => deps.metrics.oidcRequest('authorization', client(ctx), 'success'));
  provider.on('authorization.error', (ctx, error) => deps.metrics.oidcRequest('authorization', client(ctx), code(error)));
  provider.on('grant.success', (ctx) => deps.metrics.oidcRequest('token', client(ctx), 'success'));
  provider.on('grant.error', (ctx, error) => deps.metrics.oidcRequest('token', client(ctx), code(error)));
}
