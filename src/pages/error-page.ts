// One page per failure a person can hit: what happened, why, and the safe next
// step. The request ID is in the footer's small print (layout.ts).
import { html } from 'hono/html';
import { errorRemedy, ERRORS, offersNewMail, type ErrorCode } from '../core/errors.ts';
import { layout, type Html } from './layout.ts';
import type { PageContext } from './context.ts';
import { resendForm } from './resend-form.ts';
import { rich } from './text.ts';
import { SIGN_IN_TO_ACCOUNT, urlFor } from '../route-table.ts';

export interface ErrorPageOptions {
  code: ErrorCode;
  /**
   * The address this browser asked for (flow cookie), with the wait the server
   * enforces before another mail to it: "send a new link" keeps the address and
   * counts down instead of silently sending nothing.
   */
  resend?: { email: string; waitSeconds: number; redirectTo: string | null } | null;
  /**
   * Issues #16/#17: the absolute step-up URL, back to the original URL after it.
   * The forward-auth refusal is shown on the app's host, where a path of ours would be the app's.
   */
  stepUpUrl?: string | null;
}

// The next step is the registry's (core/errors.ts), so every page of a code offers the same one.
function nextStep(page: PageContext, options: ErrorPageOptions) {
  const { t } = page;
  const remedy = errorRemedy(options.code);
  if (options.stepUpUrl) return html`<p><a class="button primary" href="${options.stepUpUrl}">${t('errorPage.stepUp')}</a></p>`;
  const account = ERRORS[options.code].perhapsSignedIn ? html`<p><a href="${urlFor('account')}">${t('account.title')}</a></p>` : '';
  if (remedy === 'new_link' || remedy === 'new_email') {
    // A person who typed a code never saw a link: the remedy speaks of an email (issue #12).
    const typedCode = remedy === 'new_email';
    // One click, same address; the server treats it like any request (limits apply).
    if (options.resend) {
      return html`${resendForm(page, {
        email: options.resend.email,
        redirectTo: options.resend.redirectTo,
        waitSeconds: options.resend.waitSeconds,
        waitText: t(typedCode ? 'errorPage.newEmailWait' : 'errorPage.newLinkWait'),
        readyText: t(typedCode ? 'errorPage.newEmailReady' : 'errorPage.newLinkReady'),
        quietWhenReady: true,
        buttonLabel: html`${rich(t, typedCode ? 'errorPage.sendNewEmail' : 'errorPage.sendNewLink', { email: options.resend.email }, { strong: false })}`,
        primary: true,
        plain: true,
      })}
<p><a href="${urlFor('signIn')}">${t('checkEmail.differentEmail')}</a></p>
${account}`;
    }
    return html`<p><a class="button primary" href="${urlFor('signIn')}">${t(typedCode ? 'errorPage.getNewEmail' : 'errorPage.getNewLink')}</a></p>
${account}`;
  }
  if (remedy === 'reauthenticate') {
    return html`<p><a class="button primary" href="${SIGN_IN_TO_ACCOUNT}">${t('twoFactor.signInAgain')}</a></p>`;
  }
  if (remedy === 'try_again') {
    return html`<p><a class="button primary" href="${urlFor('signIn')}">${t('errorPage.tryAgain')}</a></p>`;
  }
  return html`<p><a class="button primary" href="${urlFor('signIn')}">${t('errorPage.backToSignIn')}</a></p>`;
}

export function errorPage(page: PageContext, options: ErrorPageOptions): Html {
  const { t } = page;
  const { code } = options;
  return layout({
    ...page,
    title: t(`error.${code}.title`),
    scripts: options.resend && offersNewMail(code) ? [urlFor('asset', { name: 'resend.js' })] : [],
    body: html`<h1>${t(`error.${code}.title`)}</h1>
<p class="error" role="alert" data-error-code="${code}">${t(`error.${code}.message`)}</p>
<p>${t(`error.${code}.why`)}</p>
${nextStep(page, options)}
${page.requestId ? html`<p class="hint small">${t('errorPage.requestIdNote')}</p>` : ''}`,
  });
}
