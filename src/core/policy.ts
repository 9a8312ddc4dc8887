// The one place that decides whether something may happen: sending a sign-in
// mail, a verification (link, code, password, TOTP, recovery code), a redirect,
// an admin action. Every answer is a decision with a stable reason code and the
// policy version; every deny is an audit event. Callers map decisions to
// answers and check no limit of their own (issue #4).
//
// Keys are HMACs of the address or IP, so Redis never holds an address in clear.

import type { RateLimits } from '../config.ts';
import { auditEvent, type RequestContext } from './audit.ts';
import { rateLimitSubject } from './client-ip.ts';
import { constantTimeEqual, hmacSha256 } from './crypto.ts';
import type { Bucket, LimiterBackend } from './limiters.ts';
import { checkRedirect, type RedirectPolicy } from './redirects.ts';
import type { Store } from '../store/store.ts';

/** Bumped whenever a default or the meaning of a reason changes (it is in every decision). */
import { POLICY_VERSION } from './policy-version.ts';

export { POLICY_VERSION };

/** How recent a sign-in must be for sensitive account changes (issue #5: 10 minutes). */
export const RECENT_SIGN_IN_SECONDS = 600;

export type PolicyReason =
  | 'allowed'
  /** Too many sign-in mails asked for from one IP: 429. */
  | 'ip_mail_limit'
  /** Silent (202, no mail): the address got a mail less than the resend interval ago. */
  | 'address_interval'
  /** Silent (202, no mail): the address had its 15-minute or daily share of mails. */
  | 'address_limit'
  /** The deployment's hourly mail cap: 429. */
  | 'global_mail_limit'
  /** Too many verification attempts from one IP: 429. */
  | 'ip_verify_limit'
  /** The account is in its progressive delay after consecutive failures: 429. */
  | 'account_delay'
  | 'redirect_refused'
  /** LATCHKEY_LINK_DEVICE=same and the link was opened in another browser: the token stays unused. */
  | 'link_other_device'
  /** Cross-device approval: the code was typed in a browser other than the waiting one; the request stays usable. */
  | 'code_other_device'
  /** A state-changing request from another site (login CSRF): 403. */
  | 'cross_site'
  /** A form post without this browser's CSRF token (missing, wrong, or another browser's): 403. */
  | 'csrf_token'
  /** Cross-device approval: the number picked is not the one the waiting browser shows; the request is dead. */
  | 'approval_mismatch'
  /** A sensitive account change (second factor, password) needs a sign-in of the last 10 minutes: 403. */
  | 'sign_in_not_recent'
  | 'admin_refused';

export interface PolicyDecision {
  allow: boolean;
  reason: PolicyReason;
  policyVersion: number;
  /** Deny without telling the requester (answer as if allowed). */
  silent: boolean;
}

export type Verifier = 'link' | 'code' | 'password' | 'totp' | 'recovery_code';

export interface Policy {
  readonly version: number;
  /** LATCHKEY_LINK_DEVICE=same: checkLinkDevice can refuse another browser even without cross-device approval. */
  readonly bindsLinksToDevice: boolean;
  /** Before the address is even read: the per-IP mail bucket (so malformed addresses count too). */
  checkMailRequest(context: RequestContext): Promise<PolicyDecision>;
  /** The per-address caps (silent) and the global cap, for a canonical address. */
  checkMail(input: { email: string; lastMailAt: number | null; now: number }, context: RequestContext): Promise<PolicyDecision>;
  /**
   * Any verification: the per-IP verify bucket, then the account's delay.
   * `account` is the canonical email (known account or not: both behave alike).
   * Links skip the account delay: a 256-bit link cannot be guessed, and the
   * owner must keep a way in while an attacker guesses codes.
   */
  checkVerify(input: { verifier: Verifier; account: string | null }, context: RequestContext): Promise<PolicyDecision>;
  /**
   * LATCHKEY_LINK_DEVICE: may this browser use the link (or, `factor: 'code'`,
   * the code)? `sameBrowser`: it holds the request's flow cookie.
   * `awaitsApproval`: the request has a cross-device approval pending or approved
   * (core/cross-device.ts), so its session belongs to the waiting browser alone,
   * whatever LATCHKEY_LINK_DEVICE says. A code is bound only by an approval:
   * with LATCHKEY_LINK_DEVICE=same the code is what another device is told to use.
   */
  checkLinkDevice(
    input: { sameBrowser: boolean; email: string; awaitsApproval?: boolean; factor?: 'link' | 'code' },
    context: RequestContext,
  ): Promise<PolicyDecision>;
  /** For the password flow (issue #5): same buckets as every verifier. */
  checkPasswordAttempt(account: string, context: RequestContext): Promise<PolicyDecision>;
  /** A wrong secret for this account: counts toward the progressive delay. */
  recordFailure(account: string, verifier: Verifier, context: RequestContext): Promise<void>;
  /** A verified secret: the failure count starts over. */
  recordSuccess(account: string): Promise<void>;
  /** A same-origin path or an allowlisted origin, else null (a deny, audited when something was asked for). */
  checkRedirect(value: unknown, context: RequestContext): Promise<{ decision: PolicyDecision; target: string | null }>;
  /**
   * A state-changing request must come from our own origin: a browser says so
   * in Origin and Sec-Fetch-Site. A request with neither is not a browser's, so
   * it cannot carry a victim's cookies on an attacker's behalf.
   */
  checkCrossSite(input: { method: string; origin: string | null; fetchSite: string | null }, context: RequestContext): Promise<PolicyDecision>;
  /**
   * A form post must carry the CSRF token of this browser (http/csrf.ts):
   * `expected` is derived from the browser's CSRF cookie (null: it has none),
   * `presented` is the form's field (null: absent).
   */
  checkFormToken(input: { expected: string | null; presented: string | null }, context: RequestContext): Promise<PolicyDecision>;
  /**
   * Cross-device approval: the number picked on the other device against the
   * one only the waiting browser shows. One attempt: the caller kills the
   * request on a deny.
   */
  checkApprovalNumber(input: { expected: number; chosen: number | null; email: string }, context: RequestContext): Promise<PolicyDecision>;
  /**
   * Sensitive account changes (turning a second factor on or off, new recovery
   * codes, a password): the session must have signed in within the last
   * RECENT_SIGN_IN_SECONDS, so a stolen old session cannot lock the owner out.
   */
  checkRecentSignIn(input: { signedInAt: number; email: string }, context: RequestContext): Promise<PolicyDecision>;
  /** Admin actions: refused unless authorised, and always within the IP verify bucket. */
  checkAdmin(input: { authorized: boolean }, context: RequestContext): Promise<PolicyDecision>;
}

export interface PolicyDeps {
  limits: RateLimits;
  resendIntervalSeconds: number;
  backend: LimiterBackend;
  store: Pick<Store, 'appendAudit'>;
  redirects: RedirectPolicy;
  /** Our own origin, the only one allowed to send state-changing requests. */
  origin: string;
  linkDevice: 'any' | 'same';
  /** Keys the limiter-key HMAC. */
  keySecret: Buffer;
  now: () => number;
  /** Told of every refusal (the metrics count them by reason). */
  onDenied?: (reason: PolicyReason) => void;
}

/**
 * Whole seconds until the resend interval lets another mail go to an address
 * (0: now). The decision above and every countdown a page shows use this, so a
 * button never promises a mail the policy would refuse.
 */
export function secondsUntilNextMail(lastMailAt: number | null, now: number, intervalSeconds: number): number {
  if (lastMailAt === null) return 0;
  const left = intervalSeconds * 1000 - (now - lastMailAt);
  return left > 0 ? Math.min(intervalSeconds, Math.ceil(left / 1000)) : 0;
}

const HOUR = 3600;
const DAY = 86_400;
const SILENT: ReadonlySet<PolicyReason> = new Set(['address_interval', 'address_limit']);

export function createPolicy(deps: PolicyDeps): Policy {
  const { limits, backend } = deps;
  const buckets = {
    ipMail: backend.bucket('ip-mail', limits.mailsPerIpPerHour, HOUR),
    addressShort: backend.bucket('address-15m', limits.mailsPerAddressPer15Minutes, 15 * 60),
    addressDay: backend.bucket('address-day', limits.mailsPerAddressPerDay, DAY),
    globalMail: backend.bucket('mail-hour', limits.mailsPerHour, HOUR),
    ipVerify: backend.bucket('ip-verify', limits.verifyAttemptsPerIpPer5Minutes, 5 * 60),
    // Consecutive failures are forgotten a day after the first one if nothing resets them.
    accountFailures: backend.bucket('account-failures', Number.MAX_SAFE_INTEGER, DAY),
    accountDelay: backend.bucket('account-delay', 1, limits.accountMaxDelaySeconds),
  } satisfies Record<string, Bucket>;
  // The IP "unknown" (no socket: library calls) shares one bucket, which is the safe side.
  const key = (kind: string, value: string | null) => hmacSha256(deps.keySecret, `${kind}:${value ?? 'unknown'}`);
  /** Per-IP buckets count an IPv6 client by its /64 (client-ip.ts rateLimitSubject). */
  const ipKey = (context: RequestContext) => key('ip', rateLimitSubject(context.ip));

  const decide = (reason: PolicyReason): PolicyDecision => ({
    allow: reason === 'allowed',
    reason,
    policyVersion: POLICY_VERSION,
    silent: SILENT.has(reason),
  });
  const allowed = decide('allowed');

  async function deny(reason: PolicyReason, context: RequestContext, email: string | null = null): Promise<PolicyDecision> {
    deps.onDenied?.(reason);
    await deps.store.appendAudit([
      auditEvent(context, { type: 'policy.denied', outcome: 'failure', reason, at: deps.now(), email }),
    ]);
    return decide(reason);
  }

  async function checkVerify(input: { verifier: Verifier; account: string | null }, context: RequestContext) {
    if (!(await buckets.ipVerify.take(ipKey(context)))) return deny('ip_verify_limit', context, input.account);
    if (input.account !== null && input.verifier !== 'link') {
      if ((await buckets.accountDelay.blockedForMs(key('account', input.account))) > 0) {
        return deny('account_delay', context, input.account);
      }
    }
    return allowed;
  }

  return {
    version: POLICY_VERSION,
    bindsLinksToDevice: deps.linkDevice === 'same',

    async checkMailRequest(context) {
      if (!(await buckets.ipMail.take(ipKey(context)))) return deny('ip_mail_limit', context);
      return allowed;
    },

    async checkMail(input, context) {
      // The interval is judged from the store's newest request (the injected clock,
      // shared by every instance); the check-email page counts down the same interval.
      if (secondsUntilNextMail(input.lastMailAt, input.now, deps.resendIntervalSeconds) > 0) {
        return deny('address_interval', context, input.email);
      }
      const account = key('address', input.email);
      if (!(await buckets.addressShort.take(account))) return deny('address_limit', context, input.email);
      if (!(await buckets.addressDay.take(account))) return deny('address_limit', context, input.email);
      if (!(await buckets.globalMail.take('all'))) return deny('global_mail_limit', context, input.email);
      return allowed;
    },

    checkVerify,

    async checkLinkDevice(input, context) {
      if (input.factor === 'code') {
        return input.sameBrowser || !input.awaitsApproval ? allowed : deny('code_other_device', context, input.email);
      }
      if (input.sameBrowser || (deps.linkDevice === 'any' && !input.awaitsApproval)) return allowed;
      return deny('link_other_device', context, input.email);
    },

    checkPasswordAttempt: (account, context) => checkVerify({ verifier: 'password', account }, context),

    async recordFailure(account, _verifier, context) {
      const accountKey = key('account', account);
      const failures = await buckets.accountFailures.add(accountKey);
      const over = failures - limits.accountFailuresBeforeDelay;
      if (over < 0) return;
      // 20 failures: the first delay; each further failure doubles it, up to the maximum.
      const seconds = Math.min(limits.accountMaxDelaySeconds, limits.accountDelaySeconds * 2 ** Math.min(over, 30));
      await buckets.accountDelay.block(accountKey, seconds);
      await deps.store.appendAudit([
        auditEvent(context, { type: 'policy.denied', outcome: 'failure', reason: 'account_delay', at: deps.now(), email: account }),
      ]);
    },

    async recordSuccess(account) {
      const accountKey = key('account', account);
      await buckets.accountFailures.reset(accountKey);
      await buckets.accountDelay.reset(accountKey);
    },

    async checkRedirect(value, context) {
      const target = checkRedirect(value, deps.redirects);
      if (target !== null || value === undefined || value === null || value === '') return { decision: allowed, target };
      return { decision: await deny('redirect_refused', context), target: null };
    },

    async checkCrossSite(input, context) {
      if (/^(GET|HEAD|OPTIONS)$/i.test(input.method)) return allowed;
      // Fetch Metadata first: browsers set it and pages cannot forge it. Our own
      // pages send Origin "null" under Referrer-Policy: no-referrer, so a
      // same-origin Sec-Fetch-Site wins; 'same-site' is refused (a sibling
      // subdomain may be someone else's). Without it, Origin must be ours.
      if (input.fetchSite !== null) return input.fetchSite === 'same-origin' ? allowed : deny('cross_site', context);
      return input.origin === null || input.origin === deps.origin ? allowed : deny('cross_site', context);
    },

    async checkFormToken(input, context) {
      const { expected, presented } = input;
      if (expected !== null && presented !== null && constantTimeEqual(expected, presented)) return allowed;
      return deny('csrf_token', context);
    },

    async checkApprovalNumber(input, context) {
      if (input.chosen !== null && input.chosen === input.expected) return allowed;
      return deny('approval_mismatch', context, input.email);
    },

    async checkRecentSignIn(input, context) {
      if (deps.now() - input.signedInAt <= RECENT_SIGN_IN_SECONDS * 1000) return allowed;
      return deny('sign_in_not_recent', context, input.email);
    },

    async checkAdmin(input, context) {
      if (!(await buckets.ipVerify.take(ipKey(context)))) return deny('ip_verify_limit', context);
      return input.authorized ? allowed : deny('admin_refused', context);
    },
  };
}
