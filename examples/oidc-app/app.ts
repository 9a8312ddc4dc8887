// The relying party: an app of its own (its own origin, its own session) that
// lets people "Sign in with Latchkey" over OpenID Connect, with openid-client.
// It imports nothing of Latchkey: any app in any language does the same.
//   GET  /          who is signed in, or the "Sign in with Latchkey" link
//   GET  /login     starts the authorization (PKCE S256, state, nonce)
//   GET  /callback  the code for tokens; the id_token's email becomes the session
//   POST /logout    ends this app's session, then Latchkey's (RP-initiated logout)
import { randomBytes } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import * as oidc from 'openid-client';

export interface RelyingPartyOptions {
  /** The Latchkey issuer: its LATCHKEY_BASE_URL. */
  issuer: URL;
  clientId: string;
  /** Absent: a public client (PKCE alone). */
  clientSecret?: string;
  /** This app's own URL: the redirect URI is <appUrl>/callback, the post-logout one <appUrl>/. */
  appUrl: URL;
  /** The heading of the app's page (two of these apps show single sign-on). */
  title?: string;
}

interface Visit {
  /** An authorization under way: what the callback checks. */
  pending?: { verifier: string; state: string; nonce: string };
  user?: { email: string; sub: string; idToken: string };
  /** The state sent with RP-initiated logout: Latchkey sends it back. */
  logoutState?: string;
}

const COOKIE = 'oidc_app_session';
/** Visits kept in memory; the oldest goes first past this (a real app keeps sessions in its database). */
const MAX_VISITS = 10_000;

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function relyingPartyApp(options: RelyingPartyOptions): Hono {
  const title = options.title ?? 'Example app';
  const redirectUri = new URL('/callback', options.appUrl).href;
  const postLogoutRedirectUri = new URL('/', options.appUrl).href;
  const visits = new Map<string, Visit>();

  // Discovery once, at the first use (Latchkey may start after this app); a failure is retried next time.
  let configuration: Promise<oidc.Configuration> | undefined;
  const config = () =>
    (configuration ??= oidc
      .discovery(
        options.issuer,
        options.clientId,
        undefined,
        options.clientSecret ? oidc.ClientSecretBasic(options.clientSecret) : oidc.None(),
        // http only for a development issuer (http://localhost); production issuers are https.
        options.issuer.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : undefined,
      )
      .catch((error: unknown) => {
        configuration = undefined;
        throw error;
      }));

  const page = (body: string) =>
    `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escape(title)}</title><main><h1>${escape(title)}</h1>${body}</main></html>`;

  /** This browser's visit, made (with its cookie) when it has none. */
  const visitOf = (c: Context): Visit => {
    const id = getCookie(c, COOKIE);
    const known = id ? visits.get(id) : undefined;
    if (known) return known;
    const fresh: Visit = {};
    const newId = randomBytes(32).toString('base64url');
    if (visits.size >= MAX_VISITS) visits.delete(visits.keys().next().value!);
    visits.set(newId, fresh);
    setCookie(c, COOKIE, newId, { httpOnly: true, sameSite: 'Lax', path: '/', secure: options.appUrl.protocol === 'https:' });
    return fresh;
  };

  const app = new Hono();
  app.use(async (c, next) => {
    await next();
    c.header('cache-control', 'no-store');
    c.header('content-security-policy', "default-src 'none'; form-action 'self' " + options.issuer.origin);
  });
  app.get('/healthz', (c) => c.text('ok'));
  app.get('/favicon.ico', (c) => c.body(null, 204));

  app.get('/', (c) => {
    const visit = visitOf(c);
    // Back from Latchkey's logout: the state we sent says it was ours.
    const signedOut = visit.logoutState !== undefined && c.req.query('state') === visit.logoutState;
    if (signedOut) delete visit.logoutState;
    if (visit.user) {
      return c.html(
        page(
          `<p>Signed in as <strong data-testid="email">${escape(visit.user.email)}</strong>.</p>` +
            '<form method="post" action="/logout"><button>Sign out</button></form>',
        ),
      );
    }
    return c.html(
      page(
        (signedOut ? '<p data-testid="signed-out">You are signed out, of Latchkey too.</p>' : '<p>You are not signed in.</p>') +
          '<p><a href="/login">Sign in with Latchkey</a></p>',
      ),
    );
  });

  app.get('/login', async (c) => {
    const visit = visitOf(c);
    const pending = { verifier: oidc.randomPKCECodeVerifier(), state: oidc.randomState(), nonce: oidc.randomNonce() };
    visit.pending = pending;
    const url = oidc.buildAuthorizationUrl(await config(), {
      redirect_uri: redirectUri,
      scope: 'openid email',
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    return c.redirect(url.href, 303);
  });

  app.get('/callback', async (c) => {
    const visit = visitOf(c);
    const pending = visit.pending;
    delete visit.pending;
    if (!pending) return c.html(page('<p>No sign-in is under way in this browser. <a href="/login">Start again</a>.</p>'), 400);
    // The callback URL as registered (not as the Host header says), with Latchkey's answer.
    const current = new URL(redirectUri);
    current.search = new URL(c.req.url).search;
    try {
      // Checks state, the iss parameter (RFC 9207), PKCE, and the id_token (issuer, audience, nonce, expiry).
      const tokens = await oidc.authorizationCodeGrant(await config(), current, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims()!;
      visit.user = { email: String(claims.email), sub: claims.sub, idToken: tokens.id_token! };
      return c.redirect('/', 303);
    } catch (error) {
      // Denied, expired, tampered: say so; never show the code or a token.
      const code = (error as { error?: string; code?: string }).error ?? (error as { code?: string }).code ?? 'error';
      return c.html(page(`<p>Sign-in did not complete (<code>${escape(code)}</code>). <a href="/login">Try again</a>.</p>`), 400);
    }
  });

  app.post('/logout', async (c) => {
    const visit = visitOf(c);
    const user = visit.user;
    delete visit.user;
    if (!user) return c.redirect('/', 303);
    // Latchkey asks the person to confirm, ends its session, and comes back to / with this state.
    visit.logoutState = oidc.randomState();
    const end = oidc.buildEndSessionUrl(await config(), {
      id_token_hint: user.idToken,
      post_logout_redirect_uri: postLogoutRedirectUri,
      state: visit.logoutState,
    });
    return c.redirect(end.href, 303);
  });

  return app;
}
