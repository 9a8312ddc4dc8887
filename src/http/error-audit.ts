// Issue #12: the request ID on an error page must answer "what happened" in one
// `latchkey audit --request-id`. An error answer (http/errors.ts sets errorCode)
// whose request wrote no audit event of its own leaves `error.answered` with the
// code; one that did (code.failed, policy.denied, …) is told by that event. The
// policy bounds it per IP, so a flood of 404s costs neither rows nor reads.
import type { MiddlewareHandler } from 'hono';
import { auditEvent } from '../core/audit.ts';
import type { Context } from '../context.ts';
import type { AppEnv } from './env.ts';
import { requestContext } from './request.ts';

export function errorAudit(deps: Pick<Context, 'store' | 'policy' | 'logger' | 'now'>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    const code = c.get('errorCode');
    if (!code || c.get('errorAudited')) return;
    const context = requestContext(c);
    try {
      if (!(await deps.policy.mayRecordErrorAnswer(context))) return;
      if (context.requestId && (await deps.store.listAudit({ requestId: context.requestId, limit: 1 })).length > 0) return;
      await deps.store.appendAudit([
        auditEvent(context, { type: 'error.answered', outcome: 'failure', reason: code, at: deps.now(), userId: c.get('userId') }),
      ]);
    } catch (error) {
      // The answer is already made; a store that cannot take the event must not turn it into a 500.
      deps.logger.warn({ err: error, requestId: context.requestId }, 'error answer not audited');
    }
  };
}
