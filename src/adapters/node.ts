// Latchkey on plain node:http (issue #14):
//   http.createServer(toNodeHandler(latchkey))
// answers everything; with a `next` (connect, polka, or a fallthrough of your
// own) it answers only Latchkey's paths (paths.ts) and passes the rest on.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ValidSession } from '../core/sessions.ts';
import type { Latchkey } from '../latchkey.ts';
import { nodeListener, requestTarget } from './listener.ts';
import { pathOf, servedByLatchkey } from './paths.ts';
import { checkSession } from './session-gate.ts';

export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void;

/** A request requireSession let through: its session and user. */
export type SignedInRequest = IncomingMessage & { latchkey: ValidSession };

export function toNodeHandler(latchkey: Latchkey): NodeHandler {
  const listener = nodeListener(latchkey);
  const serves = servedByLatchkey(latchkey);
  return (req, res, next) => {
    const target = requestTarget(req);
    if (next && !serves(pathOf(target))) return next();
    // Mounted under a path, connect strips it from req.url; this request is ours now, so nobody else reads req.url after us.
    req.url = target;
    void listener(req, res);
  };
}

/**
 * Runs `handler` for a signed-in request (its session at `req.latchkey`); a
 * browser that is not signed in is sent to /auth/sign-in?redirectTo=<this URL>,
 * anything else gets 401 `{ error: { code: 'unauthenticated', … } }`.
 */
export function requireSession(
  latchkey: Latchkey,
  handler: (req: SignedInRequest, res: ServerResponse) => void | Promise<void>,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const gate = await checkSession(latchkey, { method: req.method ?? 'GET', target: requestTarget(req), headers: req.headers });
    if (gate.outcome === 'signed_in') return handler(Object.assign(req, { latchkey: gate.session }), res);
    if (gate.outcome === 'redirect') {
      res.writeHead(gate.status, { location: gate.location, 'cache-control': 'no-store' }).end();
      return;
    }
    res.writeHead(gate.status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(gate.body));
  };
}
