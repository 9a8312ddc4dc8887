// POST /auth/sign-in/email and /auth/sign-in/code, and the pages that drive them.
import type { Hono } from 'hono';
import { sha256, randomToken } from '../../core/crypto.ts';
import { ERROR_MESSAGES } from '../../core/errors.ts';
import { checkRedirect } from '../../core/redirects.ts';
import { requestSignIn, verifySignInCode } from '../../core/sign-in.ts';
import { checkEmailPage } from '../../pages/check-email-page.ts';
import { signInPage } from '../../pages/sign-in-page.ts';
import { clearCookie, cookieNames, readCookie, writeCookie } from '../cookies.ts';
import type { AppEnv, HttpDeps } from '../env.ts';
import { ERROR_STATUS, errorResponse, jsonError } from '../errors.ts';
import { pageContext } from '../pages.ts';
import { codeBody, isFormRequest, readBody, requestContext, signInEmailBody } from '../request.ts';
import { answerSignedIn } from './shared.ts';

export function signInRoutes(app: Hono<AppEnv>, deps: HttpDeps): void {
  const names = cookieNames(deps.config);

  app.get('/auth/sign-in', (c) =>
    c.html(signInPage(pageContext(c, deps), { redirectTo: checkRedirect(c.req.query('redirectTo'), deps.signIn.redirects) })),
  );

  app.get('/auth/check-email', (c) =>
    c.html(
      checkEmailPage(pageContext(c, deps), {
        email: readCookie(c, names.flowEmail) ?? null,
        expiresInMinutes: Math.round(deps.config.tokenTtlSeconds / 60),
      }),
    ),
  );

  app.post('/auth/sign-in/email', async (c) => {
    const asForm = isFormRequest(c);
    const parsed = signInEmailBody.safeParse(await readBody(c));
    if (!parsed.success) return jsonError(c, 'invalid_request');
    // The flow cookie marks the browser that asked, so only it may auto-complete the link.
    const flowId = randomToken(32);
    const result = await requestSignIn(
      deps.signIn,
      { email: parsed.data.email, redirectTo: parsed.data.redirectTo, flowHash: sha256(flowId) },
      requestContext(c),
    );
    if (!result.ok) {
      if (!asForm) return jsonError(c, result.code);
      const email = typeof parsed.data.email === 'string' ? parsed.data.email : '';
      return c.html(
        signInPage(pageContext(c, deps), { email, redirectTo: parsed.data.redirectTo, error: ERROR_MESSAGES[result.code] }),
        ERROR_STATUS[result.code],
      );
    }
    writeCookie(c, names, names.flow, flowId, deps.config.tokenTtlSeconds);
    writeCookie(c, names, names.flowEmail, result.email, deps.config.tokenTtlSeconds);
    c.header('Cache-Control', 'no-store');
    if (asForm) return c.redirect('/auth/check-email', 303);
    return c.json({ status: 'sent' }, 202);
  });

  app.post('/auth/sign-in/code', async (c) => {
    const asForm = isFormRequest(c);
    const parsed = codeBody.safeParse(await readBody(c));
    if (!parsed.success) return asForm ? errorResponse(c, deps, 'invalid_request') : jsonError(c, 'invalid_request');
    const result = await verifySignInCode(deps.signIn, parsed.data.email, parsed.data.code, requestContext(c));
    if (result.ok) return answerSignedIn(c, deps, result, asForm);
    if (!asForm) return jsonError(c, result.code);
    if (result.code === 'code_invalid') {
      const email = typeof parsed.data.email === 'string' ? parsed.data.email : null;
      const page = checkEmailPage(pageContext(c, deps), {
        email,
        expiresInMinutes: Math.round(deps.config.tokenTtlSeconds / 60),
        error: ERROR_MESSAGES.code_invalid,
      });
      return c.html(page, 400);
    }
    clearCookie(c, names, names.flow);
    return errorResponse(c, deps, result.code);
  });
}
