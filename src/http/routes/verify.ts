// GET /auth/verify shows a page and never consumes (mail scanners prefetch
// links); POST /auth/verify consumes. A browser without the flow cookie of the
// request must click, so a link an attacker mails to a victim cannot silently
// sign the victim into the attacker's account.
import type { Context } from 'hono';
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
import { readBody, requestContext, verifyBody } from '../request.ts';
import type { Endpoints, Handler } from '../route-groups.ts';
import { verifiedForm, verifiedJson } from './shared.ts';

export function verifyRoutes(deps: HttpDeps): Endpoints {
  const names = deps.cookies;

  const verifyPageHandler: Handler = async (c) => {
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
  };

  /** POST's work, the same for JSON and forms: the link consumed (null: a malformed body). */
  async function consumeLink(c: Context<AppEnv>) {
    const parsed = verifyBody.safeParse(await readBody(c));
    if (!parsed.success) return null;
    return verifySignInLink(deps, parsed.data.token, requestContext(c), flowHashOf(c, names));
  }

  const verifyJson: Handler = async (c) => {
    const result = await consumeLink(c);
    if (!result) return jsonError(c, 'invalid_request');
    return result.ok ? verifiedJson(c, deps, result) : jsonError(c, result.code);
  };

  const verifyForm: Handler = async (c) => {
    const result = await consumeLink(c);
    if (!result) return errorResponse(c, deps, 'invalid_request');
    return result.ok ? verifiedForm(c, deps, result) : htmlError(c, deps, result.code);
  };

  return { verifyPage: verifyPageHandler, verify: { json: verifyJson, form: verifyForm } };
}
