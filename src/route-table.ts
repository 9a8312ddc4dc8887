// Every endpoint Latchkey serves, by name (issue #13): its method, its path and
// its group, spelled here once. Core, mail and pages build links with urlFor,
// the HTTP layer mounts each route from this table with its group's guards
// (http/route-groups.ts), and the request metrics and log know a route by its
// name. A leaf: it imports nothing, so every layer may import it.

/**
 * Who calls a route, which decides the guards it gets (http/route-groups.ts):
 * - `browser`: hosted pages and the endpoints their forms post to (JSON too):
 *   the cross-site guard and the CSRF guard.
 * - `api`: JSON only, with the session cookie: the same two guards (the CSRF
 *   guard passes JSON through; a form-encoded body still needs its token).
 * - `admin`: the bearer-token admin API, under one prefix: the same two guards,
 *   then the admin token, on every path under the prefix.
 * - `machine`: machine to machine (a future OAuth token endpoint): form-encoded
 *   or JSON, no cookie, the client authenticates itself; neither browser guard.
 * - `proxy`: a reverse proxy asking whether the request it holds may pass
 *   (forward-auth, issue #16): GET, the original request's cookie and headers,
 *   sets no cookie, changes nothing; neither browser guard (the Origin and
 *   Sec-Fetch-Site it carries are the original request's, to any app).
 * - `system`, `metrics`, `dev`: health, version, documents, assets, /metrics and
 *   the dev mailbox: read only, no guard (/metrics checks its own token).
 */
export type RouteGroup = 'browser' | 'api' | 'admin' | 'machine' | 'proxy' | 'system' | 'metrics' | 'dev';

export type RouteMethod = 'GET' | 'POST' | 'DELETE';

export interface RouteSpec {
  readonly method: RouteMethod;
  /** A Hono pattern: `:name` is a path parameter. */
  readonly path: string;
  readonly group: RouteGroup;
}

/** A group whose every path starts with its prefix mounts its guards on the prefix, so an unknown path under it is guarded too. */
export const GROUP_PREFIXES: Partial<Record<RouteGroup, string>> = { admin: '/admin/' };

const get = (path: string, group: RouteGroup) => ({ method: 'GET', path, group }) as const;
const post = (path: string, group: RouteGroup) => ({ method: 'POST', path, group }) as const;
const del = (path: string, group: RouteGroup) => ({ method: 'DELETE', path, group }) as const;

export const ROUTES = {
  // System: read only, no guard.
  home: get('/', 'system'),
  favicon: get('/favicon.ico', 'system'),
  health: get('/healthz', 'system'),
  ready: get('/readyz', 'system'),
  version: get('/version', 'system'),
  openapi: get('/openapi.json', 'system'),
  asset: get('/auth/assets/:name', 'system'),
  metrics: get('/metrics', 'metrics'),
  devMailbox: get('/dev/mailbox', 'dev'),

  // Sign-in by email: the pages, the request, the code, the link.
  signIn: get('/auth/sign-in', 'browser'),
  checkEmail: get('/auth/check-email', 'browser'),
  signInEmail: post('/auth/sign-in/email', 'browser'),
  signInCode: post('/auth/sign-in/code', 'browser'),
  verifyPage: get('/auth/verify', 'browser'),
  verify: post('/auth/verify', 'browser'),
  // Cross-device approval.
  approve: post('/auth/verify/approve', 'browser'),
  approvalState: get('/auth/approval', 'api'),
  approvalComplete: post('/auth/approval/complete', 'browser'),
  // Password sign-in and the second factor.
  signInPasswordPage: get('/auth/sign-in/password', 'browser'),
  signInPassword: post('/auth/sign-in/password', 'browser'),
  secondFactorPage: get('/auth/sign-in/totp', 'browser'),
  secondFactor: post('/auth/sign-in/totp', 'browser'),
  // Issue #17: a passkey of the step's account completes it (JSON, from the step page's script).
  secondFactorPasskey: post('/auth/sign-in/passkey', 'browser'),
  // Step-up, "confirm it's you" (issues #16/#17): a signed-in session proves its second factor and is rotated.
  stepUpPage: get('/auth/step-up', 'browser'),
  stepUp: post('/auth/step-up', 'browser'),
  stepUpPasskey: post('/auth/step-up/passkey', 'browser'),

  // The session and the account page.
  session: get('/auth/session', 'api'),
  signOut: post('/auth/sign-out', 'browser'),
  sessions: get('/auth/sessions', 'api'),
  sessionDelete: del('/auth/sessions/:id', 'api'),
  sessionRevoke: post('/auth/sessions/:id/revoke', 'browser'),
  otherSessionsRevoke: post('/auth/sessions/revoke-others', 'browser'),
  account: get('/auth/account', 'browser'),
  // Apps signed in to with Latchkey (OpenID Connect, issue #15): their grants, and revoking one.
  apps: get('/auth/apps', 'api'),
  appDelete: del('/auth/apps/:clientId', 'api'),
  appRevoke: post('/auth/apps/:clientId/revoke', 'browser'),
  // The interaction of an authorization (login, or a third-party app's consent page) and the consent page's answer.
  oidcInteraction: get('/oidc/interaction/:uid', 'browser'),
  oidcConsent: post('/oidc/interaction/:uid/consent', 'browser'),

  // TOTP settings.
  totpStatus: get('/auth/totp', 'api'),
  totpEnrol: post('/auth/totp/enrol', 'browser'),
  totpConfirm: post('/auth/totp/confirm', 'browser'),
  totpRecoveryCodes: post('/auth/totp/recovery-codes', 'browser'),
  totpSettings: post('/auth/totp/settings', 'browser'),
  totpDisable: post('/auth/totp/disable', 'browser'),

  // Passkeys (issue #17): registration from a signed-in session, sign-in without one, the account's list.
  passkeyRegistrationOptions: post('/auth/passkeys/registration/options', 'api'),
  passkeyRegistration: post('/auth/passkeys/registration', 'api'),
  passkeySignInOptions: post('/auth/passkeys/sign-in/options', 'api'),
  passkeySignIn: post('/auth/passkeys/sign-in', 'api'),
  passkeys: get('/auth/passkeys', 'api'),
  passkeyRename: post('/auth/passkeys/:id/rename', 'browser'),
  passkeyDelete: del('/auth/passkeys/:id', 'api'),
  passkeyRemove: post('/auth/passkeys/:id/remove', 'browser'),
  passkeyOfferDismiss: post('/auth/passkeys/offer/dismiss', 'browser'),
  passkeySettings: post('/auth/passkeys/settings', 'browser'),

  // The account's password, and its reset by email.
  passwordStatus: get('/auth/password', 'api'),
  passwordSet: post('/auth/password', 'browser'),
  passwordDelete: del('/auth/password', 'api'),
  passwordRemove: post('/auth/password/remove', 'browser'),
  reauthenticate: post('/auth/reauthenticate', 'browser'),
  passwordForgotPage: get('/auth/password/forgot', 'browser'),
  passwordForgot: post('/auth/password/forgot', 'browser'),
  passwordResetPage: get('/auth/password/reset', 'browser'),
  passwordReset: post('/auth/password/reset', 'browser'),

  // The account's address: change (confirm, cancel) and verification.
  emailChange: post('/auth/email/change', 'browser'),
  emailConfirmPage: get('/auth/email/confirm', 'browser'),
  emailConfirm: post('/auth/email/confirm', 'browser'),
  emailCancelPage: get('/auth/email/cancel', 'browser'),
  emailCancel: post('/auth/email/cancel', 'browser'),
  emailVerification: post('/auth/email/verification', 'browser'),
  emailVerifyPage: get('/auth/email/verify', 'browser'),
  emailVerify: post('/auth/email/verify', 'browser'),

  // Forward-auth (issue #16): nginx auth_request, Caddy forward_auth and Traefik forwardAuth ask here.
  authRequest: get('/auth/auth-request', 'proxy'),
  forwardAuth: get('/auth/forward-auth', 'proxy'),

  // The admin API (only with LATCHKEY_ADMIN_TOKEN).
  adminUsers: get('/admin/users', 'admin'),
  adminUserCreate: post('/admin/users', 'admin'),
  adminUserDisable: post('/admin/users/disable', 'admin'),
  adminUserEnable: post('/admin/users/enable', 'admin'),
  adminUserSecondFactorReset: post('/admin/users/second-factor/reset', 'admin'),
  adminSessionsRevoke: post('/admin/sessions/revoke', 'admin'),
  adminAudit: get('/admin/audit', 'admin'),
  adminOutbox: get('/admin/outbox', 'admin'),
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof ROUTES;

export const ROUTE_NAMES = Object.keys(ROUTES) as RouteName[];

/** Query values; null and undefined leave the parameter out. */
export type UrlQuery = Readonly<Record<string, string | number | null | undefined>>;

/**
 * The path of a route, with its `:params` filled in and an optional query
 * (values percent-encoded). A missing parameter is a programming error and throws.
 */
export function urlFor(name: RouteName, params?: Readonly<Record<string, string>>, query?: UrlQuery): string {
  const path = ROUTES[name].path.replace(/:([A-Za-z]+)/g, (_, key: string) => {
    const value = params?.[key];
    if (value === undefined) throw new Error(`urlFor(${name}): missing parameter ${key}`);
    return encodeURIComponent(value);
  });
  const search = Object.entries(query ?? {})
    .filter((entry): entry is [string, string | number] => entry[1] !== null && entry[1] !== undefined)
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
    .join('&');
  return search ? `${path}?${search}` : path;
}

/** The sign-in page, back to the account page after it: where the account's forms and pages send a browser without a (recent) session. */
export const SIGN_IN_TO_ACCOUNT = urlFor('signIn', undefined, { redirectTo: urlFor('account') });

/** The absolute URL of a route on this server (mail links, the CLI's hints). */
export function absoluteUrlFor(baseUrl: URL | string, name: RouteName, params?: Readonly<Record<string, string>>, query?: UrlQuery): string {
  return new URL(urlFor(name, params, query), baseUrl).href;
}

// By path, then method: read once per request (the request log), so no string is built for the look-up.
const BY_PATH = new Map<string, Map<string, RouteName>>();
for (const name of ROUTE_NAMES) {
  const { path, method } = ROUTES[name];
  BY_PATH.set(path, (BY_PATH.get(path) ?? new Map()).set(method, name));
}

/** The route a method and a matched pattern belong to (HEAD is answered by the GET route), or null. */
export function routeNamed(method: string, pattern: string): RouteName | null {
  return BY_PATH.get(pattern)?.get(method === 'HEAD' ? 'GET' : method) ?? null;
}
