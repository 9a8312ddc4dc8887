// Cross-device approval over HTTP (core/cross-device.ts). The device that opened
// the link posts its pick to /auth/verify/approve and never gets a session; the
// waiting browser polls GET /auth/approval and takes its session with
// POST /auth/approval/complete. Both find the request by the flow cookie or the
// token, never by anything the other side could choose.
import type { Context } from 'hono';
import { approvalView, completeApproval, decideApproval, waitingApproval } from '../../core/cross-device.ts';
import { approvalResultPage } from '../../pages/approval-pages.ts';
import { checkEmailResponse } from '../check-email.ts';
import { flowHashOf } from '../cookies.ts';
import type { AppEnv, HttpDeps } from '../env.ts';
import { errorResponse, htmlError } from '../error-page.ts';
import { jsonError } from '../errors.ts';
import { pageContext } from '../pages.ts';
import { approvalBody, readBody, requestContext } from '../request.ts';
import type { Endpoints, Handler } from '../route-groups.ts';
import { malformedVerification, verifiedForm, verifiedJson } from './shared.ts';

export function approvalRoutes(deps: HttpDeps): Endpoints {
  const names = deps.cookies;

  /** The pick, the same for JSON and forms (null: a malformed body). */
  async function decide(c: Context<AppEnv>) {
    const parsed = approvalBody.safeParse(await readBody(c));
    if (!parsed.success) return null;
    const { token, number, refuse } = parsed.data;
    const result = await decideApproval(deps, { token, number: number ?? null, refuse: refuse === true || refuse === '1' }, requestContext(c));
    c.header('Cache-Control', 'no-store');
    c.header('Referrer-Policy', 'no-referrer');
    return result;
  }

  const approveJson: Handler = async (c) => {
    const result = await decide(c);
    if (!result) return jsonError(c, await malformedVerification(c, deps));
    if (!result.ok) return jsonError(c, result.code);
    return c.json({ status: result.outcome }, 200);
  };

  const approveForm: Handler = async (c) => {
    const result = await decide(c);
    if (!result) return errorResponse(c, deps, await malformedVerification(c, deps));
    if (!result.ok) return htmlError(c, deps, result.code);
    return c.html(approvalResultPage(pageContext(c, deps), result.outcome));
  };

  const approvalState: Handler = async (c) => {
    c.header('Cache-Control', 'no-store');
    const approval = await waitingApproval(deps, flowHashOf(c, names));
    const state = approval ? approvalView(approval, deps.now()) : 'none';
    // The number is this browser's own to show (a custom UI may render it); only while it can still be picked.
    return c.json(state === 'pending' ? { state, number: approval!.number } : { state }, 200);
  };

  const complete = (c: Context<AppEnv>) => completeApproval(deps, flowHashOf(c, names), requestContext(c));

  const completeJson: Handler = async (c) => {
    const result = await complete(c);
    return result.ok ? verifiedJson(c, deps, result) : jsonError(c, result.code);
  };

  const completeForm: Handler = async (c) => {
    const result = await complete(c);
    if (result.ok) return verifiedForm(c, deps, result);
    if (result.code === 'approval_pending') {
      return checkEmailResponse(c, deps, { error: pageContext(c, deps).t('error.approval_pending.message') }, 409);
    }
    return htmlError(c, deps, result.code);
  };

  return {
    approve: { json: approveJson, form: approveForm },
    approvalState,
    approvalComplete: { json: completeJson, form: completeForm },
  };
}
