// GET /auth/verify shows a page and never consumes (mail scanners prefetch
// links); POST /auth/verify consumes. A browser without the flow cookie of the
// request must click, so a link an attacker mails to a victim cannot silently
// sign the victim into the attacker's account.
import type { Hono } from 'hono';
import { constantTimeEqual, sha256 } from '../../core/crypto.ts';
import { maskEmail } from '../../core/email.ts';
import type { ErrorCode } from '../../core/errors.ts';
import { verifySignInLink } from '../../core/sign-in.ts';
import type { TokenRecord } from '../../core/types.ts';
import { describeUserAgent } from '../../mail/user-agent.ts';
import { verifyPage } from '../../pages/verify-page.ts';
import { cookieNames, readCookie } from '../cookies.ts';
import type { AppEnv, HttpDeps } from '../env.ts';
import { htmlError, jsonError, errorResponse } from '../errors.ts';
import { pageContext } from '../pages.ts';
import { isFormRequest, readBody, requestContext, verifyBody } from '../request.ts';
import { answerSignedIn } from './shared.ts';

function tokenState(record: TokenRecord | null, now: number, maxCodeAttempts: number): ErrorCode | null {
  if (!record || record.purpose !== 'sign_in') return 'token_invalid';
  if (record.consumedAt !== null) return 'token_used';
  if (record.retiredAt !== null) return 'token_replaced';
  if (record.expiresAt <= now) return 'token_expired';
  if (record.codeAttempts >= maxCodeAttempts) return 'code_locked';
  return null;
}

export function verifyRoutes(app: Hono<AppEnv>, deps: HttpDeps): void {
  const names = cookieNames(deps.config);

  app.get('/auth/verify', async (c) => {
    c.header('Cache-Control', 'no-store');
    c.header('Referrer-Policy', 'no-referrer');
    const token = c.req.query('token') ?? '';
    const record = await deps.tokens.peek(token);
    const problem = tokenState(record, deps.now(), deps.config.maxCodeAttempts);
    if (problem || !record) return htmlError(c, deps, problem ?? 'token_invalid');
    const flow = readCookie(c, names.flow);
    const sameBrowser = Boolean(flow && record.flowHash && constantTimeEqual(sha256(flow), record.flowHash));
    return c.html(
      verifyPage(pageContext(c, deps), {
        token,
        maskedEmail: maskEmail(record.email),
        sameBrowser,
        requestedFrom: `${describeUserAgent(record.requestUserAgent)}${record.requestIp ? ` (IP ${record.requestIp})` : ''}`,
        requestedAt: `${new Date(record.createdAt).toISOString().slice(0, 16).replace('T', ' ')} UTC`,
      }),
    );
  });

  app.post('/auth/verify', async (c) => {
    const asForm = isFormRequest(c);
    const parsed = verifyBody.safeParse(await readBody(c));
    if (!parsed.success) return asForm ? errorResponse(c, deps, 'invalid_request') : jsonError(c, 'invalid_request');
    const result = await verifySignInLink(deps.signIn, parsed.data.token, requestContext(c));
    if (result.ok) return answerSignedIn(c, deps, result, asForm);
    return asForm ? htmlError(c, deps, result.code) : jsonError(c, result.code);
  });
}
