// Hono environment and the dependencies every route receives.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { LatchkeyConfig } from '../config.ts';
import type { SessionPolicy } from '../core/sessions.ts';
import type { AccountDeps } from '../core/account.ts';
import type { SignInDeps } from '../core/sign-in.ts';
import type { TokenEngine } from '../core/tokens.ts';
import type { DevMailbox } from '../mail/dev-mailbox.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { Store } from '../store/store.ts';
import type { Metrics } from '../core/metrics.ts';
import type { OidcProvider } from '../oidc/provider.ts';

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
    /** The CSRF cookie value this response sets (http/csrf.ts), so a page rendered now uses it. */
    csrfCookie?: string;
  };
}

export interface HttpDeps {
  config: LatchkeyConfig;
  store: Store;
  tokens: TokenEngine;
  signIn: SignInDeps;
  /** Passwords, reset, email verification and change (issue #5): signIn plus the password hasher and account mail. */
  account: AccountDeps;
  sessions: SessionPolicy;
  logger: Logger;
  mailer: Mailer;
  devMailbox: DevMailbox | null;
  now: () => number;
  version: string;
  metrics: Metrics;
  /** The OpenID Connect provider (issue #15), when LATCHKEY_OIDC_CLIENTS is set. */
  oidc?: OidcProvider | null;
}
