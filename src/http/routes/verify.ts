// GET /auth/verify shows a page and never consumes (mail scanners prefetch
// links); POST /auth/verify consumes. A browser without the flow cookie of the
// request must click, so a link an attacker mails to a victim cannot silently
// sign the victim into the attacker's account.
import type { Hono } from 'hono';
import { maskEmail } from '../../core/email.ts';
import { approvalOfToken, approvalView } from '../../core/cross-device.ts';
import { fromAskingBrowser, verifySignInLink } from '../../core/sign-in.ts';
import { approvalPickPage, approvalResultPage } from '../../pages/approval-pages.ts';
import { tokenErrorCode } from '../../core/tokens.ts';
import { formatUtc } from '../../i18n/catalog.ts';
import { describeUserAgent, shownIp } from '../../mail/user-agent.ts';
import { verifyPage } from '../../pages/verify-page.ts';
import { flowHashOf } from '../cookies.ts';
import type { AppEnv, HttpDeps } from '../env.ts';
import { errorResponse, htmlError } from '../error-page.ts';
import { jsonError } from '../errors.ts';
import { pageContext } from '../pages.ts';
import { isFormRequest, readBody, requestContext, verifyBody } from '../request.ts';
import { answerVerified } from './shared.ts';

export function verifyRoutes(app: Hono<AppEnv>, deps: HttpDeps): void {
  const names = deps.cookies;

  app.get('/auth/verify', async (c) => {
    c.header('Cache-Control', 'no-store');
    c.header('Referrer-Policy', 'no-referrer');
    const token = c.req.query('token') ?? '';
    // The token engine judges it, without consuming: the same verdict POST would give now.
    const shown = await deps.tokens.inspect(token, 'sign_in', deps.now());
    if (!shown.ok) return htmlError(c, deps, tokenErrorCode(shown.reason));
    const record = shown.record;
    const sameBrowser = fromAskingBrowser(record, flowHashOf(c, names));
    const page = pageContext(c, deps);
    const ip = shownIp(record.requestIp);
    const requestedFrom = `${describeUserAgent(record.requestUserAgent, page.t)}${ip ? ` (IP ${ip})` : ''}`;
    // Cross-device approval: elsewhere, who asked and three numbers; this device never gets the session.
    const approval = sameBrowser ? null : await approvalOfToken(deps, record);
    const view = approval ? approvalView(approval, deps.now()) : null;
    if (approval && view === 'pending') {
      return c.html(
        approvalPickPage(page, { token, maskedEmail: maskEmail(record.email), requestedFrom, requestedAt: formatUtc(record.createdAt), choices: approval.choices }),
      );
    }
    // Picked already: the sign-in continues in the waiting browser, never here (issue #12 finding 11).
    if (view === 'approved') return c.html(approvalResultPage(page, 'approved'));
    // LATCHKEY_LINK_DEVICE=same: elsewhere the page says to type the code in the asking browser; the token stays unused.
    if (!(await deps.policy.checkLinkDevice({ sameBrowser, email: record.email }, requestContext(c))).allow) {
      return htmlError(c, deps, 'link_other_device');
    }
    return c.html(
      verifyPage(page, {
        token,
        maskedEmail: maskEmail(record.email),
        sameBrowser,
        requestedFrom,
        requestedAt: formatUtc(record.createdAt),
      }),
    );
  });

  app.post('/auth/verify', async (c) => {
    const asForm = isFormRequest(c);
    const parsed = verifyBody.safeParse(await readBody(c));
    if (!parsed.success) return asForm ? errorResponse(c, deps, 'invalid_request') : jsonError(c, 'invalid_request');
    const result = await verifySignInLink(deps, parsed.data.token, requestContext(c), flowHashOf(c, names));
    if (result.ok) return answerVerified(c, deps, result, asForm);
    return asForm ? htmlError(c, deps, result.code) : jsonError(c, result.code);
  });
}
