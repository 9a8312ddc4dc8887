import { html } from 'hono/html';
import { layout, type Html } from './layout.ts';
import type { PageContext } from './context.ts';
import { COMMON_EMAIL_DOMAINS } from './email-typo.ts';
import { csrfField } from './csrf-field.ts';
import { PASSKEY_SCRIPTS, passkeySignIn } from './passkey-section.ts';
import { urlFor } from '../route-table.ts';

export interface SignInPageOptions {
  redirectTo?: string | null;
  email?: string;
  error?: string | null;
  /** Set after a submit whose domain looks mistyped: the page asks before sending. */
  suggestion?: string | null;
  /** Passkeys are available (a named base URL): the button and autofill (issue #17). */
  passkeys?: boolean;
}

export function signInPage(page: PageContext, options: SignInPageOptions): Html {
  const { t } = page;
  const redirect = options.redirectTo ? html`<input type="hidden" name="redirectTo" value="${options.redirectTo}">` : '';
  const invalid = options.error ? html` aria-invalid="true"` : '';
  return layout({
    ...page,
    title: t('signIn.title'),
    scripts: [urlFor('asset', { name: 'sign-in.js' }), ...(options.passkeys ? PASSKEY_SCRIPTS : [])],
    body: html`<h1>${t('signIn.heading', { product: page.productName })}</h1>
<p>${t('signIn.lead')}</p>
${options.suggestion ? typoQuestion(page, options.email ?? '', options.suggestion, redirect) : ''}
<form id="sign-in" method="post" action="${urlFor('signInEmail')}" novalidate
  data-typo-domains="${COMMON_EMAIL_DOMAINS.join(',')}"
  data-typo-question="${t('signIn.typo.question')}"
  data-typo-accept="${t('signIn.typo.accept')}"
  data-invalid-email="${t('error.invalid_email.message')}">${csrfField(page)}
  <label for="email">${t('signIn.emailLabel')}</label>
  <input id="email" name="email" type="email" autocomplete="${options.passkeys ? 'email webauthn' : 'email'}" autocapitalize="none" spellcheck="false" autofocus required
    maxlength="254" value="${options.email ?? ''}" aria-describedby="email-error email-typo"${invalid}>
  <p id="email-error" class="error" role="alert">${options.error ?? ''}</p>
  <div id="email-typo" class="typo" aria-live="polite"></div>
  <input type="hidden" name="typoChecked" value="">
  ${redirect}
  <button type="submit" class="primary">${t('signIn.submit')}</button>
</form>
${options.passkeys ? passkeySignIn(page, options.redirectTo ?? null, true) : ''}
<p><a href="${urlFor('signInPasswordPage', undefined, { redirectTo: options.redirectTo || null })}">${t('signIn.usePassword')}</a></p>`,
  });
}

function typoQuestion(page: PageContext, email: string, suggestion: string, redirect: unknown) {
  const { t } = page;
  // Either button submits its own address; typoChecked stops the server asking twice.
  return html`<form class="typo-question" method="post" action="${urlFor('signInEmail')}" role="alert">${csrfField(page)}
  <p>${t('signIn.typo.question', { suggestion })}</p>
  <input type="hidden" name="typoChecked" value="1">
  ${redirect}
  <button type="submit" name="email" value="${suggestion}" class="primary">${t('signIn.typo.accept', { suggestion })}</button>
  <button type="submit" name="email" value="${email}" class="secondary">${t('signIn.typo.keep', { email })}</button>
</form>`;
}
