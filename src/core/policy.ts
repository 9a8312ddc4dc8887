// The one place that decides whether something may happen: sending a sign-in
// mail, a verification (link, code, password, TOTP, recovery code), a redirect,
// an admin action. Every answer is a decision with a stable reason code and the
// policy version; every deny is counted and audited (within a bound per key:
// core/denial-audit.ts). Callers map decisions to answers and check no limit
// of their own (issue #4).
//
// Keys are HMACs of the address or IP, so Redis never holds an address in clear.

import type { RateLimits } from '../config.ts';
import type { RequestContext } from './audit.ts';
import { networkSubject, rateLimitSubject } from './client-ip.ts';
import { constantTimeEqual, hmacSha256 } from './crypto.ts';
import { createDenialAudit } from './denial-audit.ts';
import { mailboxKey } from './email.ts';
import { createHashSlots } from './hash-slots.ts';
import type { Bucket, LimiterBackend } from './limiters.ts';
import { checkRedirect, type RedirectPolicy } from './redirects.ts';
import type { AccessRules } from './access-rules.ts';
import { createAccessPolicy, type CheckAccess } from './policy-access.ts';
import type { FirstFactorKind } from './types.ts';
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
  /** One network (IPv4 /24, IPv6 /48) had its share of the hourly mail cap: 429 (issue #12 finding 6). */
  | 'network_mail_limit'
  /** Silent (the change is made, its notice is not sent): the mailbox had its hourly notices of this kind. */
  | 'notice_limit'
  /** Too many password changes or re-authentications of one account in an hour: 429. */
  | 'account_change_limit'
  /** Every Argon2id slot of this process is busy and enough requests wait for one: 429. */
  | 'password_hash_busy'
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
  /** No "this wasn't me" link for an email change the account's own second factor guards (issue #12 finding 4): the notice goes without it. */
  | 'second_factor_protected'
  | 'admin_refused'
  /** OpenID Connect (issue #15): the client is in its delay after consecutive failed authentications or refused grants: 429. */
  | 'client_delay'
  /** Passkeys (issue #17): too many ceremonies started from one IP: 429. */
  | 'ip_passkey_limit'
  /** The account has LATCHKEY_LIMIT_PASSKEYS_PER_ACCOUNT passkeys already: 409 passkey_limit_reached. */
  | 'passkey_count_limit';

export interface PolicyDecision {
  allow: boolean;
  reason: PolicyReason;
  policyVersion: number;
  /** Deny without telling the requester (answer as if allowed). */
  silent: boolean;
}

export type Verifier = 'link' | 'code' | 'password' | 'totp' | 'recovery_code' | 'passkey';

/**
 * Which delay a failure counts toward and which delay holds a verification
 * back (issue #12 finding 2). One account-wide delay let a stranger who knows
 * only the address hold back the owner's second factor (NIST SP 800-63B-4: no
 * malicious lockout), so each path has its own:
 * - 'email': codes guessed against a live token of the address;
 * - 'password': password guesses, and TOTP guesses by someone who got past the
 *   password (they stop new password steps, not the owner's other way in);
 * - 'session': TOTP codes typed in a signed-in session's settings.
 * A second factor after an email factor counts toward 'email'. Links are never
 * delayed, nor is a second-factor step (its own cap of five attempts holds).
 */
export type DelayScope = 'email' | 'password' | 'session' | 'passkey';

export function delayScope(verifier: Verifier, after?: FirstFactorKind): DelayScope {
  if (verifier === 'password' || verifier === 'passkey') return verifier;
  if (verifier === 'link' || verifier === 'code') return 'email';
  if (after === undefined) return 'session';
  return after === 'password' ? 'password' : 'email';
}

/** Options replacing a browser's own live passkey challenge: this many times LATCHKEY_LIMIT_PASSKEY_PER_IP_5MIN. */
export const PASSKEY_REPLACE_FACTOR = 10;

export interface Policy {
  readonly version: number;
  /** LATCHKEY_LINK_DEVICE=same: checkLinkDevice can refuse another browser even without cross-device approval. */
  readonly bindsLinksToDevice: boolean;
  /** LATCHKEY_LIMIT_PASSKEYS_PER_ACCOUNT: checkPasskeyCount's cap, enforced again by the store at the insert. */
  readonly passkeysPerAccount: number;
  /** Before the address is even read: the per-IP mail bucket (so malformed addresses count too). */
  checkMailRequest(context: RequestContext): Promise<PolicyDecision>;
  /** The per-address caps (silent) and the global cap, for a canonical address. */
  checkMail(input: { email: string; lastMailAt: number | null; now: number }, context: RequestContext): Promise<PolicyDecision>;
  /**
   * Any verification: the per-IP verify bucket, then the account's delay for
   * this verifier (delayScope). `account` is the canonical email (known account
   * or not: both behave alike). Links skip the account delay: a 256-bit link
   * cannot be guessed, and the owner must keep a way in while an attacker
   * guesses codes. `after`: the first factor this second factor follows (the
   * second-factor step); that step has its own attempt cap and no account delay
   * (issue #12 finding 2).
   */
  checkVerify(input: { verifier: Verifier; account: string | null; after?: FirstFactorKind }, context: RequestContext): Promise<PolicyDecision>;
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
  /**
   * Input refused before any secret is compared (a malformed body or address on
   * a route that verifies one): it still spends the per-IP verify bucket, so
   * refusals are no free way to make us work (issue #12 finding 1).
   */
  checkRefusedVerification(context: RequestContext): Promise<PolicyDecision>;
  /** For the password flow (issue #5): same buckets as every verifier. */
  checkPasswordAttempt(account: string, context: RequestContext): Promise<PolicyDecision>;
  /**
   * Setting, changing or removing the password, and re-authenticating (which
   * renews the recent-sign-in window): the account's hourly share, then the
   * per-IP verify bucket (issue #12 finding 5). `verifiesPassword`: the request
   * checks the password, so the account's failure delay applies too.
   */
  checkAccountChange(input: { account: string; verifiesPassword: boolean }, context: RequestContext): Promise<PolicyDecision>;
  /**
   * Every account notice (password changed, second factor off, …) before it is
   * queued: per mailbox (sub-address folded) and kind, its own hourly cap, apart
   * from the sign-in caps so neither can starve the other. Silent: the change
   * is made either way (issue #12 finding 5).
   */
  checkNotice(input: { email: string; kind: string }, context: RequestContext): Promise<PolicyDecision>;
  /**
   * A slot for one Argon2id run in this process (waiting boundedly for one).
   * `release` must be called when the run is over; on a deny it does nothing.
   */
  acquirePasswordHash(context: RequestContext): Promise<{ decision: PolicyDecision; release: () => void }>;
  /**
   * A wrong guess at a live secret of this account: counts toward the delay of
   * its scope (delayScope). Callers record only real guesses: a code compared
   * with a live token, a password, a TOTP or recovery code (issue #12 finding 2).
   * `after`: the first factor a second factor followed.
   */
  recordFailure(account: string, verifier: Verifier, context: RequestContext, after?: FirstFactorKind): Promise<void>;
  /** A verified secret: the failure count of its scope starts over. */
  recordSuccess(account: string, verifier: Verifier, after?: FirstFactorKind): Promise<void>;
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
  /**
   * "This wasn't me" holds only the old mailbox. It may undo an email change
   * (the link is mailed) unless the account's own second factor guards email
   * sign-in when the change is asked for: TOTP on since before the request's
   * recent-sign-in window (a younger one may be an intruder's, and the undo
   * removes it), and email sign-in asking for it. Then the mailbox alone could
   * not sign in, and whoever changed the address proved more than it (issue #12
   * finding 4: the owner who lost the mailbox and moved with password + TOTP
   * keeps the account). Likewise a passkey registered before that window when
   * email sign-in asks for one (issue #17 review).
   */
  checkMailboxUndo(
    input: {
      totpEnabledAt: number | null;
      emailSignInRequiresTotp: boolean;
      /** When the account's oldest passkey was registered (null: none). */
      oldestPasskeyAt: number | null;
      emailSignInRequiresPasskey: boolean;
      changeRequestedAt: number;
      email: string;
    },
    context: RequestContext,
  ): Promise<PolicyDecision>;
  /**
   * May this error answer leave an `error.answered` audit event (issue #12)? Within the
   * per-IP hourly share only. A refusal is not audited (that would defeat the bound):
   * the request's log line still carries its ID.
   */
  mayRecordErrorAnswer(context: RequestContext): Promise<boolean>;
  /** Admin actions: refused unless authorised, and always within the IP verify bucket. */
  checkAdmin(input: { authorized: boolean }, context: RequestContext): Promise<PolicyDecision>;
  /**
   * An OpenID Connect client at the token endpoint (issue #15): refused while in
   * its delay, which recordFailure(oidcClientAccount(id), 'password') starts after
   * consecutive failed authentications or refused grants, like an account's.
   * Nothing is spent on an allowed request: a busy relying party is never slowed.
   */
  checkOidcClient(clientId: string, context: RequestContext): Promise<PolicyDecision>;
  /**
   * Passkeys (issue #17). `options`: a ceremony started (a challenge stored),
   * the per-IP passkey bucket. `verify`: an answer checked, the per-IP verify
   * bucket like every verification (no account delay: a signature cannot be
   * guessed, and the account is known only from the answer).
   */
  checkPasskey(input: { step: 'options' | 'verify'; replacesOwnChallenge?: boolean }, context: RequestContext): Promise<PolicyDecision>;
  /** May an account that has `passkeys` passkeys add one more? At most LATCHKEY_LIMIT_PASSKEYS_PER_ACCOUNT. */
  checkPasskeyCount(input: { passkeys: number; email: string }, context: RequestContext): Promise<PolicyDecision>;
  /**
   * Forward-auth (issue #16): may this session open this URL behind the proxy?
   * The first access rule whose host and path match decides; none: deny.
   * Audited within bounds (core/policy-access.ts).
   */
  checkAccess: CheckAccess;
}

/** The "account" a client's failures count against; no address has this form (a colon is no dot-atom). */
export function oidcClientAccount(clientId: string): string {
  return `oidc-client:${clientId}`;
}

export interface PolicyDeps {
  limits: RateLimits;
  resendIntervalSeconds: number;
  backend: LimiterBackend;
  store: Pick<Store, 'appendAudit'>;
  redirects: RedirectPolicy;
  /** LATCHKEY_ACCESS_RULES (issue #16); null: forward-auth denies everything. */
  accessRules?: AccessRules | null;
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
const SILENT: ReadonlySet<PolicyReason> = new Set(['address_interval', 'address_limit', 'notice_limit']);
/** Requests that may wait for an Argon2id slot, per slot: a short burst waits, a flood is refused. */
const HASH_WAITING_PER_SLOT = 8;

export function createPolicy(deps: PolicyDeps): Policy {
  const { limits, backend } = deps;
  const buckets = {
    ipMail: backend.bucket('ip-mail', limits.mailsPerIpPerHour, HOUR),
    addressShort: backend.bucket('address-15m', limits.mailsPerAddressPer15Minutes, 15 * 60),
    addressDay: backend.bucket('address-day', limits.mailsPerAddressPerDay, DAY),
    globalMail: backend.bucket('mail-hour', limits.mailsPerHour, HOUR),
    networkMail: backend.bucket('network-mail-hour', Math.max(1, Math.floor((limits.mailsPerHour * limits.mailsNetworkSharePercent) / 100)), HOUR),
    notices: backend.bucket('notice-hour', limits.noticesPerAddressPerHour, HOUR),
    accountChanges: backend.bucket('account-change-hour', limits.accountChangesPerHour, HOUR),
    ipVerify: backend.bucket('ip-verify', limits.verifyAttemptsPerIpPer5Minutes, 5 * 60),
    ipPasskey: backend.bucket('ip-passkey', limits.passkeyCeremoniesPerIpPer5Minutes, 5 * 60),
    // Options that only replace a browser's own live challenge (no new row): ten times as many.
    ipPasskeyReplace: backend.bucket('ip-passkey-replace', limits.passkeyCeremoniesPerIpPer5Minutes * PASSKEY_REPLACE_FACTOR, 5 * 60),
    // Consecutive failures are forgotten a day after the first one if nothing resets them.
    accountFailures: backend.bucket('account-failures', Number.MAX_SAFE_INTEGER, DAY),
    accountDelay: backend.bucket('account-delay', 1, limits.accountMaxDelaySeconds),
    errorEvents: backend.bucket('ip-error-events', limits.errorEventsPerIpPerHour, HOUR),
  } satisfies Record<string, Bucket>;
  // The IP "unknown" (no socket: library calls) shares one bucket, which is the safe side.
  const key = (kind: string, value: string | null) => hmacSha256(deps.keySecret, `${kind}:${value ?? 'unknown'}`);
  /** Per-IP buckets count an IPv6 client by its /64 (client-ip.ts rateLimitSubject). */
  const ipKey = (context: RequestContext) => key('ip', rateLimitSubject(context.ip));
  const hashSlots = createHashSlots(limits.passwordHashConcurrency, limits.passwordHashConcurrency * HASH_WAITING_PER_SLOT);
  const noRelease = () => {};
  // Refusals are audited within a bound per key, counted beyond it (issue #12 finding 8).
  const denials = createDenialAudit({ limits, backend, store: deps.store, now: deps.now, key });

  const decide = (reason: PolicyReason): PolicyDecision => ({
    allow: reason === 'allowed',
    reason,
    policyVersion: POLICY_VERSION,
    silent: SILENT.has(reason),
  });
  const allowed = decide('allowed');

  async function deny(reason: PolicyReason, context: RequestContext, email: string | null = null): Promise<PolicyDecision> {
    deps.onDenied?.(reason);
    await denials.record(reason, context, email);
    return decide(reason);
  }

  const accountKey = (account: string, scope: DelayScope) => key(`account-${scope}`, account);

  async function checkVerify(input: { verifier: Verifier; account: string | null; after?: FirstFactorKind }, context: RequestContext) {
    if (!(await buckets.ipVerify.take(ipKey(context)))) return deny('ip_verify_limit', context, input.account);
    // A second-factor step follows a proven first factor: its own attempt cap holds, not a delay others can drive.
    if (input.account !== null && input.verifier !== 'link' && input.after === undefined) {
      if ((await buckets.accountDelay.blockedForMs(accountKey(input.account, delayScope(input.verifier)))) > 0) {
        return deny('account_delay', context, input.account);
      }
    }
    return allowed;
  }

  return {
    version: POLICY_VERSION,
    bindsLinksToDevice: deps.linkDevice === 'same',
    passkeysPerAccount: limits.passkeysPerAccount,

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
      // One mailbox, however many +tags (issue #12 finding 6); the mail still goes to input.email.
      const mailbox = key('address', mailboxKey(input.email));
      if (!(await buckets.addressShort.take(mailbox))) return deny('address_limit', context, input.email);
      if (!(await buckets.addressDay.take(mailbox))) return deny('address_limit', context, input.email);
      // One network's share before the global cap: a drained share leaves everyone else's mail going.
      if (!(await buckets.networkMail.take(key('network', networkSubject(context.ip))))) return deny('network_mail_limit', context, input.email);
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

    checkRefusedVerification: (context) => checkVerify({ verifier: 'code', account: null }, context),

    checkPasswordAttempt: (account, context) => checkVerify({ verifier: 'password', account }, context),

    async checkAccountChange(input, context) {
      if (!(await buckets.accountChanges.take(key('account', input.account)))) return deny('account_change_limit', context, input.account);
      if (input.verifiesPassword) return checkVerify({ verifier: 'password', account: input.account }, context);
      if (!(await buckets.ipVerify.take(ipKey(context)))) return deny('ip_verify_limit', context, input.account);
      return allowed;
    },

    async checkNotice(input, context) {
      if (!(await buckets.notices.take(key('notice', `${input.kind}:${mailboxKey(input.email)}`)))) return deny('notice_limit', context, input.email);
      return allowed;
    },

    async acquirePasswordHash(context) {
      const release = await hashSlots.acquire();
      if (release === null) return { decision: await deny('password_hash_busy', context), release: noRelease };
      return { decision: allowed, release };
    },

    async recordFailure(account, verifier, context, after) {
      const scoped = accountKey(account, delayScope(verifier, after));
      const failures = await buckets.accountFailures.add(scoped);
      const over = failures - limits.accountFailuresBeforeDelay;
      if (over < 0) return;
      // 20 failures: the first delay; each further failure doubles it, up to the maximum.
      const seconds = Math.min(limits.accountMaxDelaySeconds, limits.accountDelaySeconds * 2 ** Math.min(over, 30));
      await buckets.accountDelay.block(scoped, seconds);
      await denials.record('account_delay', context, account);
    },

    async recordSuccess(account, verifier, after) {
      const scoped = accountKey(account, delayScope(verifier, after));
      await buckets.accountFailures.reset(scoped);
      await buckets.accountDelay.reset(scoped);
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

    async checkMailboxUndo(input, context) {
      const owners = (at: number | null) => at !== null && at < input.changeRequestedAt - RECENT_SIGN_IN_SECONDS * 1000;
      const totpGuards = owners(input.totpEnabledAt) && input.emailSignInRequiresTotp;
      const passkeyGuards = owners(input.oldestPasskeyAt) && input.emailSignInRequiresPasskey;
      if (totpGuards || passkeyGuards) return deny('second_factor_protected', context, input.email);
      return allowed;
    },
    mayRecordErrorAnswer: (context) => buckets.errorEvents.take(ipKey(context)),

    async checkAdmin(input, context) {
      if (!(await buckets.ipVerify.take(ipKey(context)))) return deny('ip_verify_limit', context);
      return input.authorized ? allowed : deny('admin_refused', context);
    },

    async checkOidcClient(clientId, context) {
      const blocked = await buckets.accountDelay.blockedForMs(accountKey(oidcClientAccount(clientId), delayScope('password')));
      return blocked > 0 ? deny('client_delay', context) : allowed;
    },

    async checkPasskey(input, context) {
      if (input.step === 'verify') return checkVerify({ verifier: 'passkey', account: null }, context);
      // Options that replace this browser's own live challenge write no new row (autofill asks on every page
      // view: behind one office address, reloads would use up the bucket of new ceremonies): a larger bucket.
      if (input.replacesOwnChallenge === true) {
        return (await buckets.ipPasskeyReplace.take(ipKey(context))) ? allowed : deny('ip_passkey_limit', context);
      }
      return (await buckets.ipPasskey.take(ipKey(context))) ? allowed : deny('ip_passkey_limit', context);
    },
    async checkPasskeyCount(input, context) {
      return input.passkeys < limits.passkeysPerAccount ? allowed : deny('passkey_count_limit', context, input.email);
    },
    checkAccess: createAccessPolicy({ rules: deps.accessRules ?? null, store: deps.store, denials, now: deps.now }),
  };
}
