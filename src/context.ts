// The context: everything a request's work may use, built once at startup
// (createLatchkey, src/latchkey.ts) and never per request. Core functions do not
// take it whole: each declares the part it uses, `Pick<Context, 'store' | 'now' | …>`
// (a named alias per module, such as SignInContext), so a signature says what a
// function can touch and a test knows what to give it. The HTTP layer gets the
// same object plus its own parts (http/env.ts HttpDeps).

import type { Logger } from 'pino';
import { brandFromConfig, type Brand } from './branding.ts';
import type { LatchkeyConfig } from './config.ts';
import type { ComposeAccountMail } from './core/account.ts';
import { deriveKey } from './core/crypto.ts';
import type { LimiterBackend } from './core/limiters.ts';
import type { PasskeySettings } from './core/passkey-challenges.ts';
import { createMetrics, type Metrics } from './core/metrics.ts';
import { createPasswordHasher, type PasswordHasher } from './core/passwords.ts';
import { createPolicy, type Policy } from './core/policy.ts';
import type { Random } from './core/random.ts';
import type { RedirectPolicy } from './core/redirects.ts';
import { createSecurityNotices, type SecurityNotices } from './core/security-notices.ts';
import type { SessionPolicy } from './core/sessions.ts';
import type { ComposeSignInMail } from './core/sign-in.ts';
import { createTokenEngine, type TokenEngine } from './core/tokens.ts';
import type { TwoFactorKeys } from './core/totp.ts';
import { composeAccountMail, composeSignInMail } from './mail/compose.ts';
import type { Mailer } from './mail/mailer.ts';
import type { Store } from './store/store.ts';
import { buildInfo } from './version.ts';
import { urlFor } from './route-table.ts';

export interface Context {
  readonly config: LatchkeyConfig;
  /** The clock (epoch ms): every "now" of a request comes from here. */
  readonly now: () => number;
  /** Every id, bearer secret and code (core/random.ts). */
  readonly random: Random;
  readonly store: Store;
  /** The one-time token engine, for every purpose (core/tokens.ts). */
  readonly tokens: TokenEngine;
  /** Every allow/deny decision (rate limits, redirects, guards): core/policy.ts. */
  readonly policy: Policy;
  /** LATCHKEY_BASE_URL: every link in a mail is built on it. */
  readonly baseUrl: URL;
  readonly signup: 'open' | 'closed';
  readonly sessions: SessionPolicy;
  readonly redirects: RedirectPolicy;
  /** LATCHKEY_CROSS_DEVICE_APPROVAL: a link opened elsewhere approves the waiting browser (core/cross-device.ts). */
  readonly crossDeviceApproval: boolean;
  /** TOTP and recovery-code keys (issue #5). */
  readonly twoFactor: TwoFactorKeys;
  readonly passwords: PasswordHasher;
  /** The passkeys' relying party (issue #17); null: unavailable (an IP-address base URL). */
  readonly passkeys: PasskeySettings | null;
  /** The sign-in mail as a sealed outbox row (mail/compose.ts). */
  readonly composeSignInMail: ComposeSignInMail;
  /** The account flows' mails as sealed outbox rows (mail/compose.ts). */
  readonly composeAccountMail: ComposeAccountMail;
  /** Wakes the outbox worker so a queued mail leaves at once. */
  readonly mailQueued: () => void;
  /** Mail to the account after a change to how it signs in (core/security-notices.ts). */
  readonly securityNotices: SecurityNotices;
  /** Pages and mail: product name, logo, accent (computed once: src/branding.ts). */
  readonly brand: Brand;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly mailer: Mailer;
}

/** What createLatchkey opens or is given before the context can be built. */
export interface ContextParts {
  config: LatchkeyConfig;
  now: () => number;
  random: Random;
  logger: Logger;
  store: Store;
  mailer: Mailer;
  /** The limiter backend (core/open-limiters.ts): memory, or Redis with the database behind it. */
  limiters: LimiterBackend;
  mailQueued: () => void;
}

/** The context of one Latchkey instance: every key derived, every policy and composer made, once. */
export function createContext(parts: ContextParts): Context {
  const { config, now, random, store } = parts;
  const sealKey = deriveKey(config.secret, 'outbox-seal');
  const metrics = createMetrics(buildInfo(), () => store.outboxSummary(0), now);
  const rules = config.accessRules;
  const redirects: RedirectPolicy = {
    baseUrl: config.baseUrl,
    allowedOrigins: config.allowedRedirectOrigins,
    defaultPath: urlFor('account'),
    ...(rules ? { protectedHost: (host: string) => rules.protects(host) } : {}),
  };
  const policy = createPolicy({
    limits: config.limits,
    resendIntervalSeconds: config.resendIntervalSeconds,
    backend: parts.limiters,
    store,
    redirects,
    accessRules: rules,
    origin: config.baseUrl.origin,
    linkDevice: config.linkDevice,
    keySecret: deriveKey(config.secret, 'limiter-keys'),
    now,
    onDenied: (reason) => metrics.policyDenied(reason),
  });
  const tokens = createTokenEngine({ store, random }, deriveKey(config.secret, 'code-hmac'), config.maxCodeAttempts, {
    sign_in: config.tokenTtlSeconds,
    password_reset: config.passwordResetTtlSeconds,
    email_verify: config.emailVerifyTtlSeconds,
    email_change: config.emailChangeTtlSeconds,
    // "This wasn't me" must work as long as the change it undoes could still be confirmed, and a while after.
    email_change_cancel: config.emailChangeTtlSeconds,
  });
  const accountMail = composeAccountMail({ sealKey, random, locale: config.locale });
  const base = {
    config,
    now,
    random,
    store,
    tokens,
    policy,
    baseUrl: config.baseUrl,
    signup: config.signup,
    sessions: { ttlSeconds: config.sessionTtlSeconds, idleTtlSeconds: config.sessionIdleTtlSeconds },
    redirects,
    crossDeviceApproval: config.crossDeviceApproval,
    twoFactor: {
      totpKey: deriveKey(config.secret, 'totp-seal'),
      recoveryCodeKey: deriveKey(config.secret, 'recovery-code-hmac'),
      issuer: config.productName,
    },
    passwords: createPasswordHasher(config.passwordHashing),
    passkeys: config.passkeyRpId === null ? null : { rpId: config.passkeyRpId, rpName: config.productName, origin: config.baseUrl.origin },
    composeSignInMail: composeSignInMail({ sealKey, random, locale: config.locale, tokenTtlSeconds: config.tokenTtlSeconds }),
    composeAccountMail: accountMail,
    mailQueued: parts.mailQueued,
    brand: brandFromConfig(config),
    metrics,
    logger: parts.logger,
    mailer: parts.mailer,
  } satisfies Omit<Context, 'securityNotices'>;
  return { ...base, securityNotices: createSecurityNotices(base) };
}
