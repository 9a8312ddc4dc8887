// The account's password (issue #5): set, change or remove it, and re-enter it
// to make a session recent. JSON clients get the result; a form from the
// account page comes back to it, with what happened or what was wrong.
import type { Context } from 'hono';
import { z } from 'zod';
import type { ErrorCode } from '../../core/errors.ts';
import { reauthenticateWithPassword } from '../../core/password-sign-in.ts';
import { removeAccountPassword, setAccountPassword } from '../../core/passwords.ts';
import type { ValidSession } from '../../core/sessions.ts';
import { urlFor } from '../../route-table.ts';
import type { AppEnv, HttpDeps } from '../env.ts';
import { errorResponse } from '../error-page.ts';
import { jsonError } from '../errors.ts';
import { pageContext } from '../pages.ts';
import { readBody, requestContext } from '../request.ts';
import type { Endpoints, Handler } from '../route-groups.ts';
import { passwordField } from './password-sign-in.ts';
import { currentSession, withSession } from './shared.ts';

const passwordBody = z.object({ password: passwordField });
const MALFORMED = { ok: false, code: 'invalid_request' } as const;

/** Password errors a form shows inline on the account page (anything else gets the error page). */
export const PASSWORD_INLINE_ERRORS = new Set<ErrorCode>([
  'password_too_short',
  'password_too_long',
  'password_breached',
  'password_not_set',
  'reauthentication_required',
  'credentials_invalid',
  'rate_limited',
  'invalid_request',
]);

export function passwordRoutes(deps: HttpDeps): Endpoints {
  const locale = (c: Context<AppEnv>) => pageContext(c, deps).t.locale;

  function backToAccount(c: Context<AppEnv>, outcome: string): Response {
    c.header('Cache-Control', 'no-store');
    return c.redirect(`${urlFor('account', undefined, { password: outcome })}#password`, 303);
  }

  function refusedForm(c: Context<AppEnv>, code: ErrorCode): Response | Promise<Response> {
    return PASSWORD_INLINE_ERRORS.has(code) ? backToAccount(c, code) : errorResponse(c, deps, code);
  }

  const passwordStatus: Handler = async (c) => {
    c.header('Cache-Control', 'no-store');
    const found = await currentSession(c, deps);
    if (!found) return jsonError(c, 'unauthenticated');
    const stored = await deps.store.getPassword(found.user.id);
    return c.json({ set: stored !== null, changedAt: stored ? new Date(stored.changedAt).toISOString() : null });
  };

  async function set(c: Context<AppEnv>, found: ValidSession) {
    const parsed = passwordBody.safeParse(await readBody(c));
    if (!parsed.success) return MALFORMED;
    return setAccountPassword(deps, found.user, found.session, { password: parsed.data.password, locale: locale(c) }, requestContext(c));
  }

  const passwordSet = withSession(deps, {
    json: async (c, found) => {
      const result = await set(c, found);
      return result.ok ? c.body(null, 204) : jsonError(c, result.code);
    },
    form: async (c, found) => {
      const result = await set(c, found);
      return result.ok ? backToAccount(c, result.change) : refusedForm(c, result.code);
    },
  });

  const remove = (c: Context<AppEnv>, found: ValidSession) =>
    removeAccountPassword(deps, found.user, found.session, { locale: locale(c) }, requestContext(c));

  const passwordRemove = withSession(deps, {
    json: async (c, found) => {
      const result = await remove(c, found);
      return result.ok ? c.body(null, 204) : jsonError(c, result.code);
    },
    form: async (c, found) => {
      const result = await remove(c, found);
      return result.ok ? backToAccount(c, result.change) : refusedForm(c, result.code);
    },
  });

  async function reauthenticate(c: Context<AppEnv>, found: ValidSession) {
    const parsed = passwordBody.safeParse(await readBody(c));
    if (!parsed.success) return MALFORMED;
    return reauthenticateWithPassword(deps, found.user, found.session, parsed.data.password, requestContext(c));
  }

  return {
    passwordStatus,
    passwordSet,
    // HTML forms cannot send DELETE.
    passwordDelete: passwordRemove,
    passwordRemove,
    reauthenticate: withSession(deps, {
      json: async (c, found) => {
        const result = await reauthenticate(c, found);
        return result.ok ? c.body(null, 204) : jsonError(c, result.code);
      },
      form: async (c, found) => {
        const result = await reauthenticate(c, found);
        if (!result.ok) return refusedForm(c, result.code);
        c.header('Cache-Control', 'no-store');
        return c.redirect(`${urlFor('account')}#password`, 303);
      },
    }),
  };
}
