// Library mode: createLatchkey(options) wires configuration, store, mail and
// the HTTP app, and returns the web-standard handler plus a typed API. The
// standalone server (cli/start.ts) is a thin shell over this.

import { pino, type Logger } from 'pino';
import type { Hono } from 'hono';
import { ConfigError, resolveConfig, type LatchkeyConfig, type LatchkeyOptions } from './config.ts';
import { createContext } from './context.ts';
import { isLoopbackHost } from './listen-address.ts';
import type { RequestContext } from './core/audit.ts';
import { auditEvent } from './core/audit.ts';
import { deriveKey } from './core/crypto.ts';
import { openLimiters } from './core/open-limiters.ts';
import type { Policy } from './core/policy.ts';
import { nodeRandom, type Random } from './core/random.ts';
import { validateSession, type ValidSession } from './core/sessions.ts';
import { requestSignIn, verifySignInCode, verifySignInLink, type RequestSignInResult } from './core/sign-in.ts';
import type { VerifyOutcome } from './core/first-factor.ts';
import { completeSecondFactor, type SecondFactorInput } from './core/second-factor.ts';
import { requestPasswordReset, resetPassword, type PasswordResetInput, type RequestPasswordResetResult } from './core/password-reset.ts';
import { signInWithPassword, type PasswordSignInRequest } from './core/password-sign-in.ts';
import type { Session } from './core/types.ts';
import { createApp } from './http/app.ts';
import { cookieNames, sessionClearingHeaders } from './http/cookies.ts';
import { createMetricsApp } from './http/routes/metrics.ts';
import type { AppEnv } from './http/env.ts';
import { cookieHeaderOf, type SessionSource } from './http/session-source.ts';
import { DevMailbox } from './mail/dev-mailbox.ts';
import type { Mailer, MailMessage } from './mail/mailer.ts';
import { renderQueuedMail } from './mail/compose.ts';
import { OutboxWorker } from './mail/outbox.ts';
import { openStore } from './store/open.ts';
import type { Store } from './store/store.ts';
import { buildInfo } from './version.ts';
import { absoluteUrlFor } from './route-table.ts';
import { startOidcProvider } from './oidc/start.ts';

export interface CreateLatchkeyOptions extends LatchkeyOptions {
  /** An opened store (tests, custom pools); otherwise databaseUrl is opened. */
  store?: Store;
  mailer?: Mailer;
  logger?: Logger;
  /** Injected clock (epoch ms), for tests. */
  now?: () => number;
  /** Injected random source (ids, secrets, codes), for tests; Node's CSPRNG otherwise. */
  random?: Random;
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
  /**
   * With LATCHKEY_METRICS_LISTEN: the app that serves /metrics (and nothing
   * else) on that address; `latchkey start` listens there. Null otherwise.
   */
  readonly metricsApp: Hono<AppEnv> | null;
  /** Every allow/deny decision; the password flow calls checkPasswordAttempt/recordFailure/recordSuccess. */
  readonly policy: Policy;
  /** The web-standard handler: mount it anywhere that speaks Request/Response. */
  fetch(request: Request, env?: AppEnv['Bindings']): Promise<Response>;
  requestSignIn(input: { email: unknown; redirectTo?: unknown }, context?: Partial<RequestContext>): Promise<RequestSignInResult>;
  verify(token: string, context?: Partial<RequestContext>): Promise<VerifyOutcome>;
  verifyCode(email: unknown, code: unknown, context?: Partial<RequestContext>): Promise<VerifyOutcome>;
  /**
   * Completes a sign-in that answered `second_factor_required` (verify,
   * verifyCode, or a password): its `pendingToken` plus a TOTP `code` or a
   * `recoveryCode`.
   */
  verifySecondFactor(pendingToken: string, input: SecondFactorInput, context?: Partial<RequestContext>): Promise<VerifyOutcome>;
  /** Email + password; `second_factor_required` for an account with TOTP on. The same answer for every wrong combination. */
  signInWithPassword(input: PasswordSignInRequest, context?: Partial<RequestContext>): Promise<VerifyOutcome>;
  /** Mails a reset link and code when the address has an account; the same answer either way. */
  requestPasswordReset(input: { email: unknown; redirectTo?: unknown }, context?: Partial<RequestContext>): Promise<RequestPasswordResetResult>;
  /** A reset `token` (or `email` + `code`) and the new password: every session signed out, then signed in (or the second factor). */
  resetPassword(input: PasswordResetInput, context?: Partial<RequestContext>): Promise<VerifyOutcome>;
  /**
   * The session of a request (its cookie), or null. The hot path of every app.
   * Takes a Request, a Headers, a Node IncomingMessage (an Express or Fastify
   * request too) or a plain headers object.
   */
  getSession(request: SessionSource): Promise<ValidSession | null>;
  listSessions(userId: string): Promise<Session[]>;
  revokeSession(sessionId: string, userId: string, context?: Partial<RequestContext>): Promise<boolean>;
  /**
   * Stops the outbox worker (sends in flight finish, claimed messages not yet
   * sent go back to the queue for other instances), then closes the mailer, the
   * Redis connection and the store (unless it was passed in). Stop serving
   * requests first: handlers still running need the store.
   */
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
  const random = options.random ?? nodeRandom;
  const logger = options.logger ?? pino({ level: config.logLevel });
  const usesDevMailbox = !options.mailer && config.smtpUrl === null;
  // Issue #12 finding 14: the dev mailbox shows every sign-in link to whoever opens
  // it, so it is never served for a base URL other people can reach.
  if (usesDevMailbox && !isLoopbackHost(config.baseUrl.hostname)) {
    throw new ConfigError(
      `LATCHKEY_SMTP_URL: required when LATCHKEY_BASE_URL (${config.baseUrl.origin}) is not a loopback address: the dev mailbox would show every sign-in link to anyone (use http://localhost:3000 for development)`,
    );
  }
  // Issue #16: with open signup, "any signed-in account" is anyone who can receive a mail.
  if (config.accessRules?.anyAccount && config.signup === 'open') {
    const rules = config.accessRules.rules.filter((rule) => rule.anyAccount).map((rule) => `${rule.number} (${rule.host}${rule.path === '/' ? '' : rule.path})`);
    logger.warn(
      { rules },
      'LATCHKEY_ACCESS_RULES: a rule allows "*" (any signed-in account) while LATCHKEY_SIGNUP=open: anyone with an email address can sign up and open it; close signup or list addresses or @domains',
    );
  }
  const store = options.store ?? (await openStore(config.databaseUrl));
  await store.migrate();

  const devLinkStart = absoluteUrlFor(config.baseUrl, 'verifyPage', undefined, { token: '' });
  const devMailbox =
    usesDevMailbox
      ? new DevMailbox({
          // Development only (production refuses to run without SMTP): printing the
          // link is the dev mailbox's purpose, so this is the one place a link is logged.
          onMessage: (message: MailMessage) =>
            logger.info(
              { to: message.to, link: message.text.split(/\s/).find((word) => word.startsWith(devLinkStart)) },
              `dev mailbox: "${message.subject}", also at ${absoluteUrlFor(config.baseUrl, 'devMailbox')}`,
            ),
        })
      : null;
  // nodemailer (~25 MB) loads only when mail really goes over SMTP.
  const mailer: Mailer = options.mailer ?? devMailbox ?? (await import('./mail/smtp.ts')).createSmtpMailer(config.smtpUrl ?? '');
  const limiters = await openLimiters(config, logger, store, now);
  await limiters.ready;
  // The one context (src/context.ts): every request's work uses it, nothing is rebuilt per request.
  const ctx = createContext({ config, now, random, logger, store, mailer, limiters: limiters.backend, mailQueued: () => outbox.notify() });
  const outbox = new OutboxWorker({
    onAttempt: (result) => ctx.metrics.mailAttempt(result),
    store,
    mailer,
    sealKey: deriveKey(config.secret, 'outbox-seal'),
    // Mail is rendered here, at send time, not on the request path.
    render: (template) => renderQueuedMail(template, ctx.brand),
    from: config.mailFrom,
    messageIdDomain: config.baseUrl.hostname,
    leaseMs: config.outboxLeaseMs,
    now,
    logger,
  });
  const sessionCookie = cookieNames(config).session;
  const oidc = await startOidcProvider({
    ...ctx,
    latchkeySession: (cookieHeader) => validateSession(store, ctx.sessions, readCookieHeader(cookieHeader ?? null, sessionCookie), now()),
    sessionCookie: { clearing: sessionClearingHeaders(cookieNames(config)) },
  });
  const app = createApp(ctx, { devMailbox, version: buildInfo().version, oidc });
  if (options.startWorker !== false) outbox.start();
  // Retention prunes the audit trail by age only (the one delete it allows), hourly.
  const pruneAudit = () =>
    store.pruneAudit(now() - config.auditRetentionDays * 86_400_000).then(
      (pruned) => pruned > 0 && logger.info({ pruned, retentionDays: config.auditRetentionDays }, 'audit: pruned events past retention'),
      (error: unknown) => logger.warn({ err: String(error) }, 'audit: pruning failed; will retry in an hour'),
    );
  const pruneTimer = options.startWorker !== false ? setInterval(pruneAudit, 3_600_000).unref() : null;
  if (pruneTimer) void pruneAudit();

  return {
    config,
    store,
    app,
    outbox,
    devMailbox,
    metricsApp: config.metricsListen ? createMetricsApp(ctx) : null,
    policy: ctx.policy,
    fetch: async (request, env) => app.fetch(request, env),
    requestSignIn: (input, context) => requestSignIn(ctx, input, fullContext(context)),
    verify: (token, context) => verifySignInLink(ctx, token, fullContext(context)),
    verifyCode: (email, code, context) => verifySignInCode(ctx, email, code, fullContext(context)),
    verifySecondFactor: (pendingToken, input, context) => completeSecondFactor(ctx, pendingToken, input, fullContext(context)),
    signInWithPassword: (input, context) => signInWithPassword(ctx, input, fullContext(context)),
    requestPasswordReset: (input, context) => requestPasswordReset(ctx, input, fullContext(context)),
    resetPassword: (input, context) => resetPassword(ctx, input, fullContext(context)),
    getSession: (request) => validateSession(store, ctx.sessions, readCookieHeader(cookieHeaderOf(request), sessionCookie), now()),
    listSessions: (userId) => store.listSessions(userId, now()),
    revokeSession: (sessionId, userId, context) =>
      store.revokeSession(sessionId, userId, now(), [
        auditEvent(fullContext(context), { type: 'session.revoked', outcome: 'success', at: now(), userId }),
      ]),
    close: async () => {
      if (pruneTimer) clearInterval(pruneTimer);
      await outbox.stop();
      await mailer.close();
      await limiters.close();
      if (!options.store) await store.close();
    },
  };
}
