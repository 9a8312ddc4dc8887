// Cross-device approval over HTTP (core/cross-device.ts). The device that opened
// the link posts its pick to /auth/verify/approve and never gets a session; the
// waiting browser polls GET /auth/approval and takes its session with
// POST /auth/approval/complete. Both find the request by the flow cookie or the
// token, never by anything the other side could choose.
import type { Hono } from 'hono';
import { approvalView, completeApproval, decideApproval, waitingApproval } from '../../core/cross-device.ts';
import { approvalResultPage } from '../../pages/approval-pages.ts';
import { checkEmailResponse } from '../check-email.ts';
import { flowHashOf } from '../cookies.ts';
import type { AppEnv, HttpDeps } from '../env.ts';
import { htmlError } from '../error-page.ts';
import { jsonError } from '../errors.ts';
import { pageContext } from '../pages.ts';
import { approvalBody, isFormRequest, readBody, requestContext } from '../request.ts';
import { answerVerified, refuseMalformedVerification } from './shared.ts';

export function approvalRoutes(app: Hono<AppEnv>, deps: HttpDeps): void {
  const names = deps.cookies;

  app.post('/auth/verify/approve', async (c) => {
    const asForm = isFormRequest(c);
    const parsed = approvalBody.safeParse(await readBody(c));
    if (!parsed.success) return refuseMalformedVerification(c, deps, asForm);
    const { token, number, refuse } = parsed.data;
    const result = await decideApproval(deps, { token, number: number ?? null, refuse: refuse === true || refuse === '1' }, requestContext(c));
    c.header('Cache-Control', 'no-store');
    c.header('Referrer-Policy', 'no-referrer');
    if (!result.ok) return asForm ? htmlError(c, deps, result.code) : jsonError(c, result.code);
    if (asForm) return c.html(approvalResultPage(pageContext(c, deps), result.outcome));
    return c.json({ status: result.outcome }, 200);
  });

  app.get('/auth/approval', async (c) => {
    c.header('Cache-Control', 'no-store');
    const approval = await waitingApproval(deps, flowHashOf(c, names));
    const state = approval ? approvalView(approval, deps.now()) : 'none';
    // The number is this browser's own to show (a custom UI may render it); only while it can still be picked.
    return c.json(state === 'pending' ? { state, number: approval!.number } : { state }, 200);
  });

  app.post('/auth/approval/complete', async (c) => {
    const asForm = isFormRequest(c);
    const result = await completeApproval(deps, flowHashOf(c, names), requestContext(c));
    if (result.ok) return answerVerified(c, deps, result, asForm);
    if (!asForm) return jsonError(c, result.code);
    if (result.code === 'approval_pending') {
      return checkEmailResponse(c, deps, { error: pageContext(c, deps).t('error.approval_pending.message') }, 409);
    }
    return htmlError(c, deps, result.code);
  });
}
