// Library options (createLatchkey({ … })) as the environment variables they
// stand for, so both paths go through the one schema in config.ts and validate
// identically. Kept apart from config.ts, which stays one readable page.

import type { LatchkeyOptions, RateLimits } from './config.ts';
import { LIMIT_ENV } from './rate-limits.ts';

/** Maps library options onto the same schema, so both paths validate identically. */
export function optionsToEnv(options: LatchkeyOptions): Record<string, unknown> {
  const env: Record<string, unknown> = {
    LATCHKEY_BASE_URL: options.baseUrl,
    LATCHKEY_DATABASE_URL: options.databaseUrl,
    LATCHKEY_SMTP_URL: options.smtpUrl,
    LATCHKEY_MAIL_FROM: options.mailFrom,
    LATCHKEY_SECRET: options.secret,
    LATCHKEY_TOKEN_TTL: options.tokenTtlSeconds,
    LATCHKEY_PASSWORD_RESET_TTL: options.passwordResetTtlSeconds,
    LATCHKEY_EMAIL_CHANGE_TTL: options.emailChangeTtlSeconds,
    LATCHKEY_EMAIL_VERIFY_TTL: options.emailVerifyTtlSeconds,
    LATCHKEY_ARGON2_MEMORY_KIB: options.passwordHashing?.memoryKiB,
    LATCHKEY_ARGON2_PASSES: options.passwordHashing?.passes,
    LATCHKEY_ARGON2_PARALLELISM: options.passwordHashing?.parallelism,
    LATCHKEY_SESSION_TTL: options.sessionTtlSeconds,
    LATCHKEY_SESSION_IDLE_TTL: options.sessionIdleTtlSeconds,
    LATCHKEY_SIGNUP: options.signup,
    LATCHKEY_ALLOWED_REDIRECTS: options.allowedRedirectOrigins?.join(','),
    LATCHKEY_PRODUCT_NAME: options.productName,
    LATCHKEY_LOGO_URL: options.logoUrl,
    LATCHKEY_ACCENT_COLOR: options.accentColor,
    LATCHKEY_SUPPORT_EMAIL: options.supportEmail,
    LATCHKEY_LOCALE: options.locale,
    LATCHKEY_RESEND_INTERVAL: options.resendIntervalSeconds,
    ...Object.fromEntries(Object.entries(options.limits ?? {}).map(([key, value]) => [LIMIT_ENV[key as keyof RateLimits], value])),
    LATCHKEY_REDIS_URL: options.redisUrl,
    LATCHKEY_METRICS_TOKEN: options.metricsToken,
    LATCHKEY_METRICS_LISTEN: options.metricsListen,
    LATCHKEY_ADMIN_TOKEN: options.adminToken,
    LATCHKEY_AUDIT_RETENTION_DAYS: options.auditRetentionDays,
    LATCHKEY_REDIS_PREFIX: options.redisKeyPrefix,
    LATCHKEY_TRUSTED_PROXIES: options.trustedProxies?.join(','),
    LATCHKEY_LINK_DEVICE: options.linkDevice,
    LATCHKEY_CROSS_DEVICE_APPROVAL: options.crossDeviceApproval === undefined ? undefined : options.crossDeviceApproval ? 'on' : 'off',
    LATCHKEY_OUTBOX_LEASE_MS: options.outboxLeaseMs,
    LATCHKEY_OIDC_CLIENTS: options.oidcClientsFile,
    LATCHKEY_PASSKEY_RP_ID: options.passkeyRpId,
    LATCHKEY_ACCESS_RULES: options.accessRulesFile,
    LATCHKEY_COOKIE_DOMAIN: options.cookieDomain,
    LATCHKEY_DATA_DIR: options.dataDir,
    LATCHKEY_LOG_LEVEL: options.logLevel,
    NODE_ENV: options.production === undefined ? undefined : options.production ? 'production' : 'development',
  };
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
}
