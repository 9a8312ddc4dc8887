// The account page's passkeys (issue #17): the list (name, synced or one
// device, the authenticator when known, added and last used), rename and
// remove forms, "Add a passkey", and the offer shown after a sign-in to an
// account without one (dismissible for 30 days). The buttons that call
// WebAuthn stay hidden until /auth/assets/passkeys.js finds a browser that
// supports passkeys; nothing renders when passkeys are unavailable (an
// IP-address base URL).
import { html } from 'hono/html';
import type { PageContext } from './context.ts';
import { csrfField } from './csrf-field.ts';
import { SIGN_IN_TO_ACCOUNT, urlFor } from '../route-table.ts';

export interface PasskeyRowView {
  id: string;
  name: string;
  /** "2026-11-22 13:45 UTC" */
  createdAt: string;
  lastUsedAt: string | null;
  backedUp: boolean;
  authenticator: string | null;
}

export interface PasskeySectionView {
  /** Signed in within the last 10 minutes: adding and removing are allowed. */
  recent: boolean;
  /** Email sign-in also asks for a passkey (or the TOTP code). */
  emailSignInRequiresPasskey: boolean;
  passkeys: PasskeyRowView[];
  notice: 'added' | 'renamed' | 'removed' | null;
  error: string | null;
  /** The offer after a sign-in: no passkey yet, a recent sign-in, not dismissed in this browser. */
  offer: boolean;
}

/** The scripts the account page loads when passkeys are available. */
export const PASSKEY_SCRIPTS = [urlFor('asset', { name: 'simplewebauthn-browser.js' }), urlFor('asset', { name: 'passkeys.js' })];

function addButton(page: PageContext, id: string) {
  const { t } = page;
  return html`<button type="button" id="${id}" class="passkey-add primary" hidden
  data-options-url="${urlFor('passkeyRegistrationOptions')}" data-verify-url="${urlFor('passkeyRegistration')}"
  data-done-url="${`${urlFor('account', undefined, { passkey: 'added' })}#passkeys`}" data-failed="${t('passkeys.failed')}"
  data-error-target="passkeys-error">${t('passkeys.add')}</button>`;
}

export function passkeyOffer(page: PageContext) {
  const { t } = page;
  return html`<section id="passkey-offer" class="notice passkey-offer" aria-labelledby="passkey-offer-heading" hidden>
<h2 id="passkey-offer-heading">${t('passkeys.offer.heading')}</h2>
<p>${t('passkeys.offer.text')}</p>
${addButton(page, 'passkey-offer-add')}
<form method="post" action="${urlFor('passkeyOfferDismiss')}">${csrfField(page)}<button type="submit" class="secondary">${t('passkeys.offer.dismiss')}</button></form>
</section>`;
}

function row(page: PageContext, passkey: PasskeyRowView, recent: boolean) {
  const { t } = page;
  const used = passkey.lastUsedAt ? t('passkeys.lastUsed', { time: passkey.lastUsedAt }) : t('passkeys.neverUsed');
  return html`<li data-passkey-id="${passkey.id}">
  <div class="device"><strong data-testid="passkey-name">${passkey.name}</strong> <span class="badge">${passkey.backedUp ? t('passkeys.synced') : t('passkeys.oneDevice')}</span></div>
  <small>${passkey.authenticator ? html`${passkey.authenticator} · ` : ''}${t('passkeys.created', { time: passkey.createdAt })} · ${used}</small>
  <form method="post" action="${urlFor('passkeyRename', { id: passkey.id })}" class="inline">${csrfField(page)}
    <label for="passkey-name-${passkey.id}">${t('passkeys.nameLabel')}</label>
    <input id="passkey-name-${passkey.id}" name="name" maxlength="64" required value="${passkey.name}">
    <button type="submit" class="secondary small">${t('passkeys.rename')}</button>
  </form>
  ${recent
    ? html`<form method="post" action="${urlFor('passkeyRemove', { id: passkey.id })}">${csrfField(page)}<button type="submit" class="secondary small" aria-label="${`${t('passkeys.remove')}: ${passkey.name}`}">${t('passkeys.remove')}</button></form>`
    : ''}
</li>`;
}

function emailSetting(page: PageContext, view: PasskeySectionView) {
  const { t } = page;
  const on = view.emailSignInRequiresPasskey;
  return html`<p data-testid="passkey-email-setting">${on ? t('passkeys.emailRequiresPasskey') : t('passkeys.emailAlone')}</p>
${view.recent
    ? html`<form method="post" action="${urlFor('passkeySettings')}">${csrfField(page)}
  <input type="hidden" name="emailSignInRequiresPasskey" value="${on ? 'false' : 'true'}">
  <button type="submit" class="secondary">${on ? t('passkeys.emailTurnOff') : t('passkeys.emailTurnOn')}</button>
</form>`
    : ''}`;
}

export function passkeySection(page: PageContext, view: PasskeySectionView) {
  const { t } = page;
  const notice = view.notice ? html`<p class="notice" role="status">${t(`passkeys.notice.${view.notice}`)}</p>` : '';
  return html`<section id="passkeys" class="passkeys" aria-labelledby="passkeys-heading">
<h2 id="passkeys-heading">${t('passkeys.heading')}</h2>
<p>${t('passkeys.lead')}</p>
${notice}
<p id="passkeys-error" class="error" role="alert">${view.error ?? ''}</p>
${view.passkeys.length
    ? html`<ul class="sessions" data-testid="passkey-list">${view.passkeys.map((passkey) => row(page, passkey, view.recent))}</ul>`
    : html`<p data-testid="passkey-none">${t('passkeys.none')}</p>`}
${view.passkeys.length ? emailSetting(page, view) : ''}
${view.recent
    ? addButton(page, 'passkey-add')
    : html`<p>${t('passkeys.needsRecentSignIn')}</p>
<p><a class="button secondary" href="${SIGN_IN_TO_ACCOUNT}">${t('twoFactor.signInAgain')}</a></p>`}
</section>`;
}

/**
 * "Sign in with a passkey", shown by passkeys.js on a browser that supports
 * passkeys. `autofill`: the page's email field offers them too (the sign-in
 * page; not the second step, which has no such field). `verify`: where the
 * answer goes: a passkey sign-in, or the second-factor step it completes.
 */
export function passkeySignIn(page: PageContext, redirectTo: string | null, autofill: boolean, verify: 'passkeySignIn' | 'secondFactorPasskey' | 'stepUpPasskey' = 'passkeySignIn') {
  const { t } = page;
  return html`<div id="passkey-sign-in" class="passkey-sign-in" hidden
  data-options-url="${urlFor('passkeySignInOptions')}" data-verify-url="${urlFor(verify)}"
  data-redirect-to="${redirectTo ?? ''}" data-failed="${t('signIn.passkeyFailed')}" data-autofill="${autofill ? 'on' : 'off'}">
  <p class="or">${t('signIn.or')}</p>
  <button type="button" id="passkey-button" class="secondary">${t('signIn.passkey')}</button>
  <p id="passkey-error" class="error" role="alert"></p>
</div>`;
}
