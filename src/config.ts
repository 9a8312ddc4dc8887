// The one typed source of truth for configuration: environment variables for the
// server, the same options as an object for library mode. Development defaults
// are loud; production refuses them.

import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';

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
  sessionTtlSeconds?: number;
  sessionIdleTtlSeconds?: number;
  signup?: 'open' | 'closed';
  /** Exact origins allowed as redirectTo besides the base URL's own. */
  allowedRedirectOrigins?: string[];
  production?: boolean;
  productName?: string;
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
  sessionTtlSeconds: number;
  sessionIdleTtlSeconds: number;
  signup: 'open' | 'closed';
  allowedRedirectOrigins: string[];
  production: boolean;
  productName: string;
  dataDir: string;
  logLevel: string;
  maxCodeAttempts: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const DAY = 86_400;

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
  LATCHKEY_SESSION_TTL: seconds(300, 400 * DAY).default(30 * DAY),
  LATCHKEY_SESSION_IDLE_TTL: seconds(300, 400 * DAY).default(7 * DAY),
  LATCHKEY_SIGNUP: z.enum(['open', 'closed']).default('open'),
  LATCHKEY_ALLOWED_REDIRECTS: z.string().default(''),
  LATCHKEY_PRODUCT_NAME: z.string().min(1).max(60).regex(/^[^\r\n<>]+$/, 'must be one line of plain text').default('Latchkey'),
  LATCHKEY_DATA_DIR: z.string().min(1).default('./data'),
  LATCHKEY_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NODE_ENV: z.string().optional(),
});

type EnvInput = z.input<typeof schema>;

/** Maps library options onto the same schema, so both paths validate identically. */
function optionsToEnv(options: LatchkeyOptions): Record<string, unknown> {
  const env: Record<string, unknown> = {
    LATCHKEY_BASE_URL: options.baseUrl,
    LATCHKEY_DATABASE_URL: options.databaseUrl,
    LATCHKEY_SMTP_URL: options.smtpUrl,
    LATCHKEY_MAIL_FROM: options.mailFrom,
    LATCHKEY_SECRET: options.secret,
    LATCHKEY_TOKEN_TTL: options.tokenTtlSeconds,
    LATCHKEY_SESSION_TTL: options.sessionTtlSeconds,
    LATCHKEY_SESSION_IDLE_TTL: options.sessionIdleTtlSeconds,
    LATCHKEY_SIGNUP: options.signup,
    LATCHKEY_ALLOWED_REDIRECTS: options.allowedRedirectOrigins?.join(','),
    LATCHKEY_PRODUCT_NAME: options.productName,
    LATCHKEY_DATA_DIR: options.dataDir,
    LATCHKEY_LOG_LEVEL: options.logLevel,
    NODE_ENV: options.production === undefined ? undefined : options.production ? 'production' : 'development',
  };
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
}

export function parseEnv(env: Record<string, string | undefined>): z.output<typeof schema> {
  // Empty variables count as unset, as in most twelve-factor tooling.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned as EnvInput);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `${String(issue.path[0] ?? 'config')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return result.data;
}

export function resolveConfig(options: LatchkeyOptions = {}, env?: Record<string, string | undefined>): LatchkeyConfig {
  const raw = parseEnv({ ...(env ?? {}), ...(optionsToEnv(options) as Record<string, string>) });
  const production = raw.NODE_ENV === 'production';
  const baseUrl = new URL(raw.LATCHKEY_BASE_URL);
  if (baseUrl.pathname !== '/' || baseUrl.search || baseUrl.hash || baseUrl.username) {
    throw new ConfigError('LATCHKEY_BASE_URL: must be an origin only, like https://auth.example.com');
  }
  const allowedRedirectOrigins = raw.LATCHKEY_ALLOWED_REDIRECTS.split(',')
    .map((value) => value.trim())
    .filter(Boolean)
    .map((value) => {
      try {
        return new URL(value).origin;
      } catch {
        throw new ConfigError(`LATCHKEY_ALLOWED_REDIRECTS: "${value}" is not an origin`);
      }
    });
  if (production) {
    if (raw.LATCHKEY_SMTP_URL === null) {
      throw new ConfigError('LATCHKEY_SMTP_URL: required when NODE_ENV=production (the dev mailbox is for development only)');
    }
    const local = ['localhost', '127.0.0.1', '[::1]'].includes(baseUrl.hostname);
    if (baseUrl.protocol !== 'https:' && !local) {
      throw new ConfigError('LATCHKEY_BASE_URL: must be https:// when NODE_ENV=production (sign-in links are bearer secrets)');
    }
    if (raw.LATCHKEY_SECRET === null) {
      throw new ConfigError('LATCHKEY_SECRET: required when NODE_ENV=production (at least 32 bytes, e.g. `openssl rand -base64 48`)');
    }
  }
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
    sessionTtlSeconds: raw.LATCHKEY_SESSION_TTL,
    sessionIdleTtlSeconds: raw.LATCHKEY_SESSION_IDLE_TTL,
    signup: raw.LATCHKEY_SIGNUP,
    allowedRedirectOrigins,
    production,
    productName: raw.LATCHKEY_PRODUCT_NAME,
    dataDir,
    logLevel: raw.LATCHKEY_LOG_LEVEL,
    maxCodeAttempts: 5,
  };
}

/** Generated once and kept under dataDir, so development restarts keep sessions. */
function developmentSecret(dataDir: string): string {
  const path = join(dataDir, 'secret');
  if (existsSync(path)) {
    const stored = readFileSync(path, 'utf8').trim();
    if (stored.length >= 32) return stored;
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return secret;
}
