// The version of the allow/deny rules in core/policy.ts. Raised whenever a
// default or a decision changes; every decision and every audit event carries
// it, so an operator replaying the trail knows which rules decided.
// 3: CSRF tokens on forms (csrf_token), cross-device approval (approval_mismatch).
// 4: per-IP limits count an IPv6 client by its /64, not its single address.
// 5: issue #12: per-address caps per mailbox (+tag folded), a network's share of
//    the hourly cap, notice and account-change caps, Argon2id slots, per-path
//    account delays counting only real guesses, bounded denial audit, no
//    mailbox undo of a change the account's own TOTP guards, codes refused on
//    another device while an approval waits.
// 6: issue #15: an OpenID Connect client's failed authentications and refused
//    grants count toward its delay (client_delay).
// 7: issue #16: forward-auth access rules (first match by host and path, default
//    deny, second factor per rule); redirects after sign-in to the hosts they protect.
// 8: issue #16 review: every reading of a forward-auth path must be allowed (;
//    parameters dropped, %2F/%5C as separators); allowances audited per session and rule.
// 9: issue #17: passkeys: ceremonies started per IP (ip_passkey_limit), answers
//    within the per-IP verify bucket, a passkey sign-in never asks for TOTP.
// 10: issue #17 review: at most LATCHKEY_LIMIT_PASSKEYS_PER_ACCOUNT passkeys per account (passkey_count_limit);
//    no "this wasn't me" link when the account's own passkey guards email sign-in, as for TOTP.
// 11: issue #17 review (F1/F4): "email sign-in also asks for a passkey" stops every
//    first factor but a passkey (password and password reset too) at the second
//    step while the account has a passkey or TOTP (core/sign-in-requirements.ts).
// 12: issue #17: passkey options that replace the browser's own live challenge
//    count toward a bucket ten times LATCHKEY_LIMIT_PASSKEY_PER_IP_5MIN, not the
//    new-ceremony bucket (autofill asks on every sign-in page view).
export const POLICY_VERSION = 12;
