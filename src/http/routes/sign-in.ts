// POST /auth/sign-in/email and /auth/sign-in/code, and the pages that drive them.
import type { Context } from 'hono';
import { sha256 } from '../../core/crypto.ts';
import { canonicalizeEmail } from '../../core/email.ts';
import { checkRedirect, type RedirectPolicy } from '../../core/redirects.ts';
import { requestSignIn, verifySignInCode } from '../../core/sign-in.ts';
import { SIGN_IN_FLOW_TTL_SECONDS } from '../../core/sign-in-flow.ts';
import { errorStatus } from '../../core/errors.ts';
import { suggestEmail } from '../../pages/email-typo.ts';
import { signInPage } from '../../pages/sign-in-page.ts';
import { urlFor } from '../../route-table.ts';
import { clearCookie, flowHashOf, writeCookie } from '../cookies.ts';
import type { AppEnv, HttpDeps } from '../env.ts';
import { errorResponse } from '../error-page.ts';
import { jsonError } from '../errors.ts';
import { checkEmailResponse, resendState } from '../check-email.ts';
import { pageContext } from '../pages.ts';
import { codeBody, readBody, requestContext, signInEmailBody } from '../request.ts';
import type { Endpoints, Handler } from '../route-groups.ts';
import { currentSession, malformedVerification, verifiedForm, verifiedJson } from './shared.ts';

/**
 * Where a signed-in visitor of the sign-in page goes: where a sign-in would have
 * sent them (the checked redirectTo, else the default page), never back to a
 * sign-in page of ours (a loop).
 */
function onwardFromSignIn(redirectTo: string | null, policy: RedirectPolicy): string {
  const target = redirectTo ?? policy.defaultPath;
  const url = new URL(target, policy.baseUrl);
  return url.origin === policy.baseUrl.origin && url.pathname.startsWith(urlFor('signIn')) ? urlFor('account') : target;
}

export function signInRoutes(deps: HttpDeps): Endpoints {
  const names = deps.cookies;

  const signIn: Handler = async (c) => {
    const redirectTo = checkRedirect(c.req.query('redirectTo'), deps.redirects);
    // Signed in already: sent on, as hosted sign-in pages with a session do (issue #12);
    // the account page is where one signs out to use another address. prompt=login: an
    // OpenID Connect client asked for a fresh sign-in (issue #15), so the page shows.
    if (c.req.query('prompt') !== 'login' && (await currentSession(c, deps))) {
      c.header('Cache-Control', 'no-store');
      return c.redirect(onwardFromSignIn(redirectTo, deps.redirects), 303);
    }
    return c.html(signInPage(pageContext(c, deps), { redirectTo, passkeys: deps.passkeys !== null }));
  };

  const checkEmail: Handler = (c) =>
    checkEmailResponse(c, deps, { notSent: c.req.query('notice') === 'not-sent', sentAgain: c.req.query('notice') === 'sent-again' });

  // Refused before the gate, a request still spends the per-IP mail bucket: refusals
  // are no free way to make us work (issue #12 finding 1).
  const ipAllowed = async (c: Context<AppEnv>) => (await deps.policy.checkMailRequest(requestContext(c))).allow;

  /** The body, or the answer to a malformed one (JSON, forms too). */
  async function readSignInBody(c: Context<AppEnv>) {
    const body = await readBody(c);
    const parsed = signInEmailBody.safeParse(body);
    if (!parsed.success) return jsonError(c, (await ipAllowed(c)) ? 'invalid_request' : 'rate_limited');
    return { body, data: parsed.data };
  }

  /** The request itself, the same for JSON and forms. The flow cookie marks the browser that asked, so only it may auto-complete the link. */
  async function ask(c: Context<AppEnv>, data: { email: unknown; redirectTo?: string | undefined }, locale: string) {
    const flowId = deps.random.token(32);
    const result = await requestSignIn(
      deps,
      { email: data.email, redirectTo: data.redirectTo, flowHash: sha256(flowId), locale },
      requestContext(c),
    );
    return { flowId, result };
  }

  function flowStarted(c: Context<AppEnv>, flowId: string): void {
    writeCookie(c, names, names.flow, flowId, deps.config.tokenTtlSeconds);
    // Outlives the link on purpose: an expired-link page can still offer "send a new link" to the
    // same address. The flow id, never the address: a forged cookie must find nothing (issue #12 finding 10).
    writeCookie(c, names, names.flowRequest, flowId, SIGN_IN_FLOW_TTL_SECONDS);
    c.header('Cache-Control', 'no-store');
  }

  const signInEmailJson: Handler = async (c) => {
    const read = await readSignInBody(c);
    if (read instanceof Response) return read;
    const { flowId, result } = await ask(c, read.data, pageContext(c, deps).t.locale);
    if (!result.ok) return jsonError(c, result.code);
    flowStarted(c, flowId);
    return c.json({ status: 'sent' }, 202);
  };

  const signInEmailForm: Handler = async (c) => {
    const read = await readSignInBody(c);
    if (read instanceof Response) return read;
    const { body, data } = read;
    const page = pageContext(c, deps);
    const redirectTo = () => checkRedirect(data.redirectTo, deps.redirects);
    const refused = (code: 'invalid_email' | 'rate_limited') => {
      const email = typeof data.email === 'string' ? data.email.slice(0, 254) : '';
      return c.html(signInPage(page, { email, redirectTo: redirectTo(), error: page.t(`error.${code}.message`), passkeys: deps.passkeys !== null }), errorStatus(code));
    };
    // A form whose domain looks mistyped asks first (the page's script asks while typing).
    // Only a well-formed address (bounded, RFC 5321) is measured at all (issue #12 finding 1).
    const typed = typeof data.email === 'string' ? data.email.trim() : '';
    const suggestion = body?.typoChecked !== '1' && canonicalizeEmail(typed).ok ? suggestEmail(typed) : null;
    if (suggestion) {
      if (!(await ipAllowed(c))) return refused('rate_limited');
      c.header('Cache-Control', 'no-store');
      return c.html(signInPage(page, { email: typed, redirectTo: redirectTo(), suggestion, passkeys: deps.passkeys !== null }));
    }
    const { flowId, result } = await ask(c, data, page.t.locale);
    if (!result.ok) return refused(result.code);
    // This browser asked for this address before and nothing went out now (too soon,
    // or over the address's cap): it is told so instead of waiting for a mail that
    // never comes, and keeps its cookies, so the newest link still continues here.
    // Anyone else gets the same answer as for a sent mail.
    if (result.throttled && (await resendState(c, deps))?.email === result.email) {
      c.header('Cache-Control', 'no-store');
      return c.redirect(urlFor('checkEmail', undefined, { notice: 'not-sent' }), 303);
    }
    flowStarted(c, flowId);
    // "Send a new email" is answered with a notice that it went (issue #12); a silently
    // throttled resend from another browser gets the very same answer.
    return c.redirect(urlFor('checkEmail', undefined, { notice: body?.resend === '1' ? 'sent-again' : null }), 303);
  };

  /** The code checked, the same for JSON and forms (null: a malformed body). */
  async function checkCode(c: Context<AppEnv>) {
    const parsed = codeBody.safeParse(await readBody(c));
    if (!parsed.success) return null;
    // A pasted "123 456" or "123-456" is the code the person sees in the mail.
    const code = parsed.data.code.replace(/[\s-]/g, '');
    const result = await verifySignInCode(deps, parsed.data.email, code, requestContext(c), flowHashOf(c, names));
    return { result, email: parsed.data.email };
  }

  const signInCodeJson: Handler = async (c) => {
    const checked = await checkCode(c);
    if (!checked) return jsonError(c, await malformedVerification(c, deps));
    return checked.result.ok ? verifiedJson(c, deps, checked.result) : jsonError(c, checked.result.code);
  };

  const signInCodeForm: Handler = async (c) => {
    const checked = await checkCode(c);
    if (!checked) return errorResponse(c, deps, await malformedVerification(c, deps));
    const { result } = checked;
    if (result.ok) return verifiedForm(c, deps, result);
    if (result.code === 'code_invalid') {
      const typedEmail = typeof checked.email === 'string' ? checked.email : null;
      return checkEmailResponse(c, deps, { typedEmail, error: pageContext(c, deps).t('error.code_invalid.message') }, 400);
    }
    // The request is dead, except when it only belongs to another browser (cross-device approval).
    if (result.code !== 'code_other_device') clearCookie(c, names, names.flow);
    return errorResponse(c, deps, result.code);
  };

  return {
    signIn,
    checkEmail,
    signInEmail: { json: signInEmailJson, form: signInEmailForm },
    signInCode: { json: signInCodeJson, form: signInCodeForm },
  };
}
