// What a browser asked for, kept under the SHA-256 of its flow cookie (a random
// id only that browser holds), so the check-email page, "send a new link" and the
// not-sent notice show that browser's own request and nothing else. Never found
// by an address a client names, and written for a silently throttled request
// too, so its page looks exactly like a sent one (issue #12 finding 10).
import type { Store } from '../store/store.ts';

/** How long a browser's flow is remembered: an expired-link page can still offer "send a new link". */
export const SIGN_IN_FLOW_TTL_SECONDS = 86_400;

export async function recordSignInFlow(
  store: Pick<Store, 'recordSignInFlow'>,
  input: { flowHash: string | null | undefined; email: string; redirectTo: string | null },
  now: number,
): Promise<void> {
  if (!input.flowHash) return;
  await store.recordSignInFlow({
    flowHash: input.flowHash,
    email: input.email,
    redirectTo: input.redirectTo,
    createdAt: now,
    expiresAt: now + SIGN_IN_FLOW_TTL_SECONDS * 1000,
  });
}
