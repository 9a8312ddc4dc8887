// The one typed source of truth for configuration: environment variables for the
// server, the same options as an object for library mode. Development defaults
// are loud; production refuses them.

import { z } from 'zod';
import { parseCidr } from './core/client-ip.ts';
import { parseListenAddress, type ListenAddress } from './listen-address.ts';
import { ConfigError, configFailure } from './config-error.ts';
import { developmentSecret } from './development-secret.ts';
import { LIMIT_ENV, LIMIT_SCHEMA, type RateLimits } from './rate-limits.ts';
import { resolvePasskeyRpId } from './passkey-rp-id.ts';
import { optionsToEnv } from './config-options.ts';
import type { AccessRules } from './core/access-rules.ts';
import { COOKIE_DOMAIN_SCHEMA, forwardAuthSettings } from './config-forward-auth.ts';

export { ConfigError };
export type { RateLimits };

export interface LatchkeyOptions {
  /** The only origin used to build links (never the Host header). Default http://localhost:3000. */
  baseUrl?: string;
  /** sqlite:…, file:…, a file path, or postgres://…. Default sqlite:./data/latchkey.db. */
  databaseUrl?: string;
  /** Unset: the built-in dev mailbox. */
  smtpUrl?: string | null;
  mailFrom?: string;
  /** At least 32 bytes. Generated under dataDir in development; required in production. */
  secret?: string;
  tokenTtlSeconds?: number;
  /** Password reset link and code lifetime (default 900 s). */
  passwordResetTtlSeconds?: number;
  /** Email change confirmation and "this wasn't me" link lifetime (default 86400 s). */
  emailChangeTtlSeconds?: number;
  /** Email verification link lifetime (default 86400 s). */
  emailVerifyTtlSeconds?: number;
  /** Argon2id cost of new password hashes; older hashes are rehashed at the next password sign-in. */
  passwordHashing?: Partial<PasswordHashingOptions>;
  sessionTtlSeconds?: number;
  sessionIdleTtlSeconds?: number;
  signup?: 'open' | 'closed';
  /** Exact origins allowed as redirectTo besides the base URL's own. */
  allowedRedirectOrigins?: string[];
  production?: boolean;
  productName?: string;
  /** https URL of a logo shown on pages (and in mail). Unset: no image at all. */
  logoUrl?: string | null;
  /** #rrggbb; button and focus colour on pages and in mail. */
  accentColor?: string;
  /** Shown on pages and in mail as the place to ask for help. */
  supportEmail?: string | null;
  /** 'auto' picks from Accept-Language (English fallback); 'en' or 'de' fixes the language. */
  locale?: 'auto' | 'en' | 'de';
  /** Seconds between two sign-in mails to one address: the resend countdown and the limiter share it. */
  resendIntervalSeconds?: number;
  /** Abuse limits (issue #4, SECURITY.md); each also has a LATCHKEY_LIMIT_* variable. */
  limits?: Partial<RateLimits>;
  /** redis://… shares the rate limits between instances; unset: kept in this process. */
  redisUrl?: string | null;
  /** Prefix of every Redis key (several deployments or tests on one Redis). */
  redisKeyPrefix?: string;
  /** Bearer token for GET /metrics; unset: /metrics is open (production then needs metricsListen). */
  metricsToken?: string | null;
  /** "127.0.0.1:9464": /metrics on a listener of its own (`latchkey start`; library users serve `metricsApp`). */
  metricsListen?: string | null;
  /** Bearer token of the admin API under /admin; unset: the admin API does not exist. */
  adminToken?: string | null;
  /** Audit events older than this many days are pruned (by age only). */
  auditRetentionDays?: number;
  /** Addresses or CIDRs of reverse proxies whose X-Forwarded-For is believed. */
  trustedProxies?: string[];
  /** 'any': the browser that confirms gets the session; 'same': the link works only in the browser that asked. */
  linkDevice?: 'any' | 'same';
  /**
   * Cross-device approval: a link opened on another device asks which of three
   * numbers the waiting browser shows, and only the right pick signs that
   * browser in (the other device gets no session). Default false.
   */
  crossDeviceApproval?: boolean;
  /**
   * How long a worker holds the outbox messages it claimed. A worker that dies
   * mid-send has its messages taken over after this; a live one gives up on a
   * send after half of it, so two never send one message. Default 60000.
   */
  outboxLeaseMs?: number;
  /** Path of a JSON file of OpenID Connect clients (issue #15); unset: no OpenID Connect provider. */
  oidcClientsFile?: string | null;
  /** Passkeys' relying-party ID: the base URL's host (default) or a registrable parent of it (issue #17). */
  passkeyRpId?: string | null;
  /** Path of the JSON file of forward-auth access rules (issue #16); unset: forward-auth denies every request. */
  accessRulesFile?: string | null;
  /** The access rules as an object (library mode), instead of accessRulesFile: `{ rules: [ … ] }`. */
  accessRules?: unknown;
  /**
   * A parent domain of the base URL's host (example.com for auth.example.com):
   * a proxy cookie is sent to every host below it (`__Secure-latchkey_proxy;
   * Domain=…`), so the apps behind forward-auth share the sign-in (issue #16);
   * only the forward-auth endpoints accept it, the session cookie stays host-only.
   */
  cookieDomain?: string | null;
  dataDir?: string;
  logLevel?: string;
}

export interface LatchkeyConfig {
  baseUrl: URL;
  databaseUrl: string;
  smtpUrl: string | null;
  mailFrom: string;
  secret: string;
  /** True when the secret was generated for development under dataDir. */
  secretGenerated: boolean;
  tokenTtlSeconds: number;
  passwordResetTtlSeconds: number;
  emailChangeTtlSeconds: number;
  emailVerifyTtlSeconds: number;
  passwordHashing: PasswordHashingOptions;
  sessionTtlSeconds: number;
  sessionIdleTtlSeconds: number;
  signup: 'open' | 'closed';
  allowedRedirectOrigins: string[];
  production: boolean;
  productName: string;
  logoUrl: string | null;
  accentColor: string;
  supportEmail: string | null;
  locale: 'auto' | 'en' | 'de';
  resendIntervalSeconds: number;
  limits: RateLimits;
  redisUrl: string | null;
  redisKeyPrefix: string;
  metricsToken: string | null;
  /** Where /metrics is served instead of the public listener; null: on the public listener. */
  metricsListen: ListenAddress | null;
  adminToken: string | null;
  auditRetentionDays: number;
  trustedProxies: string[];
  linkDevice: 'any' | 'same';
  crossDeviceApproval: boolean;
  outboxLeaseMs: number;
  oidcClientsFile: string | null;
  /** The passkeys' relying-party ID; null: passkeys unavailable (an IP-address base URL). */
  passkeyRpId: string | null;
  /** LATCHKEY_ACCESS_RULES, validated and compiled (core/access-rules.ts); null: none. */
  accessRules: AccessRules | null;
  /** LATCHKEY_COOKIE_DOMAIN, lower-case: the proxy cookie's Domain; null: no proxy cookie. */
  cookieDomain: string | null;
  dataDir: string;
  logLevel: string;
  maxCodeAttempts: number;
}

/** Argon2id cost (OWASP Password Storage Cheat Sheet: 19 MiB, 2 passes, 1 lane by default). */
export interface PasswordHashingOptions {
  memoryKiB: number;
  passes: number;
  parallelism: number;
}

const DAY = 86_400;

const count = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const seconds = (min: number, max: number) =>
  z.coerce.number().int().min(min, `must be at least ${min} seconds`).max(max, `must be at most ${max} seconds`);

// Keys are the environment variable names so every error names the variable.
const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  LATCHKEY_BASE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('http://localhost:3000'),
  LATCHKEY_DATABASE_URL: z.string().min(1).default('sqlite:./data/latchkey.db'),
  LATCHKEY_SMTP_URL: z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' }).nullable().default(null),
  LATCHKEY_MAIL_FROM: z.string().min(3).regex(/^[^\r\n]+$/, 'must be one line').default('Latchkey <no-reply@localhost>'),
  LATCHKEY_SECRET: z.string().min(32, 'must be at least 32 bytes').nullable().default(null),
  // ASVS 5.0 6.5.5 / NIST SP 800-63B: an emailed sign-in secret lives at most 10 minutes.
  LATCHKEY_TOKEN_TTL: seconds(60, 600).default(600),
  // Issue #5: a reset link is a sign-in link that also sets a password, so it stays short.
  LATCHKEY_PASSWORD_RESET_TTL: seconds(60, 3600).default(900),
  LATCHKEY_EMAIL_CHANGE_TTL: seconds(600, 7 * DAY).default(DAY),
  LATCHKEY_EMAIL_VERIFY_TTL: seconds(600, 7 * DAY).default(DAY),
  // OWASP: 19 MiB with 2 passes; raise either and older hashes are upgraded at the next sign-in.
  LATCHKEY_ARGON2_MEMORY_KIB: count(7168, 4_194_304).default(19_456),
  LATCHKEY_ARGON2_PASSES: count(1, 20).default(2),
  LATCHKEY_ARGON2_PARALLELISM: count(1, 16).default(1),
  LATCHKEY_SESSION_TTL: seconds(300, 400 * DAY).default(30 * DAY),
  LATCHKEY_SESSION_IDLE_TTL: seconds(300, 400 * DAY).default(7 * DAY),
  LATCHKEY_SIGNUP: z.enum(['open', 'closed']).default('open'),
  LATCHKEY_ALLOWED_REDIRECTS: z.string().default(''),
  LATCHKEY_PRODUCT_NAME: z.string().min(1).max(60).regex(/^[^\r\n<>]+$/, 'must be one line of plain text').default('Latchkey'),
  LATCHKEY_LOGO_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048).nullable().default(null),
  LATCHKEY_ACCENT_COLOR: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a hex colour like #4f46e5').default('#4f46e5'),
  LATCHKEY_SUPPORT_EMAIL: z.email({ error: 'must be an email address' }).max(254).nullable().default(null),
  LATCHKEY_LOCALE: z.enum(['auto', 'en', 'de']).default('auto'),
  LATCHKEY_RESEND_INTERVAL: seconds(10, 3600).default(60),
  ...LIMIT_SCHEMA,
  LATCHKEY_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').nullable().default(null),
  LATCHKEY_METRICS_LISTEN: z.string().refine((v) => parseListenAddress(v), 'must be host:port, like 127.0.0.1:9464').nullable().default(null),
  LATCHKEY_ADMIN_TOKEN: z.string().min(32, 'must be at least 32 characters (e.g. openssl rand -base64 32)').nullable().default(null),
  LATCHKEY_AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(36500).default(365),
  LATCHKEY_REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).nullable().default(null),
  LATCHKEY_REDIS_PREFIX: z.string().min(1).max(100).regex(/^[A-Za-z0-9:_-]+$/, 'letters, digits, : _ - only').default('latchkey'),
  LATCHKEY_TRUSTED_PROXIES: z.string().default(''),
  LATCHKEY_LINK_DEVICE: z.enum(['any', 'same']).default('any'),
  LATCHKEY_CROSS_DEVICE_APPROVAL: z.enum(['on', 'off'], { error: 'must be on or off' }).default('off'),
  LATCHKEY_OUTBOX_LEASE_MS: z.coerce.number().int().min(1000, 'must be at least 1000 ms').max(3_600_000, 'must be at most 3600000 ms').default(60_000),
  LATCHKEY_OIDC_CLIENTS: z.string().min(1).nullable().default(null),
  LATCHKEY_PASSKEY_RP_ID: z.string().min(1).max(253).nullable().default(null),
  LATCHKEY_ACCESS_RULES: z.string().min(1).nullable().default(null),
  LATCHKEY_COOKIE_DOMAIN: COOKIE_DOMAIN_SCHEMA,
  LATCHKEY_DATA_DIR: z.string().min(1).default('./data'),
  LATCHKEY_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NODE_ENV: z.string().optional(),
});

type EnvInput = z.input<typeof schema>;

export function parseEnv(env: Record<string, string | undefined>): z.output<typeof schema> {
  const problems: string[] = [];
  const raw = parseEnvCollecting(env, problems);
  return raw !== null && problems.length === 0 ? raw : configFailure(problems);
}

/**
 * The variables parsed, each bad one pushed to `problems` and the rest still
 * parsed (a bad value falls back to its default), so the checks after it can
 * report their own problems in the same error (issue #12: one start, every problem).
 */
function parseEnvCollecting(env: Record<string, string | undefined>, problems: string[]): z.output<typeof schema> | null {
  // Empty variables count as unset, as in most twelve-factor tooling.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned as EnvInput);
  if (result.success) return result.data;
  const bad = new Set(result.error.issues.map((issue) => String(issue.path[0] ?? 'config')));
  problems.push(...result.error.issues.map((issue) => `${String(issue.path[0] ?? 'config')}: ${issue.message}`));
  const rest = schema.safeParse(Object.fromEntries(Object.entries(cleaned).filter(([key]) => !bad.has(key))) as EnvInput);
  return rest.success ? rest.data : null;
}

export function resolveConfig(options: LatchkeyOptions = {}, env?: Record<string, string | undefined>): LatchkeyConfig {
  const problems: string[] = [];
  const raw = parseEnvCollecting({ ...(env ?? {}), ...(optionsToEnv(options) as Record<string, string>) }, problems) ?? configFailure(problems);
  // Every check below adds to `problems` instead of throwing, so one start lists them all (issue #12).
  const problem = (message: string) => problems.push(message);
  const production = raw.NODE_ENV === 'production';
  const baseUrl = new URL(raw.LATCHKEY_BASE_URL);
  if (baseUrl.pathname !== '/' || baseUrl.search || baseUrl.hash || baseUrl.username) {
    problem('LATCHKEY_BASE_URL: must be an origin only, like https://auth.example.com');
  }
  const allowedRedirectOrigins = raw.LATCHKEY_ALLOWED_REDIRECTS.split(',')
    .map((value) => value.trim())
    .filter(Boolean)
    .flatMap((value) => {
      try {
        return [new URL(value).origin];
      } catch {
        problem(`LATCHKEY_ALLOWED_REDIRECTS: "${value}" is not an origin`);
        return [];
      }
    });
  const metricsListen = raw.LATCHKEY_METRICS_LISTEN === null ? null : parseListenAddress(raw.LATCHKEY_METRICS_LISTEN);
  if (production) {
    // A variable already reported as malformed is not reported again as missing.
    const malformed = (name: string) => problems.some((line) => line.startsWith(`${name}:`));
    if (raw.LATCHKEY_SMTP_URL === null && !malformed('LATCHKEY_SMTP_URL')) {
      problem('LATCHKEY_SMTP_URL: required when NODE_ENV=production (the dev mailbox is for development only)');
    }
    // Issue #12 finding 9: the mail counters tell a real address from an unknown one.
    if (raw.LATCHKEY_METRICS_TOKEN === null && metricsListen === null && !malformed('LATCHKEY_METRICS_TOKEN') && !malformed('LATCHKEY_METRICS_LISTEN')) {
      problem('LATCHKEY_METRICS_TOKEN or LATCHKEY_METRICS_LISTEN: required when NODE_ENV=production (an open /metrics tells which addresses have accounts)');
    }
    const local = ['localhost', '127.0.0.1', '[::1]'].includes(baseUrl.hostname);
    if (baseUrl.protocol !== 'https:' && !local) {
      problem('LATCHKEY_BASE_URL: must be https:// when NODE_ENV=production (sign-in links are bearer secrets)');
    }
    if (raw.LATCHKEY_SECRET === null && !malformed('LATCHKEY_SECRET')) {
      problem('LATCHKEY_SECRET: required when NODE_ENV=production (at least 32 bytes, e.g. `openssl rand -base64 48`)');
    }
  }
  const trustedProxies = raw.LATCHKEY_TRUSTED_PROXIES.split(',')
    .map((value) => value.trim())
    .filter(Boolean);
  for (const entry of trustedProxies) {
    if (!parseCidr(entry)) problem(`LATCHKEY_TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR`);
  }
  if (raw.LATCHKEY_LIMIT_ACCOUNT_MAX_DELAY < raw.LATCHKEY_LIMIT_ACCOUNT_DELAY) {
    problem('LATCHKEY_LIMIT_ACCOUNT_MAX_DELAY: must be at least LATCHKEY_LIMIT_ACCOUNT_DELAY');
  }
  const passkeys = resolvePasskeyRpId(baseUrl, raw.LATCHKEY_PASSKEY_RP_ID);
  if (passkeys.problem) problem(passkeys.problem);
  const { accessRules, cookieDomain } = forwardAuthSettings(options.accessRules, raw.LATCHKEY_ACCESS_RULES, raw.LATCHKEY_COOKIE_DOMAIN, baseUrl, problem);
  if (problems.length > 0) configFailure(problems);
  const dataDir = raw.LATCHKEY_DATA_DIR;
  const secret = raw.LATCHKEY_SECRET ?? developmentSecret(dataDir);
  return {
    baseUrl,
    databaseUrl: raw.LATCHKEY_DATABASE_URL,
    smtpUrl: raw.LATCHKEY_SMTP_URL,
    mailFrom: raw.LATCHKEY_MAIL_FROM,
    secret,
    secretGenerated: raw.LATCHKEY_SECRET === null,
    tokenTtlSeconds: raw.LATCHKEY_TOKEN_TTL,
    passwordResetTtlSeconds: raw.LATCHKEY_PASSWORD_RESET_TTL,
    emailChangeTtlSeconds: raw.LATCHKEY_EMAIL_CHANGE_TTL,
    emailVerifyTtlSeconds: raw.LATCHKEY_EMAIL_VERIFY_TTL,
    passwordHashing: {
      memoryKiB: raw.LATCHKEY_ARGON2_MEMORY_KIB,
      passes: raw.LATCHKEY_ARGON2_PASSES,
      parallelism: raw.LATCHKEY_ARGON2_PARALLELISM,
    },
    sessionTtlSeconds: raw.LATCHKEY_SESSION_TTL,
    sessionIdleTtlSeconds: raw.LATCHKEY_SESSION_IDLE_TTL,
    signup: raw.LATCHKEY_SIGNUP,
    allowedRedirectOrigins,
    production,
    productName: raw.LATCHKEY_PRODUCT_NAME,
    logoUrl: raw.LATCHKEY_LOGO_URL,
    accentColor: raw.LATCHKEY_ACCENT_COLOR.toLowerCase(),
    supportEmail: raw.LATCHKEY_SUPPORT_EMAIL,
    locale: raw.LATCHKEY_LOCALE,
    resendIntervalSeconds: raw.LATCHKEY_RESEND_INTERVAL,
    limits: Object.fromEntries(
      Object.entries(LIMIT_ENV).map(([key, name]) => [key, raw[name as keyof typeof raw] as number]),
    ) as unknown as RateLimits,
    redisUrl: raw.LATCHKEY_REDIS_URL,
    redisKeyPrefix: raw.LATCHKEY_REDIS_PREFIX,
    metricsToken: raw.LATCHKEY_METRICS_TOKEN,
    metricsListen,
    adminToken: raw.LATCHKEY_ADMIN_TOKEN,
    auditRetentionDays: raw.LATCHKEY_AUDIT_RETENTION_DAYS,
    trustedProxies,
    linkDevice: raw.LATCHKEY_LINK_DEVICE,
    crossDeviceApproval: raw.LATCHKEY_CROSS_DEVICE_APPROVAL === 'on',
    outboxLeaseMs: raw.LATCHKEY_OUTBOX_LEASE_MS,
    oidcClientsFile: raw.LATCHKEY_OIDC_CLIENTS,
    passkeyRpId: passkeys.rpId,
    accessRules,
    cookieDomain,
    dataDir,
    logLevel: raw.LATCHKEY_LOG_LEVEL,
    maxCodeAttempts: 5,
  };
}

