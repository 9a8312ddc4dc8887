// The account page's two-factor section: set up an authenticator app (QR code,
// the key as text, a first code to confirm), then recovery codes, whether email
// sign-in also asks for a code, and switching it off. Every form posts to the
// /auth/totp API; changes need a sign-in of the last 10 minutes (the policy
// decides, this only hides forms that would be refused).
import { html } from 'hono/html';
import type { PageContext } from './context.ts';
import { csrfField } from './csrf-field.ts';
import { SIGN_IN_TO_ACCOUNT, urlFor } from '../route-table.ts';

export interface TwoFactorView {
  enabled: boolean;
  /** "2026-11-22 13:45 UTC" */
  enabledAt: string | null;
  emailSignInRequiresTotp: boolean;
  recoveryCodesLeft: number;
  /** Signed in within the last 10 minutes: changes are allowed. */
  recent: boolean;
  /** An enrolment waiting for its first code (shown only to a recent sign-in). */
  enrolment: { secret: string; qrCodeSvg: string } | null;
  error: string | null;
}

function codeField(page: PageContext, id: string) {
  return html`<label for="${id}">${page.t('twoFactor.codeLabel')}</label>
  <input id="${id}" name="code" autocomplete="one-time-code" autocapitalize="none" spellcheck="false" maxlength="40" required>`;
}

function enrolmentForm(page: PageContext, enrolment: NonNullable<TwoFactorView['enrolment']>) {
  const { t } = page;
  const qr = `data:image/svg+xml;base64,${Buffer.from(enrolment.qrCodeSvg).toString('base64')}`;
  return html`<p>${t('twoFactor.scan')}</p>
<p class="qr"><img src="${qr}" width="200" height="200" alt="${t('twoFactor.qrAlt', { product: page.productName })}"></p>
<p>${t('twoFactor.manual')}</p>
<p><code class="secret" data-testid="totp-secret">${enrolment.secret}</code></p>
<form method="post" action="${urlFor('totpConfirm')}" novalidate>${csrfField(page)}
  <label for="totp-confirm">${t('twoFactor.confirmLabel')}</label>
  <input id="totp-confirm" name="code" class="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 \\-]*" maxlength="9" required>
  <button type="submit" class="primary">${t('twoFactor.confirm')}</button>
</form>`;
}

function enabledForms(page: PageContext, view: TwoFactorView) {
  const { t } = page;
  return html`<form method="post" action="${urlFor('totpRecoveryCodes')}">${csrfField(page)}
  <button type="submit" class="secondary" aria-describedby="regenerate-hint">${t('twoFactor.regenerate')}</button>
  <p id="regenerate-hint" class="hint small">${t('twoFactor.regenerateHint')}</p>
</form>
<form method="post" action="${urlFor('totpSettings')}" novalidate>${csrfField(page)}
  <p>${view.emailSignInRequiresTotp ? t('twoFactor.emailRequiresTotp') : t('twoFactor.emailAlone')}</p>
  <input type="hidden" name="emailSignInRequiresTotp" value="${view.emailSignInRequiresTotp ? 'false' : 'true'}">
  ${view.emailSignInRequiresTotp ? codeField(page, 'settings-code') : ''}
  <button type="submit" class="secondary">${view.emailSignInRequiresTotp ? t('twoFactor.emailTurnOff') : t('twoFactor.emailTurnOn')}</button>
</form>
<form method="post" action="${urlFor('totpDisable')}" novalidate>${csrfField(page)}
  ${codeField(page, 'disable-code')}
  <button type="submit" class="secondary">${t('twoFactor.disable')}</button>
</form>`;
}

export function twoFactorSection(page: PageContext, view: TwoFactorView) {
  const { t } = page;
  const signInAgain = html`<p>${t('twoFactor.needsRecentSignIn')}</p>
<p><a class="button secondary" href="${SIGN_IN_TO_ACCOUNT}">${t('twoFactor.signInAgain')}</a></p>`;
  let body;
  if (view.enabled) {
    body = html`<p data-testid="totp-status">${t('twoFactor.on', { time: view.enabledAt ?? '' })}</p>
<p>${t('twoFactor.recoveryLeft', { count: view.recoveryCodesLeft })}</p>
${view.recent ? enabledForms(page, view) : signInAgain}`;
  } else if (!view.recent) {
    body = html`<p data-testid="totp-status">${t('twoFactor.off')}</p>
${signInAgain}`;
  } else if (view.enrolment) {
    body = enrolmentForm(page, view.enrolment);
  } else {
    body = html`<p data-testid="totp-status">${t('twoFactor.off')}</p>
<form method="post" action="${urlFor('totpEnrol')}">${csrfField(page)}<button type="submit" class="secondary">${t('twoFactor.setUp')}</button></form>`;
  }
  return html`<section id="two-factor" class="two-factor" aria-labelledby="two-factor-heading">
<h2 id="two-factor-heading">${t('twoFactor.heading')}</h2>
<p id="two-factor-error" class="error" role="alert">${view.error ?? ''}</p>
${body}
</section>`;
}
