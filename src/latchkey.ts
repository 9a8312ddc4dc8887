// Library mode: createLatchkey(options) wires configuration, store, mail and
// the HTTP app, and returns the web-standard handler plus a typed API. The
// standalone server (cli/start.ts) is a thin shell over this.

import { pino, type Logger } from 'pino';
import type { Hono } from 'hono';
import { resolveConfig, type LatchkeyConfig, type LatchkeyOptions } from './config.ts';
import type { RequestContext } from './core/audit.ts';
import { auditEvent } from './core/audit.ts';
import { deriveKey } from './core/crypto.ts';
import type { RedirectPolicy } from './core/redirects.ts';
import { validateSession, type SessionPolicy, type ValidSession } from './core/sessions.ts';
import {
  requestSignIn,
  verifySignInCode,
  verifySignInLink,
  type RequestSignInResult,
  type SignInDeps,
  type VerifyOutcome,
} from './core/sign-in.ts';
import { createTokenEngine } from './core/tokens.ts';
import type { Session } from './core/types.ts';
import { createApp } from './http/app.ts';
import { cookieNames } from './http/cookies.ts';
import type { AppEnv } from './http/env.ts';
import { DevMailbox } from './mail/dev-mailbox.ts';
import type { Mailer, MailMessage } from './mail/mailer.ts';
import { composeSignInMail } from './mail/compose.ts';
import { OutboxWorker } from './mail/outbox.ts';
import { createSmtpMailer } from './mail/smtp.ts';
import { openStore } from './store/open.ts';
import type { Store } from './store/store.ts';
import { VERSION } from './version.ts';

export interface CreateLatchkeyOptions extends LatchkeyOptions {
  /** An opened store (tests, custom pools); otherwise databaseUrl is opened. */
  store?: Store;
  mailer?: Mailer;
  logger?: Logger;
  /** Injected clock (epoch ms), for tests. */
  now?: () => number;
  /** Start the outbox worker (default true). */
  startWorker?: boolean;
  /** Environment to read besides the options (the CLI passes process.env). */
  env?: Record<string, string | undefined>;
}

export interface Latchkey {
  readonly config: LatchkeyConfig;
  readonly store: Store;
  readonly app: Hono<AppEnv>;
  readonly outbox: OutboxWorker;
  readonly devMailbox: DevMailbox | null;
  /** The web-standard handler: mount it anywhere that speaks Request/Response. */
  fetch(request: Request, env?: AppEnv['Bindings']): Promise<Response>;
  requestSignIn(input: { email: unknown; redirectTo?: unknown }, context?: Partial<RequestContext>): Promise<RequestSignInResult>;
  verify(token: string, context?: Partial<RequestContext>): Promise<VerifyOutcome>;
  verifyCode(email: unknown, code: unknown, context?: Partial<RequestContext>): Promise<VerifyOutcome>;
  /** The session of a request (its cookie), or null. The hot path of every app. */
  getSession(request: Request | Headers): Promise<ValidSession | null>;
  listSessions(userId: string): Promise<Session[]>;
  revokeSession(sessionId: string, userId: string, context?: Partial<RequestContext>): Promise<boolean>;
  close(): Promise<void>;
}

function fullContext(context: Partial<RequestContext> = {}): RequestContext {
  return { requestId: context.requestId ?? null, ip: context.ip ?? null, userAgent: context.userAgent ?? null };
}

function readCookieHeader(header: string | null, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export async function createLatchkey(options: CreateLatchkeyOptions = {}): Promise<Latchkey> {
  const config = resolveConfig(options, options.env);
  const now = options.now ?? Date.now;
  const logger = options.logger ?? pino({ level: config.logLevel });
  const store = options.store ?? (await openStore(config.databaseUrl));
  await store.migrate();

  const devMailbox =
    !options.mailer && config.smtpUrl === null
      ? new DevMailbox({
          // Development only (production refuses to run without SMTP): printing the
          // link is the dev mailbox's purpose, so this is the one place a link is logged.
          onMessage: (message: MailMessage) =>
            logger.info(
              { to: message.to, link: /https?:\/\/\S+\/auth\/verify\?token=\S+/.exec(message.text)?.[0] },
              `dev mailbox: "${message.subject}", also at ${config.baseUrl.origin}/dev/mailbox`,
            ),
        })
      : null;
  const mailer: Mailer = options.mailer ?? devMailbox ?? createSmtpMailer(config.smtpUrl ?? '');
  const sealKey = deriveKey(config.secret, 'outbox-seal');
  const outbox = new OutboxWorker({
    store,
    mailer,
    sealKey,
    from: config.mailFrom,
    messageIdDomain: config.baseUrl.hostname,
    now,
    logger,
  });

  const sessions: SessionPolicy = { ttlSeconds: config.sessionTtlSeconds, idleTtlSeconds: config.sessionIdleTtlSeconds };
  const redirects: RedirectPolicy = { baseUrl: config.baseUrl, allowedOrigins: config.allowedRedirectOrigins, defaultPath: '/auth/account' };
  const tokens = createTokenEngine(store, deriveKey(config.secret, 'code-hmac'), config.maxCodeAttempts);
  const signIn: SignInDeps = {
    store,
    tokens,
    now,
    baseUrl: config.baseUrl,
    tokenTtlSeconds: config.tokenTtlSeconds,
    signup: config.signup,
    sessions,
    redirects,
    composeMail: composeSignInMail({ sealKey, productName: config.productName, tokenTtlSeconds: config.tokenTtlSeconds }),
    mailQueued: () => outbox.notify(),
  };
  const app = createApp({ config, store, tokens, signIn, sessions, logger, mailer, devMailbox, now, version: VERSION });
  if (options.startWorker !== false) outbox.start();
  const sessionCookie = cookieNames(config).session;

  return {
    config,
    store,
    app,
    outbox,
    devMailbox,
    fetch: async (request, env) => app.fetch(request, env),
    requestSignIn: (input, context) => requestSignIn(signIn, input, fullContext(context)),
    verify: (token, context) => verifySignInLink(signIn, token, fullContext(context)),
    verifyCode: (email, code, context) => verifySignInCode(signIn, email, code, fullContext(context)),
    getSession: (request) => {
      const headers = request instanceof Headers ? request : request.headers;
      return validateSession(store, sessions, readCookieHeader(headers.get('cookie'), sessionCookie), now());
    },
    listSessions: (userId) => store.listSessions(userId, now()),
    revokeSession: (sessionId, userId, context) =>
      store.revokeSession(sessionId, userId, now(), [
        auditEvent(fullContext(context), { type: 'session.revoked', outcome: 'success', at: now(), userId }),
      ]),
    close: async () => {
      await outbox.stop();
      await mailer.close();
      if (!options.store) await store.close();
    },
  };
}
