// The version of the allow/deny rules in core/policy.ts. Raised whenever a
// default or a decision changes; every decision and every audit event carries
// it, so an operator replaying the trail knows which rules decided.
// 3: CSRF tokens on forms (csrf_token), cross-device approval (approval_mismatch).
// 4: per-IP limits count an IPv6 client by its /64, not its single address.
export const POLICY_VERSION = 4;
