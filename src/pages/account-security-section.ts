// The account page's password and email sections (issue #5): add, change or
// remove a password; see whether the address is verified; change it. Changes
// need a sign-in of the last 10 minutes (the policy decides; this only hides
// forms that would be refused) and, when the account has a password, typing it
// again counts as such a sign-in.
import { html } from 'hono/html';
import type { PageContext } from './context.ts';
import { newPasswordField } from './password-pages.ts';
import { rich } from './text.ts';
import { csrfField } from './csrf-field.ts';
import { SIGN_IN_TO_ACCOUNT, urlFor } from '../route-table.ts';

export interface PasswordView {
  /** "2026-11-22 13:45 UTC", or null: no password. */
  setAt: string | null;
  recent: boolean;
  notice: 'added' | 'changed' | 'removed' | null;
  error: string | null;
}

export interface EmailView {
  email: string;
  verified: boolean;
  recent: boolean;
  /** The address a confirmation link just went to, or the account's own after "send a verification email". */
  notice: { kind: 'changeSent' | 'verificationSent'; email: string } | null;
  error: string | null;
}

function notRecent(page: PageContext, hasPassword: boolean) {
  const { t } = page;
  return html`<p>${t('twoFactor.needsRecentSignIn')}</p>
<p><a class="button secondary" href="${SIGN_IN_TO_ACCOUNT}">${t('twoFactor.signInAgain')}</a></p>
${hasPassword
  ? html`<form method="post" action="${urlFor('reauthenticate')}" novalidate>${csrfField(page)}
  <label for="reauth-password">${t('password.reauthLabel')}</label>
  <input id="reauth-password" name="password" type="password" autocomplete="current-password" required maxlength="1024">
  <button type="submit" class="secondary">${t('password.reauthSubmit')}</button>
</form>`
  : ''}`;
}

export function passwordSection(page: PageContext, view: PasswordView) {
  const { t } = page;
  const hasPassword = view.setAt !== null;
  const forms = html`<form method="post" action="${urlFor('passwordSet')}" novalidate>${csrfField(page)}
  ${newPasswordField(page, { id: 'account-password', label: t('password.newLabel'), error: view.error })}
  <button type="submit" class="secondary">${hasPassword ? t('password.change') : t('password.add')}</button>
</form>
${hasPassword
  ? html`<form method="post" action="${urlFor('passwordRemove')}">${csrfField(page)}<button type="submit" class="secondary">${t('password.remove')}</button></form>`
  : ''}`;
  return html`<section id="password" class="account-section" aria-labelledby="password-heading">
<h2 id="password-heading">${t('password.heading')}</h2>
${view.notice ? html`<p class="notice" role="status">${t(`password.notice.${view.notice}`)}</p>` : ''}
<p data-testid="password-status">${hasPassword ? t('password.isSet', { time: view.setAt ?? '' }) : t('password.none')}</p>
${view.recent ? forms : html`${view.error ? html`<p class="error" role="alert">${view.error}</p>` : ''}${notRecent(page, hasPassword)}`}
</section>`;
}

export function emailSection(page: PageContext, view: EmailView) {
  const { t } = page;
  const notice = view.notice
    ? html`<p class="notice" role="status">${rich(t, view.notice.kind === 'changeSent' ? 'email.notice.changeSent' : 'email.notice.verificationSent', { email: view.notice.email })}</p>`
    : '';
  const change = html`<form method="post" action="${urlFor('emailChange')}" novalidate>${csrfField(page)}
  <label for="new-email">${t('email.newLabel')}</label>
  <input id="new-email" name="newEmail" type="email" autocomplete="email" autocapitalize="none" spellcheck="false" required maxlength="254"
    aria-describedby="new-email-hint new-email-error"${view.error ? html` aria-invalid="true"` : ''}>
  <p id="new-email-hint" class="hint small">${rich(t, 'email.changeHint', { email: view.email })}</p>
  <p id="new-email-error" class="error" role="alert">${view.error ?? ''}</p>
  <button type="submit" class="secondary">${t('email.change')}</button>
</form>`;
  return html`<section id="email" class="account-section" aria-labelledby="email-heading">
<h2 id="email-heading">${t('email.heading')}</h2>
${notice}
<p>${rich(t, 'email.current', { email: view.email })} <span data-testid="email-verified">${view.verified ? t('email.verified') : t('email.unverified')}</span></p>
${view.verified
  ? ''
  : html`<form method="post" action="${urlFor('emailVerification')}">${csrfField(page)}<button type="submit" class="secondary">${t('email.sendVerification')}</button></form>`}
${view.recent ? change : html`<p class="hint">${t('twoFactor.needsRecentSignIn')}</p>`}
</section>`;
}
