// Latchkey as an OpenID Connect provider (issue #15, first slice): panva's
// oidc-provider configured for the authorization code flow only, its storage
// in our Store (adapter.ts), its keys from the database (keys.ts), its clients
// from the operator's file (clients.ts), and its login delegated to Latchkey's
// own sign-in (interaction.ts). Only what works is enabled, so discovery
// advertises only that.

import Provider, { interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { AppsLogout } from '../core/apps-logout.ts';
import type { RequestContext } from '../core/audit.ts';
import { deriveKey } from '../core/crypto.ts';
import { urlFor } from '../route-table.ts';
import type { LatchkeyConfig } from '../config.ts';
import type { OidcStore } from '../store/oidc-store.ts';
import type { AuditStore } from '../store/store.ts';
import { oidcAdapter, type AdapterStore } from './adapter.ts';
import { auditBackchannelLogout, endAccountAtClients, endProviderSession, operatorFetch } from './backchannel.ts';
import type { AppsDeps } from './apps.ts';
import { providerClient, type ClientRegistryDeps } from './client-registry.ts';
import type { OidcClient } from './clients.ts';
import { rememberedGrantId } from './consent.ts';
import { renderProviderError } from './error-page.ts';
import { logoutSource, postLogoutSuccessSource } from './logout-pages.ts';
import { endLatchkeySessionOnLogout, type LogoutDeps } from './logout.ts';
import { ID_TOKEN_TTL_SECONDS, KEY_CHECK_INTERVAL_MS, type SigningJwk } from './keys.ts';
import { OIDC_PATHS, PROVIDER_SESSION_COOKIE } from './paths.ts';

export { OIDC_PATHS, PROVIDER_SESSION_COOKIE };

/** Seconds. A code lives one minute (issue #15); an interaction long enough to fetch an emailed link. */
const TTL = { AuthorizationCode: 60, AccessToken: ID_TOKEN_TTL_SECONDS, IdToken: ID_TOKEN_TTL_SECONDS, Interaction: 3600 } as const;
/** A grant (a remembered consent, the family of a refresh token) lives at least 14 days. */
const MIN_GRANT_TTL = 14 * 86_400;

export interface OidcProviderDeps {
  config: Pick<LatchkeyConfig, 'baseUrl' | 'secret' | 'sessionTtlSeconds' | 'production'> & Parameters<typeof renderProviderError>[0];
  store: AdapterStore & ClientRegistryDeps['store'] & LogoutDeps['store'] & Pick<OidcStore, 'findOidcAccount' | 'listOidcGrants' | 'revokeOidcAccess'> &
    Pick<AuditStore, 'appendAudit'>;
  clients: OidcClient[];
  /** The keys to publish, newest first (the first signs), as loaded at start. */
  keys: SigningJwk[];
  /** The keys to publish now (keys.ts loadSigningKeys): a rotation is picked up within KEY_CHECK_INTERVAL_MS. */
  reloadKeys?: () => Promise<SigningJwk[]>;
  /** A logout token a client refused, an audit row not written: logged, never thrown. */
  onError: (error: unknown) => void;
  /** Called with each provider built (at start, and again after a key rotation): its events and middleware. */
  onBuilt?: (provider: Provider) => void;
  now: () => number;
  /**
   * The Latchkey session the request's cookie header carries, or null. Every
   * authorization asks it: the Latchkey session, not the provider's own, says
   * who is signed in (signing out of Latchkey ends single sign-on).
   */
  latchkeySession: LogoutDeps['latchkeySession'];
  /** The Latchkey session cookie (RP-initiated logout clears it). */
  sessionCookie: LogoutDeps['cookie'];
}

export interface OidcProvider {
  /** The provider signing with the newest key; replaced by a new one when the published keys change. */
  readonly provider: Provider;
  /** Node's request handler of the current provider. */
  handler(): ReturnType<Provider['callback']>;
  /** At most once per KEY_CHECK_INTERVAL_MS: reloads the keys, and rebuilds the provider when they changed (a rotation, a retired key dropped). */
  refreshSigningKeys(): Promise<void>;
  /** The clients file's clients (the others are in the store). */
  fileClients: OidcClient[];
  /** Latchkey sign-out: ends the provider session this browser's cookie names, with back-channel logout to its clients. */
  endBrowserSession(sessionId: string | null, context: RequestContext): Promise<void>;
  /** Account-wide sign-out (core/apps-logout.ts): a logout token naming the account to each of these clients with a back-channel URI. */
  appsLogout: AppsLogout;
  /** A client of the file or the store marked first_party: no consent screen. */
  isFirstParty(clientId: string): Promise<boolean>;
  /** What the admin API and the CLI register clients with. */
  registry: ClientRegistryDeps;
  /** "Apps with access": the account's grants and their revocation (apps.ts). */
  apps: AppsDeps;
}

export function createOidcProvider(deps: OidcProviderDeps): OidcProvider {
  const sealKey = deriveKey(deps.config.secret, 'oidc-seal');
  let keys = deps.keys;
  let provider = buildProvider(deps, sealKey, keys);
  let handler = provider.callback();
  let checkedAt = deps.now();
  let checking: Promise<void> | null = null;
  const kids = (list: SigningJwk[]) => list.map((key) => key.kid).join(' ');
  async function check(): Promise<void> {
    const loaded = await deps.reloadKeys!();
    if (kids(loaded) === kids(keys)) return;
    keys = loaded;
    provider = buildProvider(deps, sealKey, keys);
    handler = provider.callback();
  }
  return {
    get provider() {
      return provider;
    },
    handler: () => handler,
    async refreshSigningKeys() {
      if (!deps.reloadKeys || deps.now() - checkedAt < KEY_CHECK_INTERVAL_MS) return checking ?? undefined;
      checkedAt = deps.now();
      checking ??= check().finally(() => (checking = null));
      return checking;
    },
    endBrowserSession: (sessionId, context) => endProviderSession(provider, sessionId, context, { store: deps.store, now: deps.now, onError: deps.onError }),
    appsLogout: (accountId, clientIds, context) =>
      endAccountAtClients(provider, accountId, clientIds, context, { store: deps.store, now: deps.now, onError: deps.onError }),
    fileClients: deps.clients,
    isFirstParty: async (clientId) => (await provider.Client.find(clientId))?.metadata().first_party === true,
    apps: { store: deps.store, sealKey, now: deps.now },
    registry: {
      store: deps.store,
      sealKey,
      now: deps.now,
      production: deps.config.production,
      fileClientIds: new Set(deps.clients.map((c) => c.metadata.client_id)),
    },
  };
}

function buildProvider(deps: OidcProviderDeps, sealKey: Buffer, keys: SigningJwk[]): Provider {
  const configuration: Configuration = {
    adapter: oidcAdapter({ store: deps.store, sealKey, now: deps.now, findClient: (id) => providerClient({ store: deps.store, sealKey }, id) }),
    clients: deps.clients.map((c) => ({ ...c.metadata, first_party: c.firstParty })),
    extraClientMetadata: { properties: ['first_party'] },
    jwks: { keys },
    async findAccount(_ctx, sub) {
      // A disabled or deleted account has no claims: userinfo answers invalid_token.
      const user = await deps.store.findOidcAccount(sub);
      if (!user) return undefined;
      return { accountId: user.id, claims: () => ({ sub: user.id, email: user.email, email_verified: user.emailVerified }) };
    },
    // amr (RFC 8176) comes from the Latchkey session (interaction.ts): in every id_token, with the openid scope.
    claims: { openid: ['sub', 'amr'], email: ['email', 'email_verified'] },
    scopes: ['openid', 'email', 'offline_access'],
    // The id_token carries the scopes' claims (email) even when an access token is issued too.
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    // RFC 7636: PKCE for every public client (S256 only: oidc-provider 9 knows no `plain`).
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    enabledJWA: { idTokenSigningAlgValues: ['RS256'], userinfoSigningAlgValues: ['RS256'] },
    features: {
      devInteractions: { enabled: false },
      // RFC 7009: a client revokes its own tokens (a public one too: it signs out).
      revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      // RFC 7662, for confidential clients and their own tokens; a disabled account's tokens are inactive.
      introspection: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) =>
          client.clientAuthMethod !== 'none' &&
          token.clientId === client.clientId &&
          (!('accountId' in token) || (await deps.store.findOidcAccount(token.accountId)) !== null),
      },
      // Ends the Latchkey session of this browser too, once confirmed (logout.ts).
      rpInitiatedLogout: { enabled: true, logoutSource: logoutSource(deps.config), postLogoutSuccessSource: postLogoutSuccessSource(deps.config) },
      // OpenID Connect Back-Channel Logout 1.0: logout tokens to the clients of an ended session (backchannel.ts).
      backchannelLogout: { enabled: true },
      dPoP: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      resourceIndicators: { enabled: false },
      userinfo: { enabled: true },
    },
    // CORS on the token and userinfo endpoints only for the origins of a public
    // client's redirect URIs (a browser app), never for a confidential client
    // (its secret lives on a server). Discovery and JWKS are public: open CORS.
    renderError: renderProviderError(deps.config),
    // Its only outgoing requests are logout tokens, to URIs the operator registered (backchannel.ts).
    fetch: operatorFetch,
    clientBasedCORS: (_ctx, origin, client) =>
      origin !== 'null' && client.clientAuthMethod === 'none' && (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin),
    interactions: {
      url: (_ctx, interaction) => urlFor('oidcInteraction', { uid: interaction.uid }),
      policy: policy(deps),
    },
    loadExistingGrant: loadGrant({ store: deps.store, sealKey, now: deps.now }),
    cookies: {
      keys: [deriveKey(deps.config.secret, 'oidc-cookies').toString('base64url')],
      names: { session: PROVIDER_SESSION_COOKIE, interaction: 'latchkey_oidc_interaction', resume: 'latchkey_oidc_resume' },
    },
    routes: {
      authorization: OIDC_PATHS.authorization,
      token: OIDC_PATHS.token,
      userinfo: OIDC_PATHS.userinfo,
      jwks: OIDC_PATHS.jwks,
      revocation: OIDC_PATHS.revocation,
      introspection: OIDC_PATHS.introspection,
      end_session: OIDC_PATHS.endSession,
    },
    // A refresh token lives as long as a Latchkey session may (LATCHKEY_SESSION_TTL), and its grant
    // at least as long: the provider refuses a refresh token whose grant has expired.
    ttl: {
      ...TTL,
      Session: deps.config.sessionTtlSeconds,
      RefreshToken: deps.config.sessionTtlSeconds,
      Grant: Math.max(MIN_GRANT_TTL, deps.config.sessionTtlSeconds),
    },
  };
  // The issuer is the base URL exactly: an origin, no trailing slash.
  const provider = new Provider(deps.config.baseUrl.origin, configuration);
  // The route (http/routes/oidc.ts) sets Host and X-Forwarded-Proto from the base URL on
  // every request it hands over: the provider's URLs and its cookies' `secure` follow the
  // base URL, whatever a client or a TLS-terminating proxy sent.
  provider.proxy = true;
  endLatchkeySessionOnLogout(provider, {
    store: deps.store,
    now: deps.now,
    latchkeySession: deps.latchkeySession,
    cookie: deps.sessionCookie,
    resumePrefix: `${deps.config.baseUrl.origin}${OIDC_PATHS.authorization}/`,
  });
  auditBackchannelLogout(provider, { store: deps.store, now: deps.now, onError: deps.onError });
  deps.onBuilt?.(provider);
  return provider;
}

/**
 * The default prompts, with one more login check: the provider's session must
 * name the account of a live Latchkey session. The resumption that carries a
 * login we just finished passes it; otherwise a missing, ended or other
 * account's Latchkey session sends the browser through the interaction (which
 * finishes at once when a Latchkey session exists), and `prompt=none` gets
 * `login_required`.
 */
function policy(deps: OidcProviderDeps): interactionPolicy.DefaultPolicy {
  const prompts = interactionPolicy.base();
  prompts.get('login')?.checks.add(
    new interactionPolicy.Check('latchkey_session', 'End-User is not signed in to Latchkey', 'login_required', async (ctx) => {
      if (ctx.oidc.result?.login) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      const userId = (await deps.latchkeySession(ctx.get('cookie') || undefined))?.user.id ?? null;
      return userId !== null && userId === ctx.oidc.session?.accountId
        ? interactionPolicy.Check.NO_NEED_TO_PROMPT
        : interactionPolicy.Check.REQUEST_PROMPT;
    }),
  );
  return prompts;
}

/**
 * The grant of this account and client: the one this browser's provider session
 * names, else the one the account gave on another device (consent.ts). A
 * first-party client gets the scopes it asks for without a consent screen; a
 * third-party client without a grant covering the request gets the consent page.
 */
function loadGrant(deps: Parameters<typeof rememberedGrantId>[0]) {
  return async (ctx: KoaContextWithOIDC) => {
    const { oidc } = ctx;
    const clientId = oidc.client?.clientId;
    const accountId = oidc.session?.accountId;
    if (!clientId || !accountId) return undefined;
    const usable = async (grantId: string | undefined) => {
      const found = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
      return found && found.accountId === accountId && found.clientId === clientId ? found : undefined;
    };
    const existing =
      (await usable(oidc.result?.consent?.grantId ?? oidc.session?.grantIdFor(clientId))) ??
      (await usable(await rememberedGrantId(deps, accountId, clientId)));
    if (oidc.client?.metadata().first_party !== true) return existing;
    const grant = existing ?? new oidc.provider.Grant({ clientId, accountId });
    grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
    await grant.save();
    return grant;
  };
}
