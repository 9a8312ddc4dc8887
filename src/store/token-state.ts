// The one judge of a token's state, in the store layer because the store's
// consume statements enforce the same conditions atomically: the token engine
// (core/tokens.ts) asks it before consuming and for what a GET page may show,
// and the store asks it why a conditional consume matched no row (rows.ts
// explainMiss). Kept here so the store never imports core at run time.
import type { TokenPurpose, TokenRecord } from '../core/types.ts';
import type { ConsumeFailure } from './store.ts';

/**
 * Why a token cannot be used for `purpose` now, or null while it can. Another
 * purpose's token is 'not_found', exactly like an unknown one. The code path
 * passes attemptLimit = maxCodeAttempts - 1 (five wrong codes lock the code);
 * the link path passes maxCodeAttempts, which the attempts never pass: wrong
 * codes guess at the code, never at the 256-bit link, so they must not kill the
 * owner's link (issue #12 finding 2: guesses must not deny the owner).
 */
export function tokenProblem(record: TokenRecord | null, purpose: TokenPurpose, now: number, attemptLimit: number): ConsumeFailure | null {
  if (!record || record.purpose !== purpose) return 'not_found';
  if (record.consumedAt !== null) return 'used';
  if (record.retiredAt !== null) return 'replaced';
  if (record.expiresAt <= now) return 'expired';
  if (record.codeAttempts > attemptLimit) return 'locked';
  return null;
}
