// What the bench asks of a Latchkey server, scenario by scenario, and the
// production settings it runs under: shared by the wall-clock bench (run.ts)
// and the instruction counts (instructions.ts), so both measure the same work.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadSpec } from './load.ts';
import type { Seeded } from './seed.ts';

/** Issue #16: the host the forward-auth scenario's rule protects, for the seeded session's domain. */
export const FORWARD_AUTH_HOST = 'app.bench.example';

export type LatchkeyScenarioName =
  | 'session check'
  | 'forward-auth (allowed)'
  | 'sign-in request'
  | 'verify (new user)'
  | 'verify (returning user)'
  | 'sign-in by code';

/** What seeds the rows a scenario consumes (bench/seed.ts; a checkout's own Seeder when another build is measured). */
export interface SeedSource {
  tokens(count: number, returning: boolean): Promise<Seeded[]>;
  sessionCookie(): Promise<string>;
}

export type PreparedLoad = Omit<LoadSpec, 'connections' | 'durationSeconds'>;

export interface LatchkeyScenario {
  name: LatchkeyScenarioName;
  /** Builds the load for one run against the server at `url`; `expected` is how many requests to prepare for. */
  prepare: (url: string, seeder: SeedSource, expected: number) => Promise<PreparedLoad>;
  /** Each request uses up a seeded row. */
  consumes: boolean;
  /** Run with this one too (also under --only), and reported as a ratio to it. */
  comparedWith?: LatchkeyScenarioName;
}

const json = { 'content-type': 'application/json' };

/** Each request verifies one seeded magic link; `returning`: its user exists already. */
function verifyLink(name: LatchkeyScenarioName, returning: boolean): LatchkeyScenario {
  return {
    name,
    prepare: async (url, seeder, expected) => ({
      url: `${url}/auth/verify`,
      method: 'POST',
      headers: json,
      bodies: (await seeder.tokens(expected, returning)).map((s) => JSON.stringify({ token: s.token })),
    }),
    consumes: true,
  };
}

export const LATCHKEY_SCENARIOS: LatchkeyScenario[] = [
  {
    name: 'session check',
    prepare: async (url, seeder) => ({ url: `${url}/auth/session`, method: 'GET', headers: { cookie: `latchkey_session=${await seeder.sessionCookie()}` } }),
    consumes: false,
  },
  {
    // Issue #16: the proxy's question on every proxied request, as nginx asks it; its ratio to the session check is reported.
    name: 'forward-auth (allowed)',
    prepare: async (url, seeder) => ({
      url: `${url}/auth/auth-request`,
      method: 'GET',
      headers: { cookie: `latchkey_session=${await seeder.sessionCookie()}`, 'x-original-url': `https://${FORWARD_AUTH_HOST}/dashboards/42?from=now-6h` },
    }),
    consumes: false,
    comparedWith: 'session check',
  },
  {
    name: 'sign-in request',
    prepare: async (url) => ({ url: `${url}/auth/sign-in/email`, method: 'POST', headers: json, bodyTemplate: `{"email":"load-${Date.now()}-{n}@example.com"}` }),
    consumes: false,
  },
  verifyLink('verify (new user)', false),
  verifyLink('verify (returning user)', true),
  {
    name: 'sign-in by code',
    prepare: async (url, seeder, expected) => ({
      url: `${url}/auth/sign-in/code`,
      method: 'POST',
      headers: json,
      bodies: (await seeder.tokens(expected, false)).map((s) => JSON.stringify({ email: s.email, code: s.code })),
    }),
    consumes: true,
  },
];

// The load comes from one IP at thousands of requests per second, so the per-IP
// and global caps are raised out of the way (and the table says so). The
// per-address limits keep their defaults: every request uses a new address.
const BENCH_LIMITS: Record<string, string> = {
  LATCHKEY_LIMIT_MAILS_PER_IP_HOUR: '1000000',
  LATCHKEY_LIMIT_MAILS_PER_HOUR: '10000000',
  LATCHKEY_LIMIT_VERIFY_PER_IP_5MIN: '1000000',
};

/** A rules file that lets the forward-auth scenario's session through (`LATCHKEY_ACCESS_RULES`). */
export function accessRulesFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'latchkey-bench-rules-')), 'rules.json');
  writeFileSync(file, JSON.stringify({ rules: [{ host: FORWARD_AUTH_HOST, allow: ['@example.com'] }] }));
  return file;
}

export interface ProductionSettings {
  port: number;
  databaseUrl: string;
  sinkPort: number;
  secret: string;
  accessRules: string;
  /** With PostgreSQL the limits live in Redis, as in a multi-instance deployment. */
  redisUrl?: string;
}

/** The environment of a server under test in production mode: its database, the SMTP sink, the bench's raised caps. */
export function productionEnv(settings: ProductionSettings): NodeJS.ProcessEnv {
  const url = `http://127.0.0.1:${settings.port}`;
  return {
    ...process.env,
    NODE_ENV: 'production',
    PORT: String(settings.port),
    HOST: '127.0.0.1',
    LATCHKEY_BASE_URL: url,
    LATCHKEY_DATABASE_URL: settings.databaseUrl,
    LATCHKEY_SMTP_URL: `smtp://127.0.0.1:${settings.sinkPort}`,
    LATCHKEY_SECRET: settings.secret,
    // Production refuses an open /metrics on the public listener (issue #12 finding 9).
    LATCHKEY_METRICS_TOKEN: settings.secret,
    LATCHKEY_LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    // The forward-auth scenario's rule, asked by "nginx" on loopback.
    LATCHKEY_ACCESS_RULES: settings.accessRules,
    LATCHKEY_TRUSTED_PROXIES: '127.0.0.1',
    ...(settings.redisUrl ? { LATCHKEY_REDIS_URL: settings.redisUrl, LATCHKEY_REDIS_PREFIX: `bench-${process.pid}` } : {}),
    ...BENCH_LIMITS,
  };
}
