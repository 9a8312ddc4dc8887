// Latchkey in an Express app (issue #14):
//   app.use(latchkeyExpress(latchkey));            // or app.use('/auth', …)
//   app.get('/dashboard', requireSession(latchkey), (req, res) => res.send(req.latchkey!.user.email));
// It answers Latchkey's paths (paths.ts, matched on req.originalUrl, so a mount
// path does not hide them) and passes everything else on. A body parser before
// it is fine: the body it read is rebuilt (express-body.ts).
import type { RequestHandler } from 'express';
import type { ValidSession } from '../core/sessions.ts';
import type { Latchkey } from '../latchkey.ts';
import { rebuiltBody } from './express-body.ts';
import { bodyWasRead, hasRawBody, nodeListener, type ParsedRequest } from './listener.ts';
import { pathOf, servedByLatchkey } from './paths.ts';
import { checkSession } from './session-gate.ts';

declare global {
  // The documented way to add to Express's request type (@types/express-serve-static-core).
  namespace Express {
    interface Request {
      /** Set by requireSession: the signed-in session and its user. */
      latchkey?: ValidSession;
    }
  }
}

export function latchkeyExpress(latchkey: Latchkey): RequestHandler {
  const listener = nodeListener(latchkey);
  const serves = servedByLatchkey(latchkey);
  return (req, res, next) => {
    const target = req.originalUrl;
    if (!serves(pathOf(target))) return next();
    const parsed: ParsedRequest = req;
    if (bodyWasRead(req) && !hasRawBody(parsed)) {
      const body = rebuiltBody(parsed);
      // Read by @hono/node-server in place of the spent stream; none: Latchkey answers body_already_parsed.
      if (body) parsed.rawBody = body;
    }
    // This request is Latchkey's now (nothing after it reads req.url): its own, whole path.
    req.url = target;
    void listener(req, res);
  };
}

/**
 * Signed in: next(), with the session at `req.latchkey`. Not signed in: a browser
 * navigating is sent to /auth/sign-in?redirectTo=<this URL>; anything else gets
 * 401 `{ error: { code: 'unauthenticated', … } }`.
 */
export function requireSession(latchkey: Latchkey): RequestHandler {
  return (req, res, next) => {
    checkSession(latchkey, { method: req.method, target: req.originalUrl, headers: req.headers }).then((gate) => {
      if (gate.outcome === 'signed_in') {
        req.latchkey = gate.session;
        return next();
      }
      res.set('Cache-Control', 'no-store');
      if (gate.outcome === 'redirect') return res.redirect(gate.status, gate.location);
      return res.status(gate.status).json(gate.body);
    }, next);
  };
}
