// What the interaction of an authorization does (issue #15): the provider asks
// for a login (or a consent), and Latchkey's own session answers it. A live
// session signs in at once (single sign-on); `prompt=login` asks for a sign-in
// newer than the authorization request, `max_age` for one within that many
// seconds; otherwise the browser goes to Latchkey's sign-in page, which sends
// it back here.

import type { InteractionResults } from 'oidc-provider';
import type { ValidSession } from '../core/sessions.ts';
import { urlFor } from '../route-table.ts';

/** What the provider tells us of the interaction (a subset of its Interaction). */
export interface InteractionView {
  uid: string;
  /** Epoch seconds: when the authorization request began. */
  iat: number;
  prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
  /** The grant the provider loaded for this client (provider.ts loadGrant), if any. */
  grantId?: string | undefined;
}

export type LoginStep =
  | { kind: 'finish'; result: InteractionResults }
  | { kind: 'sign_in'; location: string }
  /** A third-party client: the consent page (consent.ts). */
  | { kind: 'consent' };

export function loginStep(view: InteractionView, signedIn: ValidSession | null, firstParty: boolean, now: number): LoginStep {
  if (view.prompt.name === 'consent') {
    // First-party clients are granted without asking (provider.ts loadGrant), so they
    // get here only when the client asked for prompt=consent. Others ask the person.
    return firstParty && view.grantId ? { kind: 'finish', result: { consent: { grantId: view.grantId } } } : { kind: 'consent' };
  }
  const here = urlFor('oidcInteraction', { uid: view.uid });
  const fresh = signedIn !== null && isFreshEnough(view, signedIn.session.authenticatedAt, now);
  if (signedIn && fresh) {
    return {
      kind: 'finish',
      // auth_time: when this Latchkey session signed in (or re-entered its password); amr: how (RFC 8176),
      // left out for a session older than migration 11, which does not know.
      result: {
        login: {
          accountId: signedIn.user.id,
          ts: Math.floor(signedIn.session.authenticatedAt / 1000),
          ...(signedIn.session.amr.length > 0 ? { amr: [...signedIn.session.amr] } : {}),
        },
      },
    };
  }
  // Signed in but not recently enough: the sign-in page must show itself instead of sending the browser on.
  return { kind: 'sign_in', location: urlFor('signIn', undefined, { redirectTo: here, prompt: signedIn ? 'login' : null }) };
}

function isFreshEnough(view: InteractionView, authenticatedAt: number, now: number): boolean {
  const { reasons, details } = view.prompt;
  // iat counts whole seconds: a sign-in counts as newer only from the next second on (never an older one).
  if (reasons.includes('login_prompt') && authenticatedAt < (view.iat + 1) * 1000) return false;
  const maxAge = Number(details.max_age);
  if (reasons.includes('max_age') && Number.isFinite(maxAge) && now - authenticatedAt > maxAge * 1000) return false;
  return true;
}
