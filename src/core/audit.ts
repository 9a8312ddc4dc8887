// The audit vocabulary: a closed union named noun.past_tense. Events never carry
// a token, a code or a cookie, nor the address itself: a hash of the canonical
// address (auditEmail), so an operator who knows the address can still answer
// "why couldn't this person sign in?".

import { auditEmail } from '../store/audit-email.ts';

export { auditEmail };

export const AUDIT_EVENT_TYPES = [
  'sign_in.requested',
  'sign_in.succeeded',
  'sign_in.failed',
  'token.consumed',
  'token.rejected',
  'code.failed',
  'user.created',
  // Operators (admin API, CLI); reason says who: 'admin_api' or 'cli'
  'user.disabled',
  'user.enabled',
  'session.created',
  'session.revoked',
  'mail.sent',
  'mail.failed',
  'policy.denied',
  'policy.denials_suppressed',
  // Issue #12: an error answer whose request wrote no event of its own
  'error.answered',
  // Cross-device approval (issue #4, LATCHKEY_CROSS_DEVICE_APPROVAL)
  'approval.granted',
  'approval.refused',
  // Two-factor (issue #5)
  'second_factor.required',
  'totp.enrolment_started',
  'totp.enabled',
  'totp.disabled',
  'totp.failed',
  'totp.settings_changed',
  'recovery_codes.generated',
  'recovery_code.used',
  'recovery_code.failed',
  // Passwords, reset, email verification and change (issue #5)
  'password.set',
  'password.rehashed',
  'password.failed',
  'password_reset.requested',
  'session.reauthenticated',
  // Step-up (issues #16/#17): a signed-in session confirmed with its second factor
  'session.stepped_up',
  'email_verification.requested',
  'email.verified',
  'email_change.requested',
  'email_change.confirmed',
  'email_change.cancelled',
  // OpenID Connect provider (issue #15); reason: the client id
  'oidc.authorized',
  'oidc.token_issued',
  'oidc.logout',
  'oidc.consent_granted',
  'oidc.consent_denied',
  'oidc.access_revoked',
  'oidc.backchannel_logout',
  'oidc.keys_rotated',
  // reason says who: 'admin_api' or 'cli'
  'oidc.client_added',
  'oidc.client_removed',
  // Passkeys (issue #17)
  'passkey.registered',
  'passkey.renamed',
  'passkey.removed',
  'passkey.rejected',
  'passkey.settings_changed',
  // The operator's recovery path (issue #17 review); reason says who: 'admin_api' or 'cli'
  'second_factor.reset',
  // Forward-auth (issue #16); reason `<code>:<host>`
  'forward_auth.allowed',
  'forward_auth.denied',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/**
 * What each event means and which reason codes it carries. A Record over the
 * union, so a new type does not compile without its line here; docs/audit-events.md
 * is generated from it (`npm run docs:audit`, checked by test/ops/audit-docs.test.ts).
 */
export const AUDIT_EVENT_DOCS: Record<AuditEventType, string> = {
  'sign_in.requested': 'A sign-in mail was asked for. failure: `signup_closed`, `account_disabled` (no mail, same answer to the requester).',
  'sign_in.succeeded': 'A session was issued after every required factor; reason: the first factor (`link`, `code`, `password`, `passkey`).',
  'sign_in.failed': 'A sign-in step failed after its factor was checked.',
  'token.consumed': 'A one-time token (link or code) was used; reason: its purpose.',
  'token.rejected': 'A link or code was refused: `token_invalid`, `token_expired`, `token_used`, `token_replaced`, `code_locked`, `link_other_device`.',
  'code.failed': 'A 6-digit code was refused: `code_invalid` (counts toward the 5-attempt cap and the account delay), `code_locked`, `code_expired`, `code_used`, `code_replaced`.',
  'user.created': 'An account was created: by a first verified sign-in (open signup), or by an operator (reason `admin_api`, `cli`).',
  'user.disabled': 'An operator disabled the account; its sessions were revoked and unused tokens retired in the same transaction.',
  'user.enabled': 'An operator enabled the account again.',
  'session.created': 'A session cookie was issued.',
  'session.revoked': 'A session ended by sign-out, "sign out other devices", or an operator (reason `admin_api`, `cli`).',
  'mail.sent': 'The outbox handed a message to SMTP (or the dev mailbox); request ID of the request that caused it.',
  'mail.failed': 'A delivery attempt failed; reason `retrying` or `dead`.',
  'policy.denied': 'The policy refused a request; reason: its stable code (e.g. `address_interval`, `ip_mail_limit`, `account_delay`, `cross_site`, `csrf_token`, `approval_mismatch`, `admin_refused`).',
  'policy.denials_suppressed': 'More than `LATCHKEY_LIMIT_DENIALS_AUDITED_PER_MINUTE` denials of one reason for one client IP (or one account) within a minute: the rest of that minute are counted in `latchkey_policy_denied_total`, not stored; reason: the policy reason. At most one per key and minute (issue #12 finding 8).',
  'error.answered': 'An error page or JSON error was answered and its request wrote no other event; reason: the error code (e.g. `token_used`, `not_found`), so `latchkey audit --request-id` explains every error answer. At most LATCHKEY_LIMIT_ERROR_EVENTS_PER_IP_HOUR per IP; past it, the request log line has the ID.',
  'approval.granted': 'Cross-device approval: the device that opened the link picked the number the waiting browser shows; that browser may now take its session.',
  'approval.refused': 'Cross-device approval refused on the device that opened the link: `wrong_number` (one pick, the request is dead) or `not_me`; the token is spent.',
  'second_factor.required': 'A first factor was right and the account asks for TOTP before a session.',
  'totp.enrolment_started': 'A TOTP secret was generated, not yet confirmed.',
  'totp.enabled': 'TOTP was confirmed by a first code and switched on; recovery codes issued.',
  'totp.disabled': 'TOTP was switched off (with a current code or a recovery code).',
  'totp.failed': 'A wrong or replayed TOTP code.',
  'totp.settings_changed': 'The account changed whether email sign-in also asks for TOTP.',
  'recovery_codes.generated': 'A new set of recovery codes replaced the old one.',
  'recovery_code.used': 'A recovery code was used (once).',
  'recovery_code.failed': 'A wrong or already used recovery code.',
  'password.set': 'The password was set: reason `added`, `changed`, `removed` (account page, other sessions signed out) or `reset` (every session signed out).',
  'password.rehashed': 'A right password hashed with older Argon2id parameters got a new hash at sign-in.',
  'password.failed': 'A wrong password, or none set, or an unknown or disabled account (reason `credentials_invalid`), or a wrong one when re-authenticating (`reauthentication`). Counts toward the account delay.',
  'password_reset.requested': 'A password reset mail was asked for. failure: `unknown_account`, `account_disabled` (no mail, same answer to the requester).',
  'session.reauthenticated': 'The signed-in person entered their password again; the session counts as recently signed in.',
  'session.stepped_up':
    'A signed-in session confirmed its second factor ("confirm it\'s you", `/auth/step-up`; reason `totp`, `recovery_code` or `passkey`): it was replaced by a new session (new cookie, the old one revoked in the same transaction) whose `amr` adds the method.',
  'email_verification.requested': 'A verification link was sent to the account\'s address.',
  'email.verified': 'The account\'s address was verified by its link.',
  'email_change.requested': 'A change of address was asked for; confirmation sent to the new one, notice with a cancel link to the old one. failure `address_taken`: no confirmation sent, same answer.',
  'email_change.confirmed': 'The account switched to its new address; other sessions signed out. failure: `taken`, `stale`.',
  'email_change.cancelled': '"This wasn\'t me": old address back, every session signed out, password removed.',
  'oidc.authorized': 'OpenID Connect: an authorization code was sent back to a client (after a sign-in or by single sign-on); reason: the client id.',
  'oidc.token_issued': 'OpenID Connect: the token endpoint issued tokens (a code or refresh token redeemed); reason: the client id. Never the code or a token.',
  'oidc.logout': 'OpenID Connect: RP-initiated logout ended the Latchkey session of this browser (the person confirmed it); reason: the client id, or null.',
  'oidc.consent_granted': 'OpenID Connect: the person allowed a third-party client on the consent page (remembered: the next authorization does not ask); reason: the client id.',
  'oidc.consent_denied': 'OpenID Connect: the person denied a third-party client on the consent page; the client gets `access_denied`. reason: the client id.',
  'oidc.access_revoked': 'OpenID Connect: the person revoked an app\'s access ("Apps with access"): its grant and every code and token of it deleted in the same transaction; reason: the client id.',
  'oidc.backchannel_logout': 'OpenID Connect: a logout token was posted to a client\'s `backchannel_logout_uri` when the Latchkey session ended, or when every session of the account did (disabled, sessions revoked, second factors reset, "this wasn\'t me": `sub` only, no `sid`). failure: the client did not answer 200/204. reason: the client id.',
  'oidc.keys_rotated': 'OpenID Connect: `latchkey keys rotate` added a signing key, which signs from now on; older keys stay in the JWKS until what they signed has expired. reason: the new key id.',
  'oidc.client_added': 'OpenID Connect: an operator registered a client (reason `admin_api`, `cli`); its secret is shown once and stored sealed, never written here.',
  'oidc.client_removed': 'OpenID Connect: an operator removed a client (reason `admin_api`, `cli`) and, in the same transaction, every grant, code and token of it.',
  'passkey.registered': 'A passkey was added to the account (from a recent sign-in); reason: its authenticator\'s AAGUID. A security notice was mailed.',
  'passkey.renamed': 'The account renamed one of its passkeys.',
  'passkey.removed': 'A passkey was removed from the account (from a recent sign-in). A security notice was mailed.',
  'passkey.settings_changed': 'The account changed whether email sign-in also asks for a passkey (or the TOTP code, when TOTP is on); reason `on` or `off` (a security notice was mailed), or `off_totp_disabled`: TOTP was turned off with no passkey left, so the setting went with it (same transaction; the TOTP notice was mailed).',
  'second_factor.reset':
    'An operator reset the account\u2019s second factors (`latchkey users reset-second-factor`, `POST /admin/users/second-factor/reset`): TOTP and its recovery codes, every passkey, both "email sign-in also asks for…" settings and the password removed, every session signed out, every unused emailed link retired and every app grant and token revoked; reason: `admin_api` or `cli`. A security notice was mailed.',
  'passkey.rejected': 'A passkey ceremony was refused: `passkey_challenge_invalid`, `passkey_challenge_expired`, `passkey_invalid` (origin, RP ID, signature or user verification), `passkey_unknown` (no such credential, or another account\'s), `passkey_wrong_account` (a passkey of another account answered a second-factor step), `counter_regressed` (a signature counter went backwards: a cloned authenticator), `passkey_exists` (the credential is registered already).',
  'forward_auth.allowed': 'Forward-auth: a proxy asked and the session may open the app; reason `rule_<n>:<host>` (the rule that decided, the host of its first request). Once per session and rule per hour in each instance, not per proxied request (per host, a `*.` rule would make it unbounded).',
  'forward_auth.denied': 'Forward-auth: a proxy asked and the answer was no; reason `<code>:<host>`: `unauthenticated` (sent to sign in), `no_rule`, `not_listed`, `second_factor_required`, or `untrusted_proxy` / `original_url_invalid` (no host). Within the denial bound per reason and client IP per minute (`LATCHKEY_LIMIT_DENIALS_AUDITED_PER_MINUTE`), as `policy.denied`.',
};

/** The Markdown table of docs/audit-events.md. */
export function auditEventsMarkdown(): string {
  const rows = AUDIT_EVENT_TYPES.map((type) => `| \`${type}\` | ${AUDIT_EVENT_DOCS[type]} |`);
  return [
    '# Audit events',
    '',
    'Generated from `src/core/audit.ts` by `npm run docs:audit`; do not edit by hand.',
    '',
    'Every event carries: time, type, outcome (`success`, `failure`, `info`), reason code, request ID, user ID,',
    'email (SHA-256 of the canonical address: search by address, the trail does not hold it), IP, user agent and the policy version in force (`src/core/policy-version.ts`).',
    'Never a token, a code, a cookie or a password.',
    '',
    '| type | meaning and reason codes |',
    '|---|---|',
    ...rows,
    '',
  ].join('\n');
}

export type AuditOutcome = 'success' | 'failure' | 'info';

export interface AuditEvent {
  type: AuditEventType;
  outcome: AuditOutcome;
  /** Stable reason code (an error code or a short token such as `new_user`). */
  reason: string | null;
  at: number;
  requestId: string | null;
  userId: string | null;
  email: string | null;
  ip: string | null;
  userAgent: string | null;
}

export interface StoredAuditEvent extends AuditEvent {
  id: number;
  /** The policy version (core/policy-version.ts) in force when it was written; null before migration 6. */
  policyVersion: number | null;
}

/** Request facts every event carries; built once per request by the HTTP layer. */
export interface RequestContext {
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
}

/** An event of this request; `email` is the canonical address, stored as auditEmail(email). */
export function auditEvent(
  context: RequestContext,
  fields: Pick<AuditEvent, 'type' | 'outcome' | 'at'> & Partial<Pick<AuditEvent, 'reason' | 'userId' | 'email'>>,
): AuditEvent {
  return {
    type: fields.type,
    outcome: fields.outcome,
    reason: fields.reason ?? null,
    at: fields.at,
    requestId: context.requestId,
    userId: fields.userId ?? null,
    email: fields.email ? auditEmail(fields.email) : null,
    ip: context.ip,
    userAgent: context.userAgent,
  };
}
