// "Confirm it's you" (issues #16/#17): a signed-in person proves a second
// factor without signing out, the look and pieces of the sign-in's second step
// (second-factor-page.ts): the code form when TOTP is on, the passkey button
// when the account has a passkey, or, with neither, where to set one up.
import { html } from 'hono/html';
import { layout, type Html } from './layout.ts';
import type { PageContext } from './context.ts';
import { csrfField } from './csrf-field.ts';
import { PASSKEY_SCRIPTS, passkeySignIn } from './passkey-section.ts';
import { codeField } from './second-factor-page.ts';
import { urlFor } from '../route-table.ts';

export interface StepUpPageOptions {
  email: string;
  /** Already checked against the redirect policy. */
  redirectTo: string;
  method: 'totp' | 'recovery';
  totp: boolean;
  passkey: boolean;
  error?: string | null;
}

export function stepUpPage(page: PageContext, options: StepUpPageOptions): Html {
  const { t } = page;
  const { email, redirectTo } = options;
  const back = (method?: 'recovery') => urlFor('stepUpPage', undefined, { redirectTo, method });
  const codes = html`<p>${options.method === 'totp' ? t('stepUp.lead', { email, product: page.productName }) : t('secondFactor.recoveryLead')}</p>
<form id="step-up" method="post" action="${urlFor('stepUp')}" novalidate>${csrfField(page)}
  <input type="hidden" name="redirectTo" value="${redirectTo}">
  ${codeField(page, options.method, options.error ?? null)}
  <button type="submit" class="primary">${t('secondFactor.submit')}</button>
</form>
<p>${
    options.method === 'totp'
      ? html`<a href="${back('recovery')}">${t('secondFactor.useRecovery')}</a>`
      : html`<a href="${back()}">${t('secondFactor.useTotp')}</a>`
  }</p>`;
  let body: Html;
  if (options.totp) body = codes;
  else if (options.passkey) body = html`<p>${t('stepUp.passkeyLead', { email })}</p>`;
  else body = html`<p>${t('stepUp.none', { email })}</p>
<p><a class="button primary" href="${urlFor('account')}">${t('stepUp.setUp')}</a></p>`;
  return layout({
    ...page,
    title: t('stepUp.title'),
    scripts: options.passkey ? PASSKEY_SCRIPTS : [],
    body: html`<h1>${t('stepUp.title')}</h1>
${body}
${options.passkey ? passkeySignIn(page, redirectTo, false, 'stepUpPasskey') : ''}
<p><a href="${urlFor('account')}">${t('stepUp.cancel')}</a></p>`,
  });
}
