// Where the provider's endpoints and its session cookie live, apart from provider.ts so that the routes
// can name them without loading oidc-provider (and Koa) at startup: it is loaded
// only when LATCHKEY_OIDC_CLIENTS turns the provider on (issue #14 item 5).

/** Where the provider's endpoints live; discovery stays at /.well-known/openid-configuration (RFC 8414). */
export const OIDC_PATHS = {
  authorization: '/oidc/auth',
  token: '/oidc/token',
  userinfo: '/oidc/userinfo',
  jwks: '/oidc/jwks',
  revocation: '/oidc/token/revocation',
  introspection: '/oidc/token/introspection',
  endSession: '/oidc/session/end',
} as const;

/** The provider's session cookie: Latchkey's sign-out ends the session it names (backchannel.ts). */
export const PROVIDER_SESSION_COOKIE = 'latchkey_oidc_session';
