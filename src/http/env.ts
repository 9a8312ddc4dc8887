// Hono environment and the dependencies every route receives.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from '../context.ts';
import type { DevMailbox } from '../mail/dev-mailbox.ts';
import type { OidcProvider } from '../oidc/provider.ts';
import type { CookieNames } from './cookies.ts';

export interface AppEnv {
  /** Under @hono/node-server and the Node adapters (src/adapters/); absent for latchkey.fetch(request) alone. */
  Bindings: {
    incoming?: IncomingMessage;
    /** The OpenID Connect provider (src/oidc/) answers on Node's response itself. */
    outgoing?: ServerResponse;
    /**
     * Set by the Node adapters (src/adapters/): a body parser of the host app
     * read this request's body before Latchkey and it could not be rebuilt, so
     * the request is answered `body_already_parsed` instead of read as empty.
     */
    bodyConsumed?: boolean;
  };
  Variables: {
    requestId: string;
    userId?: string;
    clientIp?: string | null;
    /** The response already carries its whole header set (http/security.ts finalJsonFactory). */
    headersFinal?: boolean;
    /** The stable code of an error answer (http/errors.ts), for the request metrics. */
    errorCode?: string;
    /** The error answer's own event tells it (forward-auth decisions, audited within their bound): no `error.answered` (http/error-audit.ts). */
    errorAudited?: boolean;
    /** The CSRF cookie value this response sets (http/csrf.ts), so a page rendered now uses it. */
    csrfCookie?: string;
  };
}

/**
 * The context (src/context.ts) plus what only HTTP needs, all built once in
 * createApp: routes pass it whole to core functions, each of which takes its Pick.
 */
export interface HttpDeps extends Context {
  readonly devMailbox: DevMailbox | null;
  readonly version: string;
  /** Cookie names and attributes (http/cookies.ts). */
  readonly cookies: CookieNames;
  /** Keys the CSRF tokens (http/csrf-token.ts). */
  readonly csrfKey: Buffer;
  /** Seals the forward-auth proxy cookie (http/proxy-cookie.ts). */
  readonly proxyCookieKey: Buffer;
  /** The OpenID Connect provider (issue #15), when LATCHKEY_OIDC_CLIENTS is set. */
  readonly oidc: OidcProvider | null;
}
