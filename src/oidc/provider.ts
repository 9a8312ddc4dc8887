// Latchkey as an OpenID Connect provider (issue #15, first slice): panva's
// oidc-provider configured for the authorization code flow only, its storage
// in our Store (adapter.ts), its keys from the database (keys.ts), its clients
// from the operator's file (clients.ts), and its login delegated to Latchkey's
// own sign-in (interaction.ts). Only what works is enabled, so discovery
// advertises only that.

import Provider, { interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { deriveKey } from '../core/crypto.ts';
import type { LatchkeyConfig } from '../config.ts';
import type { OidcStore } from '../store/oidc-store.ts';
import { oidcAdapter, type AdapterStore } from './adapter.ts';
import { providerClient, type ClientRegistryDeps } from './client-registry.ts';
import type { OidcClient } from './clients.ts';
import { renderProviderError } from './error-page.ts';
import { logoutSource, postLogoutSuccessSource } from './logout-pages.ts';
import { endLatchkeySessionOnLogout, type LogoutDeps } from './logout.ts';
import type { SigningJwk } from './keys.ts';
import { OIDC_PATHS } from './paths.ts';

export { OIDC_PATHS };

/** Seconds. A code lives one minute (issue #15); an interaction long enough to fetch an emailed link. */
const TTL = { AuthorizationCode: 60, AccessToken: 3600, IdToken: 3600, Interaction: 3600, Grant: 14 * 86_400 } as const;

export interface OidcProviderDeps {
  config: Pick<LatchkeyConfig, 'baseUrl' | 'secret' | 'sessionTtlSeconds' | 'production'> & Parameters<typeof renderProviderError>[0];
  store: AdapterStore & ClientRegistryDeps['store'] & LogoutDeps['store'] & Pick<OidcStore, 'findOidcAccount'>;
  clients: OidcClient[];
  keys: SigningJwk[];
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
  provider: Provider;
  /** The clients file's clients (the others are in the store). */
  fileClients: OidcClient[];
  /** A client of the file or the store marked first_party: no consent screen. */
  isFirstParty(clientId: string): Promise<boolean>;
  /** What the admin API and the CLI register clients with. */
  registry: ClientRegistryDeps;
}

export function createOidcProvider(deps: OidcProviderDeps): OidcProvider {
  const sealKey = deriveKey(deps.config.secret, 'oidc-seal');
  const configuration: Configuration = {
    adapter: oidcAdapter({ store: deps.store, sealKey, now: deps.now, findClient: (id) => providerClient({ store: deps.store, sealKey }, id) }),
    clients: deps.clients.map((c) => ({ ...c.metadata, first_party: c.firstParty })),
    extraClientMetadata: { properties: ['first_party'] },
    jwks: { keys: deps.keys },
    async findAccount(_ctx, sub) {
      // A disabled or deleted account has no claims: userinfo answers invalid_token.
      const user = await deps.store.findOidcAccount(sub);
      if (!user) return undefined;
      return { accountId: user.id, claims: () => ({ sub: user.id, email: user.email, email_verified: user.emailVerified }) };
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
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
      dPoP: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      resourceIndicators: { enabled: false },
      userinfo: { enabled: true },
    },
    // CORS on the token and userinfo endpoints only for the origins of a public
    // client's redirect URIs (a browser app), never for a confidential client
    // (its secret lives on a server). Discovery and JWKS are public: open CORS.
    renderError: renderProviderError(deps.config),
    clientBasedCORS: (_ctx, origin, client) =>
      origin !== 'null' && client.clientAuthMethod === 'none' && (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin),
    interactions: {
      url: (_ctx, interaction) => `${OIDC_PATHS.interaction}/${interaction.uid}`,
      policy: policy(deps),
    },
    loadExistingGrant: loadGrant,
    cookies: {
      keys: [deriveKey(deps.config.secret, 'oidc-cookies').toString('base64url')],
      names: { session: 'latchkey_oidc_session', interaction: 'latchkey_oidc_interaction', resume: 'latchkey_oidc_resume' },
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
    // A refresh token lives as long as a Latchkey session may (LATCHKEY_SESSION_TTL).
    ttl: { ...TTL, Session: deps.config.sessionTtlSeconds, RefreshToken: deps.config.sessionTtlSeconds },
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
  return {
    provider,
    fileClients: deps.clients,
    isFirstParty: async (clientId) => (await provider.Client.find(clientId))?.metadata().first_party === true,
    registry: {
      store: deps.store,
      sealKey,
      now: deps.now,
      production: deps.config.production,
      fileClientIds: new Set(deps.clients.map((c) => c.metadata.client_id)),
    },
  };
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

/** The grant of this session and client; a first-party client gets the scopes it asks for without a consent screen. */
async function loadGrant(ctx: KoaContextWithOIDC) {
  const { oidc } = ctx;
  const clientId = oidc.client?.clientId;
  const accountId = oidc.session?.accountId;
  if (!clientId || !accountId) return undefined;
  const grantId = oidc.result?.consent?.grantId ?? oidc.session?.grantIdFor(clientId);
  const existing = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  if (oidc.client?.metadata().first_party !== true) return existing;
  const grant = existing && existing.accountId === accountId ? existing : new oidc.provider.Grant({ clientId, accountId });
  grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
  await grant.save();
  return grant;
}
