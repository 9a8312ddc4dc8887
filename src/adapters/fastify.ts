// Latchkey in a Fastify app (issue #14):
//   await app.register(latchkeyFastify(latchkey));
//   app.get('/api/me', { preHandler: requireSession(latchkey) }, (request) => request.latchkey!.user);
// The plugin routes Latchkey's paths (paths.ts) to it. Registered as an
// encapsulated plugin (no prefix: Latchkey's paths are fixed), its content-type
// parser applies to those routes only: it leaves the body unread, so Latchkey
// reads and bounds it itself while the rest of the app keeps Fastify's parsers.
import type { FastifyPluginCallback, HTTPMethods, preHandlerAsyncHookHandler } from 'fastify';
import type { ValidSession } from '../core/sessions.ts';
import type { Latchkey } from '../latchkey.ts';
import { nodeListener } from './listener.ts';
import { latchkeyTopLevelNames } from './paths.ts';
import { checkSession } from './session-gate.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by requireSession: the signed-in session and its user. */
    latchkey?: ValidSession;
  }
}

const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

export function latchkeyFastify(latchkey: Latchkey): FastifyPluginCallback {
  const listener = nodeListener(latchkey);
  return (instance, _options, done) => {
    instance.removeAllContentTypeParsers();
    instance.addContentTypeParser('*', (_request, _payload, parsed) => parsed(null));
    for (const name of latchkeyTopLevelNames(latchkey)) {
      for (const url of [`/${name}`, `/${name}/*`]) {
        instance.route({
          method: METHODS,
          url,
          exposeHeadRoute: false,
          handler: (request, reply) => {
            // Latchkey writes the answer itself (headers, cookies, streaming).
            reply.hijack();
            return listener(request.raw, reply.raw);
          },
        });
      }
    }
    done();
  };
}

/**
 * A preHandler: signed in, the route runs with the session at
 * `request.latchkey`; a browser navigating is sent to
 * /auth/sign-in?redirectTo=<this URL>; anything else gets 401
 * `{ error: { code: 'unauthenticated', … } }`.
 */
export function requireSession(latchkey: Latchkey): preHandlerAsyncHookHandler {
  return async (request, reply) => {
    const gate = await checkSession(latchkey, { method: request.method, target: request.url, headers: request.headers });
    if (gate.outcome === 'signed_in') {
      request.latchkey = gate.session;
      return;
    }
    reply.header('cache-control', 'no-store');
    if (gate.outcome === 'redirect') return reply.redirect(gate.location, gate.status);
    return reply.code(gate.status).send(gate.body);
  };
}
