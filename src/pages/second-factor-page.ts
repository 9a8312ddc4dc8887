// The second step of sign-in: the code from the authenticator app, or (after
// "use a recovery code instead", a plain link so it works without JavaScript)
// one of the recovery codes; and, for an account with passkeys, a passkey of
// the account (issue #17), which completes this same step.
import { html } from 'hono/html';
import { durationInWords } from '../i18n/catalog.ts';
import { layout, type Html } from './layout.ts';
import type { PageContext } from './context.ts';
import { csrfField } from './csrf-field.ts';
import { urlFor } from '../route-table.ts';
import { PASSKEY_SCRIPTS, passkeySignIn } from './passkey-section.ts';

export interface SecondFactorPageOptions {
  method: 'totp' | 'recovery';
  expiresInSeconds: number;
  error?: string | null;
  /** Issue #17: the account has TOTP on (default) and/or passkeys, either of which completes this step (a held reset included). */
  totp?: boolean;
  passkey?: boolean;
}

/** The code input of a second-factor form (the sign-in step's, the step-up's): a TOTP code, or a recovery code. */
export function codeField(page: PageContext, method: 'totp' | 'recovery', error: string | null): Html {
  const { t } = page;
  const invalid = error ? html` aria-invalid="true"` : '';
  return method === 'totp'
    ? html`<label for="code">${t('secondFactor.codeLabel')}</label>
  <input id="code" name="code" class="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 \\-]*" maxlength="9"
    required autofocus aria-describedby="code-error"${invalid}>
  <p id="code-error" class="error" role="alert">${error ?? ''}</p>`
    : html`<label for="recovery-code">${t('secondFactor.recoveryLabel')}</label>
  <input id="recovery-code" name="recoveryCode" class="recovery" autocomplete="off" autocapitalize="none" spellcheck="false" maxlength="40"
    required autofocus aria-describedby="code-error"${invalid}>
  <p id="code-error" class="error" role="alert">${error ?? ''}</p>`;
}

export function secondFactorPage(page: PageContext, options: SecondFactorPageOptions): Html {
  const { t } = page;
  const field = codeField(page, options.method, options.error ?? null);
  const totp = options.totp ?? true;
  const codes = html`<p>${options.method === 'totp' ? t('secondFactor.lead', { product: page.productName }) : t('secondFactor.recoveryLead')}</p>
<form id="second-factor" method="post" action="${urlFor('secondFactor')}" novalidate>${csrfField(page)}
  ${field}
  <button type="submit" class="primary">${t('secondFactor.submit')}</button>
</form>`;
  const other = html`<p>${
    options.method === 'totp'
      ? html`<a href="${urlFor('secondFactorPage', undefined, { method: 'recovery' })}">${t('secondFactor.useRecovery')}</a>`
      : html`<a href="${urlFor('secondFactorPage')}">${t('secondFactor.useTotp')}</a>`
  }</p>`;
  return layout({
    ...page,
    title: t('secondFactor.title'),
    scripts: options.passkey ? PASSKEY_SCRIPTS : [],
    body: html`<h1>${t('secondFactor.title')}</h1>
${totp ? codes : html`<p>${t('secondFactor.passkeyLead')}</p>`}
${options.passkey ? passkeySignIn(page, null, false, 'secondFactorPasskey') : ''}
<p class="hint">${t('secondFactor.expires', { duration: durationInWords(t, options.expiresInSeconds) })}</p>
${totp ? other : ''}
<p><a href="${urlFor('signIn')}">${t('secondFactor.startOver')}</a></p>`,
  });
}
