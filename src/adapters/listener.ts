// The one bridge from Node's (req, res) to Latchkey's fetch handler, shared by
// the node:http, Express and Fastify adapters: @hono/node-server's listener, with
// the IncomingMessage as the `incoming` binding (the client IP is its socket's
// peer, http/client-ip.ts) and word of a body someone else already read.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { Latchkey } from '../latchkey.ts';

export type NodeListener = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** A request a host app's parser read; `rawBody` (a Buffer) is what @hono/node-server reads instead of the stream. */
export type ParsedRequest = IncomingMessage & { body?: unknown; rawBody?: unknown; originalUrl?: unknown };

export function nodeListener(latchkey: Pick<Latchkey, 'fetch'>): NodeListener {
  return getRequestListener(
    (request, env) => {
      const incoming = env.incoming as IncomingMessage;
      // `outgoing`: the OpenID Connect provider (src/oidc/) answers on Node's response itself.
      return latchkey.fetch(request, { incoming, outgoing: env.outgoing as ServerResponse, bodyConsumed: bodyWasRead(incoming) && !hasRawBody(incoming) });
    },
    // A library leaves the host app's global Request and Response alone.
    { overrideGlobalObjects: false },
  );
}

/** Some code of the host app read this request's body stream before Latchkey got it. */
export function bodyWasRead(req: IncomingMessage): boolean {
  return req.readableDidRead || req.readableEnded;
}

/** The body's bytes are at hand besides the stream (rebuilt by an adapter, or kept by the app's own parser `verify` hook). */
export function hasRawBody(req: ParsedRequest): boolean {
  return Buffer.isBuffer(req.rawBody);
}

/**
 * The request target as the client sent it. Express and connect strip a mount
 * path from req.url (app.use('/auth', …)) and keep the whole in originalUrl;
 * Latchkey's paths are the whole ones.
 */
export function requestTarget(req: ParsedRequest): string {
  return typeof req.originalUrl === 'string' ? req.originalUrl : (req.url ?? '/');
}
