// The abuse limits: their names in code, their environment variables, and
// each one's bounds and default (the sources of the defaults are in SECURITY.md).
// Read by config.ts; decided on by core/policy.ts.

import { z } from 'zod';

/** The abuse limits; defaults and their sources are in SECURITY.md. */
export interface RateLimits {
  mailsPerAddressPer15Minutes: number;
  mailsPerAddressPerDay: number;
  mailsPerIpPerHour: number;
  /** All sign-in mails of this deployment: protects the sender's reputation. */
  mailsPerHour: number;
  /**
   * The most of mailsPerHour one network (IPv4 /24, IPv6 /48) may use, in
   * percent, so one network cannot make every other user get 429 (issue #12 finding 6).
   */
  mailsNetworkSharePercent: number;
  /**
   * Security notices (password changed or removed, second factor off, recovery
   * code used, …) per mailbox and kind of notice per hour; their own cap, apart
   * from the sign-in mail caps (issue #12 finding 5).
   */
  noticesPerAddressPerHour: number;
  /** Password set, change, removal, re-authentication and TOTP enrolment starts per account per hour (issue #12 findings 5, 8). */
  accountChangesPerHour: number;
  /** Argon2id computations running at once in this process; more wait (boundedly) or get 429 (issue #12 finding 5). */
  passwordHashConcurrency: number;
  verifyAttemptsPerIpPer5Minutes: number;
  /** Consecutive failed guesses on one path of an account (policy delayScope: email, password, session) before its delay starts. */
  accountFailuresBeforeDelay: number;
  /** The first delay; it doubles with each further failure up to accountMaxDelaySeconds. */
  accountDelaySeconds: number;
  accountMaxDelaySeconds: number;
  /** Denials audited one by one per key and minute; the rest are counted (core/denial-audit.ts). */
  deniedAuditEventsPerKeyPerMinute: number;
  /**
   * Error answers of one IP per hour that leave an `error.answered` audit event
   * (issue #12); past it only the log line has the request ID, so a flood of
   * 404s cannot fill the trail.
   */
  errorEventsPerIpPerHour: number;
  /** Passkey ceremonies (registration or sign-in options, each a stored challenge) started from one IP per 5 minutes (issue #17). */
  passkeyCeremoniesPerIpPer5Minutes: number;
  /** Passkeys one account may have; adding one more is refused (passkey_limit_reached): every stored row stays bounded. */
  passkeysPerAccount: number;
}

export const LIMIT_ENV: Record<keyof RateLimits, string> = {
  mailsPerAddressPer15Minutes: 'LATCHKEY_LIMIT_MAILS_PER_ADDRESS_15MIN',
  mailsPerAddressPerDay: 'LATCHKEY_LIMIT_MAILS_PER_ADDRESS_DAY',
  mailsPerIpPerHour: 'LATCHKEY_LIMIT_MAILS_PER_IP_HOUR',
  mailsPerHour: 'LATCHKEY_LIMIT_MAILS_PER_HOUR',
  mailsNetworkSharePercent: 'LATCHKEY_LIMIT_MAILS_NETWORK_SHARE',
  noticesPerAddressPerHour: 'LATCHKEY_LIMIT_NOTICES_PER_ADDRESS_HOUR',
  accountChangesPerHour: 'LATCHKEY_LIMIT_ACCOUNT_CHANGES_HOUR',
  passwordHashConcurrency: 'LATCHKEY_LIMIT_PASSWORD_HASH_CONCURRENCY',
  verifyAttemptsPerIpPer5Minutes: 'LATCHKEY_LIMIT_VERIFY_PER_IP_5MIN',
  accountFailuresBeforeDelay: 'LATCHKEY_LIMIT_ACCOUNT_FAILURES',
  accountDelaySeconds: 'LATCHKEY_LIMIT_ACCOUNT_DELAY',
  accountMaxDelaySeconds: 'LATCHKEY_LIMIT_ACCOUNT_MAX_DELAY',
  deniedAuditEventsPerKeyPerMinute: 'LATCHKEY_LIMIT_DENIALS_AUDITED_PER_MINUTE',
  errorEventsPerIpPerHour: 'LATCHKEY_LIMIT_ERROR_EVENTS_PER_IP_HOUR',
  passkeyCeremoniesPerIpPer5Minutes: 'LATCHKEY_LIMIT_PASSKEY_PER_IP_5MIN',
  passkeysPerAccount: 'LATCHKEY_LIMIT_PASSKEYS_PER_ACCOUNT',
};

const DAY = 86_400;

const count = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const seconds = (min: number, max: number) =>
  z.coerce.number().int().min(min, `must be at least ${min} seconds`).max(max, `must be at most ${max} seconds`);

/** Keyed by the environment variable, so every error names the variable (issue #4). */
export const LIMIT_SCHEMA = {
  LATCHKEY_LIMIT_MAILS_PER_ADDRESS_15MIN: count(1, 100).default(3),
  LATCHKEY_LIMIT_MAILS_PER_ADDRESS_DAY: count(1, 1000).default(10),
  LATCHKEY_LIMIT_MAILS_PER_IP_HOUR: count(1, 1_000_000).default(20),
  LATCHKEY_LIMIT_MAILS_PER_HOUR: count(1, 10_000_000).default(1000),
  // Issue #12 finding 6: one /24 (IPv6 /48) gets at most 10 % of the hourly budget.
  LATCHKEY_LIMIT_MAILS_NETWORK_SHARE: count(1, 100).default(10),
  // Issue #12 finding 5: notices and the changes that send them, and Argon2id's CPU and memory.
  LATCHKEY_LIMIT_NOTICES_PER_ADDRESS_HOUR: count(1, 100).default(3),
  LATCHKEY_LIMIT_ACCOUNT_CHANGES_HOUR: count(1, 1000).default(10),
  // libuv runs 4 threads by default (UV_THREADPOOL_SIZE): more would only queue there, holding 19 MiB each.
  LATCHKEY_LIMIT_PASSWORD_HASH_CONCURRENCY: count(1, 64).default(4),
  LATCHKEY_LIMIT_VERIFY_PER_IP_5MIN: count(1, 1_000_000).default(30),
  // NIST SP 800-63B-4 allows at most 100 consecutive failures; we start delaying at 20.
  LATCHKEY_LIMIT_ACCOUNT_FAILURES: count(1, 100).default(20),
  LATCHKEY_LIMIT_ACCOUNT_DELAY: seconds(1, 3600).default(60),
  LATCHKEY_LIMIT_ACCOUNT_MAX_DELAY: seconds(1, DAY).default(3600),
  LATCHKEY_LIMIT_DENIALS_AUDITED_PER_MINUTE: count(1, 10_000).default(10),
  // Issue #12: enough for a person's every error page; a scanner's 404s stay in the logs only.
  LATCHKEY_LIMIT_ERROR_EVENTS_PER_IP_HOUR: count(1, 1_000_000).default(60),
  // Issue #17: each ceremony stores a challenge; a person starts a few (the sign-in page's autofill, the button, a retry).
  LATCHKEY_LIMIT_PASSKEY_PER_IP_5MIN: count(1, 1_000_000).default(30),
  // Issue #17 review: a person has a few (a phone, a laptop, a security key or two); each is a stored row
  // and one more entry in every registration's excludeCredentials.
  LATCHKEY_LIMIT_PASSKEYS_PER_ACCOUNT: count(1, 100).default(20),
};
