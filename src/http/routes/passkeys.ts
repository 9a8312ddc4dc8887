// Passkeys (issue #17, /auth/passkeys/*): the options and the verification of
// a registration (signed in) and of a sign-in (no session), the account's list,
// rename and remove. The ceremony's challenge is bound to this browser by the
// passkey cookie (HttpOnly, 5 minutes); the hosted pages call the JSON
// endpoints from /auth/assets/passkeys.js, and rename and remove also take the
// account page's forms.
import type { Context } from 'hono';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { z } from 'zod';
import type { ErrorCode } from '../../core/errors.ts';
import { PASSKEY_CHALLENGE_TTL_SECONDS } from '../../core/passkey-challenges.ts';
import { passkeyRegistrationOptions, registerPasskey } from '../../core/passkey-registration.ts';
import { passkeySignInOptions, signInWithPasskey } from '../../core/passkey-sign-in.ts';
import { listPasskeys, passkeyView, removePasskey, renamePasskey, setEmailSignInRequiresPasskey, type PasskeyView } from '../../core/passkeys.ts';
import type { ValidSession } from '../../core/sessions.ts';
import { RECENT_SIGN_IN_SECONDS } from '../../core/policy.ts';
import { formatUtc } from '../../i18n/catalog.ts';
import { describeUserAgent } from '../../mail/user-agent.ts';
import type { PasskeySectionView } from '../../pages/passkey-section.ts';
import { urlFor } from '../../route-table.ts';
import { readCookie, writeCookie } from '../cookies.ts';
import type { AppEnv, HttpDeps } from '../env.ts';
import { errorResponse } from '../error-page.ts';
import { jsonError } from '../errors.ts';
import { pageContext } from '../pages.ts';
import { readBody, requestContext } from '../request.ts';
import type { Endpoints, Handler } from '../route-groups.ts';
import { currentSession, malformedVerification, signedInJson, verifiedJson, withSession } from './shared.ts';

/** Base64url fields of a WebAuthn answer, bounded before any work. */
const b64 = (max: number) => z.string().max(max).regex(/^[A-Za-z0-9_-]*$/);
const credentialFields = {
  id: b64(1366),
  rawId: b64(1366),
  type: z.literal('public-key'),
  clientExtensionResults: z.record(z.string().max(64), z.unknown()).default({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
};
const registrationBody = z.object({
  response: z.object({
    ...credentialFields,
    response: z.object({
      clientDataJSON: b64(4096),
      attestationObject: b64(8192),
      transports: z.array(z.string().max(32)).max(8).optional(),
    }),
  }),
  name: z.string().max(256).optional(),
});
/** A passkey sign-in's answer: the sign-in (with its redirect) and the second-factor step (routes/second-factor.ts). */
export const assertionBody = z.object({
  response: z.object({
    ...credentialFields,
    response: z.object({
      clientDataJSON: b64(4096),
      authenticatorData: b64(4096),
      signature: b64(2048),
      userHandle: b64(1024).optional(),
    }),
  }),
});
const signInBody = assertionBody.extend({ redirectTo: z.string().max(2048).optional() });
const renameBody = z.object({ name: z.string().max(256) });
const settingsBody = z.object({
  emailSignInRequiresPasskey: z.union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')]),
});
const ID = /^[0-9a-f-]{36}$/;
const OFFER_DISMISSED_SECONDS = 30 * 86_400;

/** Errors the account page's passkey section shows inline (nothing else reaches it). */
const INLINE_ERRORS = new Set<ErrorCode>(['reauthentication_required', 'rate_limited', 'invalid_request', 'passkey_not_found', 'passkey_last_way_in']);

function viewJson(view: PasskeyView) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return { ...view, createdAt: iso(view.createdAt), lastUsedAt: iso(view.lastUsedAt) };
}

const NOTICES = new Set(['added', 'renamed', 'removed']);

/** The account page's passkey section (routes/session.ts renders it); null when passkeys are unavailable. */
export async function passkeySectionView(c: Context<AppEnv>, deps: HttpDeps, found: ValidSession): Promise<PasskeySectionView | null> {
  if (!deps.passkeys) return null;
  const passkeys = await listPasskeys(deps, found.user.id);
  // Display only: the actions themselves ask the policy (and audit a refusal).
  const recent = deps.now() - found.session.authenticatedAt <= RECENT_SIGN_IN_SECONDS * 1000;
  const asked = c.req.query('passkey') ?? '';
  const settings = await deps.store.getPasskeySettings(found.user.id);
  return {
    recent,
    emailSignInRequiresPasskey: settings.emailSignInRequiresPasskey,
    passkeys: passkeys.map((p) => ({ ...p, createdAt: formatUtc(p.createdAt), lastUsedAt: p.lastUsedAt === null ? null : formatUtc(p.lastUsedAt) })),
    notice: NOTICES.has(asked) ? (asked as PasskeySectionView['notice']) : null,
    error: INLINE_ERRORS.has(asked as ErrorCode) ? pageContext(c, deps).t(`error.${asked as ErrorCode}.message`) : null,
    offer: recent && passkeys.length === 0 && readCookie(c, deps.cookies.passkeyOffer) === undefined,
  };
}

export function passkeyRoutes(deps: HttpDeps): Endpoints {
  const names = deps.cookies;
  const browserToken = (c: Context<AppEnv>) => readCookie(c, names.passkey);

  function started(c: Context<AppEnv>, token: string, options: object): Response {
    writeCookie(c, names, names.passkey, token, PASSKEY_CHALLENGE_TTL_SECONDS);
    c.header('Cache-Control', 'no-store');
    return c.json({ options });
  }

  function backToAccount(c: Context<AppEnv>, notice: string | null): Response {
    c.header('Cache-Control', 'no-store');
    return c.redirect(`${urlFor('account', undefined, { passkey: notice })}#passkeys`, 303);
  }

  const refusedForm = (c: Context<AppEnv>, code: ErrorCode) => (INLINE_ERRORS.has(code) ? backToAccount(c, code) : errorResponse(c, deps, code));

  const registrationOptions: Handler = async (c) => {
    const found = await currentSession(c, deps);
    if (!found) return jsonError(c, 'unauthenticated');
    const result = await passkeyRegistrationOptions(deps, { ...found, browserToken: browserToken(c) }, requestContext(c));
    return result.ok ? started(c, result.browserToken, result.options) : jsonError(c, result.code);
  };

  const registration: Handler = async (c) => {
    const found = await currentSession(c, deps);
    if (!found) return jsonError(c, 'unauthenticated');
    const parsed = registrationBody.safeParse(await readBody(c));
    if (!parsed.success) return jsonError(c, 'invalid_request');
    const context = requestContext(c);
    const result = await registerPasskey(
      deps,
      {
        ...found,
        response: parsed.data.response as RegistrationResponseJSON,
        name: parsed.data.name ?? null,
        defaultName: describeUserAgent(context.userAgent),
        browserToken: browserToken(c),
      },
      context,
    );
    if (!result.ok) return jsonError(c, result.code);
    c.header('Cache-Control', 'no-store');
    return c.json({ passkey: viewJson(passkeyView(result.passkey)) }, 201);
  };

  const signInOptions: Handler = async (c) => {
    const result = await passkeySignInOptions(deps, { browserToken: browserToken(c) }, requestContext(c));
    return result.ok ? started(c, result.browserToken, result.options) : jsonError(c, result.code);
  };

  const signIn: Handler = async (c) => {
    const parsed = signInBody.safeParse(await readBody(c));
    if (!parsed.success) return jsonError(c, await malformedVerification(c, deps));
    const input = { response: parsed.data.response as AuthenticationResponseJSON, redirectTo: parsed.data.redirectTo ?? null, browserToken: browserToken(c) };
    const result = await signInWithPasskey(deps, input, requestContext(c));
    if (!result.ok) return jsonError(c, result.code);
    // The page's script goes on to the checked redirect.
    return result.status === 'signed_in' ? signedInJson(c, deps, result, { redirectTo: result.redirectTo }) : verifiedJson(c, deps, result);
  };

  const list: Handler = async (c) => {
    c.header('Cache-Control', 'no-store');
    const found = await currentSession(c, deps);
    if (!found) return jsonError(c, 'unauthenticated');
    const passkeys = await listPasskeys(deps, found.user.id);
    const { emailSignInRequiresPasskey } = await deps.store.getPasskeySettings(found.user.id);
    return c.json({ available: deps.passkeys !== null, emailSignInRequiresPasskey, passkeys: passkeys.map(viewJson) });
  };

  async function rename(c: Context<AppEnv>, found: ValidSession) {
    const id = c.req.param('id') ?? '';
    const parsed = renameBody.safeParse(await readBody(c));
    if (!parsed.success || !ID.test(id)) return { ok: false, code: 'invalid_request' } as const;
    return renamePasskey(deps, found.user, { id, name: parsed.data.name }, requestContext(c));
  }

  async function remove(c: Context<AppEnv>, found: ValidSession) {
    const id = c.req.param('id') ?? '';
    if (!ID.test(id)) return { ok: false, code: 'passkey_not_found' } as const;
    return removePasskey(deps, found.user, found.session, id, requestContext(c));
  }

  async function changeSetting(c: Context<AppEnv>, found: ValidSession) {
    const parsed = settingsBody.safeParse(await readBody(c));
    if (!parsed.success) return { ok: false, code: 'invalid_request' } as const;
    return setEmailSignInRequiresPasskey(deps, found.user, found.session, parsed.data.emailSignInRequiresPasskey, requestContext(c));
  }

  const removeJson = async (c: Context<AppEnv>, found: ValidSession) => {
    const result = await remove(c, found);
    return result.ok ? c.body(null, 204) : jsonError(c, result.code);
  };

  return {
    passkeyRegistrationOptions: registrationOptions,
    passkeyRegistration: registration,
    passkeySignInOptions: signInOptions,
    passkeySignIn: signIn,
    passkeys: list,
    passkeyRename: withSession(deps, {
      json: async (c, found) => {
        const result = await rename(c, found);
        return result.ok ? c.body(null, 204) : jsonError(c, result.code);
      },
      form: async (c, found) => {
        const result = await rename(c, found);
        return result.ok ? backToAccount(c, 'renamed') : refusedForm(c, result.code);
      },
    }),
    passkeyDelete: withSession(deps, { json: removeJson, form: removeJson }),
    passkeyRemove: withSession(deps, {
      json: removeJson,
      form: async (c, found) => {
        const result = await remove(c, found);
        return result.ok ? backToAccount(c, 'removed') : refusedForm(c, result.code);
      },
    }),
    passkeySettings: withSession(deps, {
      json: async (c, found) => {
        const result = await changeSetting(c, found);
        return result.ok ? c.body(null, 204) : jsonError(c, result.code);
      },
      form: async (c, found) => {
        const result = await changeSetting(c, found);
        return result.ok ? backToAccount(c, null) : refusedForm(c, result.code);
      },
    }),
    // "Not now": this browser does not see the offer again for 30 days.
    passkeyOfferDismiss: async (c) => {
      writeCookie(c, names, names.passkeyOffer, 'dismissed', OFFER_DISMISSED_SECONDS);
      return c.req.header('content-type')?.startsWith('application/json') ? c.body(null, 204) : backToAccount(c, null);
    },
  };
}
