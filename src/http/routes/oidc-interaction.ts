// The interaction of an authorization (issue #15): oidc-provider asks for a
// login or a consent, Latchkey answers. Login: a live Latchkey session finishes
// it at once (single sign-on), otherwise the browser goes to the sign-in page
// and comes back here. Consent (a third-party client): the consent page, whose
// form posts back here with this browser's CSRF token (browser group). Both
// need Node's request and response (the provider reads its interaction cookie
// there): in library mode without them they answer not_found.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'hono';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { auditEvent } from '../../core/audit.ts';
import { allowConsent, consentView, DENIED } from '../../oidc/consent.ts';
import { providerRequests } from '../../oidc/audit.ts';
import { loginStep } from '../../oidc/interaction.ts';
import type { OidcProvider } from '../../oidc/provider.ts';
import { oidcConsentPage } from '../../pages/oidc-consent-page.ts';
import type { AppEnv, HttpDeps } from '../env.ts';
import { errorResponse } from '../error-page.ts';
import { pageContext } from '../pages.ts';
import { readBody, requestContext } from '../request.ts';
import type { Endpoints, Handler } from '../route-groups.ts';
import { pinToBaseUrl } from './oidc.ts';
import { currentSession } from './shared.ts';

type Details = Awaited<ReturnType<OidcProvider['provider']['interactionDetails']>>;

export function oidcInteractionRoutes(deps: HttpDeps, oidc: OidcProvider): Endpoints {
  /** This browser's interaction named by the path, with Node's objects; null: not here (another browser, expired, library mode). */
  async function interactionOf(c: Context<AppEnv>): Promise<{ details: Details; incoming: IncomingMessage; outgoing: ServerResponse } | null> {
    const { incoming, outgoing } = c.env ?? {};
    if (!incoming || !outgoing) return null;
    c.header('Cache-Control', 'no-store');
    pinToBaseUrl(incoming, deps.config.baseUrl);
    const details = await oidc.provider.interactionDetails(incoming, outgoing).catch(() => null);
    // No interaction cookie (another browser, or it expired), or a uid other than this browser's.
    return details && details.uid === c.req.param('uid') ? { details, incoming, outgoing: outgoing as ServerResponse } : null;
  }

  const oidcInteraction: Handler = async (c) => {
    const found = await interactionOf(c);
    if (!found) return errorResponse(c, deps, c.env?.incoming ? 'oidc_interaction_expired' : 'not_found');
    const { details, incoming, outgoing } = found;
    const signedIn = await currentSession(c, deps);
    const step = loginStep(details, signedIn, await oidc.isFirstParty(String(details.params.client_id)), deps.now());
    if (step.kind === 'sign_in') return c.redirect(step.location, 303);
    if (step.kind === 'consent') {
      // The login this consent follows was this account's: someone else signed in here since gets no page naming it.
      if (!signedIn || signedIn.user.id !== details.session?.accountId) return errorResponse(c, deps, 'oidc_interaction_expired');
      const view = await consentView(oidc.provider, details);
      const page = oidcConsentPage(pageContext(c, deps), {
        uid: details.uid,
        appName: view.appName,
        email: signedIn.user.email,
        shareEmail: view.email,
        offlineAccess: view.offlineAccess,
      });
      return c.html(page);
    }
    providerRequests.set(incoming, requestContext(c));
    await oidc.provider.interactionFinished(incoming, outgoing, step.result, { mergeWithLastSubmission: false });
    return RESPONSE_ALREADY_SENT;
  };

  // Allow or Deny from the consent page: the grant recorded (remembered), or access_denied for the client.
  const oidcConsent: Handler = async (c) => {
    const found = await interactionOf(c);
    if (!found) return errorResponse(c, deps, c.env?.incoming ? 'oidc_interaction_expired' : 'not_found');
    const { details, incoming, outgoing } = found;
    const signedIn = await currentSession(c, deps);
    const accountId = details.session?.accountId;
    if (details.prompt.name !== 'consent' || !signedIn || signedIn.user.id !== accountId) return errorResponse(c, deps, 'oidc_interaction_expired');
    const decision = (await readBody(c))?.decision;
    if (decision !== 'allow' && decision !== 'deny') return errorResponse(c, deps, 'invalid_request');
    const clientId = String(details.params.client_id);
    const result = decision === 'allow' ? await allowConsent(oidc.provider, details) : DENIED;
    const returnTo = await oidc.provider.interactionResult(incoming, outgoing, result, { mergeWithLastSubmission: decision === 'allow' });
    const at = deps.now();
    const type = decision === 'allow' ? 'oidc.consent_granted' : 'oidc.consent_denied';
    await deps.store.appendAudit([auditEvent(requestContext(c), { type, outcome: 'success', at, userId: accountId, reason: clientId })]);
    return c.redirect(returnTo, 303);
  };

  return { oidcInteraction, oidcConsent };
}
