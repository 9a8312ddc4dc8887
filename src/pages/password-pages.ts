// Hosted pages for passwords (issue #5): sign in with a password, ask for a
// reset, enter the emailed code with a new password, or follow the emailed link
// to choose one. No script: every form posts and the server answers with the
// next page. Password fields say what they are for (autocomplete), so password
// managers fill the right one and offer to save the new one.
import { html } from 'hono/html';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../core/passwords.ts';
import { durationInWords } from '../i18n/catalog.ts';
import type { PageContext } from './context.ts';
import { layout, type Html } from './layout.ts';
import { rich } from './text.ts';
import { csrfField } from './csrf-field.ts';
import { urlFor } from '../route-table.ts';

function errorLine(id: string, error: string | null | undefined) {
  return html`<p id="${id}" class="error" role="alert">${error ?? ''}</p>`;
}

const invalid = (error: string | null | undefined) => (error ? html` aria-invalid="true"` : '');

/** A new-password field with its rules spelled out (no composition rules: length and the breached list only). */
export function newPasswordField(page: PageContext, options: { id: string; label: string; error?: string | null }) {
  const { t } = page;
  return html`<label for="${options.id}">${options.label}</label>
  <input id="${options.id}" name="password" type="password" autocomplete="new-password" required
    minlength="${MIN_PASSWORD_LENGTH}" maxlength="${MAX_PASSWORD_LENGTH * 2}" aria-describedby="${options.id}-hint ${options.id}-error"${invalid(options.error)}>
  <p id="${options.id}-hint" class="hint small">${t('password.hint')}</p>
  ${errorLine(`${options.id}-error`, options.error)}`;
}

export interface PasswordSignInPageOptions {
  email?: string;
  redirectTo?: string | null;
  error?: string | null;
}

export function passwordSignInPage(page: PageContext, options: PasswordSignInPageOptions): Html {
  const { t } = page;
  const redirect = options.redirectTo ? html`<input type="hidden" name="redirectTo" value="${options.redirectTo}">` : '';
  return layout({
    ...page,
    title: t('passwordSignIn.title'),
    body: html`<h1>${t('passwordSignIn.heading', { product: page.productName })}</h1>
<form id="password-sign-in" method="post" action="${urlFor('signInPassword')}" novalidate>${csrfField(page)}
  <label for="email">${t('signIn.emailLabel')}</label>
  <input id="email" name="email" type="email" autocomplete="username" autocapitalize="none" spellcheck="false" required
    maxlength="254" value="${options.email ?? ''}"${options.email ? '' : html` autofocus`}>
  <label for="password">${t('passwordSignIn.passwordLabel')}</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024"
    aria-describedby="password-error"${invalid(options.error)}${options.email ? html` autofocus` : ''}>
  ${errorLine('password-error', options.error)}
  ${redirect}
  <button type="submit" class="primary">${t('passwordSignIn.submit')}</button>
</form>
<p><a href="${urlFor('passwordForgotPage')}">${t('passwordSignIn.forgot')}</a></p>
<p><a href="${urlFor('signIn', undefined, { redirectTo: options.redirectTo || null })}">${t('passwordSignIn.useEmail')}</a></p>`,
  });
}

export function forgotPasswordPage(page: PageContext, options: { email?: string; error?: string | null }): Html {
  const { t } = page;
  return layout({
    ...page,
    title: t('forgot.title'),
    body: html`<h1>${t('forgot.title')}</h1>
<p>${t('forgot.lead')}</p>
<form id="forgot" method="post" action="${urlFor('passwordForgot')}" novalidate>${csrfField(page)}
  <label for="email">${t('signIn.emailLabel')}</label>
  <input id="email" name="email" type="email" autocomplete="username" autocapitalize="none" spellcheck="false" autofocus required
    maxlength="254" value="${options.email ?? ''}" aria-describedby="email-error"${invalid(options.error)}>
  ${errorLine('email-error', options.error)}
  <button type="submit" class="primary">${t('forgot.submit')}</button>
</form>
<p><a href="${urlFor('signInPasswordPage')}">${t('forgot.back')}</a></p>`,
  });
}

export interface ResetByCodePageOptions {
  email: string;
  expiresInSeconds: number;
  /** The code as typed, kept when only the password was refused. */
  code?: string;
  error?: string | null;
  /** Which field the error belongs to. */
  errorField?: 'code' | 'password';
}

/** After "email me a reset link": the same answer for every address, and the code form. */
export function resetByCodePage(page: PageContext, options: ResetByCodePageOptions): Html {
  const { t } = page;
  const codeError = options.errorField === 'code' ? options.error : null;
  const passwordError = options.errorField === 'password' ? options.error : null;
  return layout({
    ...page,
    title: t('forgotSent.title'),
    body: html`<h1>${t('forgotSent.title')}</h1>
<p>${rich(t, 'forgotSent.lead', { email: options.email, duration: durationInWords(t, options.expiresInSeconds) })}</p>
<p>${t('forgotSent.codeLead')}</p>
<form id="reset-by-code" method="post" action="${urlFor('passwordReset')}" novalidate>${csrfField(page)}
  <input type="hidden" name="email" value="${options.email}">
  <input type="text" name="username" value="${options.email}" autocomplete="username" hidden>
  <label for="code">${t('reset.codeLabel')}</label>
  <input id="code" name="code" class="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 \\-]*" maxlength="9" required
    value="${options.code ?? ''}" aria-describedby="code-error"${invalid(codeError)}${passwordError ? '' : html` autofocus`}>
  ${errorLine('code-error', codeError)}
  ${newPasswordField(page, { id: 'new-password', label: t('password.newLabel'), error: passwordError })}
  <button type="submit" class="primary">${t('reset.submit')}</button>
</form>
<p><a href="${urlFor('passwordForgotPage')}">${t('linkProblem.newReset')}</a></p>`,
  });
}

/** GET /auth/password/reset?token=…: shows, never consumes; the form posts the token with the new password. */
export function resetPasswordPage(page: PageContext, options: { token: string; email: string; error?: string | null }): Html {
  const { t } = page;
  return layout({
    ...page,
    title: t('reset.title'),
    body: html`<h1>${t('reset.title')}</h1>
<p>${rich(t, 'reset.lead', { email: options.email })}</p>
<form id="reset" method="post" action="${urlFor('passwordReset')}" novalidate>${csrfField(page)}
  <input type="hidden" name="token" value="${options.token}">
  <input type="text" name="username" value="${options.email}" autocomplete="username" hidden>
  ${newPasswordField(page, { id: 'new-password', label: t('password.newLabel'), error: options.error })}
  <button type="submit" class="primary">${t('reset.submit')}</button>
</form>`,
  });
}
