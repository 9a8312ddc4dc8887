// Hosted pages behind the emailed links of issue #5: confirm a new address,
// "this wasn't me" (cancel a change), verify an address. Each GET only shows
// what the link would do (mail scanners open links); a button posts the token.
// Also the page that ends each flow, and the one for a link that no longer works.
import { html } from 'hono/html';
import type { ErrorCode } from '../core/errors.ts';
import type { TokenPurpose } from '../core/types.ts';
import type { MessageKey } from '../i18n/catalog.ts';
import type { PageContext } from './context.ts';
import { layout, type Html } from './layout.ts';
import { rich } from './text.ts';
import { csrfField } from './csrf-field.ts';
import { urlFor } from '../route-table.ts';

function tokenForm(page: PageContext, action: string, token: string, label: string, primary = true) {
  return html`<form method="post" action="${action}">${csrfField(page)}
  <input type="hidden" name="token" value="${token}">
  <button type="submit" class="${primary ? 'primary' : 'secondary'}">${label}</button>
</form>`;
}

export function confirmEmailPage(page: PageContext, options: { token: string; email: string; oldEmail: string }): Html {
  const { t } = page;
  return layout({
    ...page,
    title: t('emailConfirm.title'),
    body: html`<h1>${t('emailConfirm.title')}</h1>
<p>${rich(t, 'emailConfirm.lead', { email: options.email, product: page.productName })}</p>
<p class="hint">${t('emailConfirm.note')}</p>
${tokenForm(page, urlFor('emailConfirm'), options.token, t('emailConfirm.submit'))}`,
  });
}

export function cancelEmailChangePage(page: PageContext, options: { token: string; email: string; newEmail: string }): Html {
  const { t } = page;
  return layout({
    ...page,
    title: t('emailCancel.title'),
    body: html`<h1>${t('emailCancel.title')}</h1>
<p>${rich(t, 'emailCancel.lead', { email: options.email, newEmail: options.newEmail, product: page.productName })}</p>
<p>${rich(t, 'emailCancel.what', { email: options.email })}</p>
${tokenForm(page, urlFor('emailCancel'), options.token, t('emailCancel.submit'))}`,
  });
}

export function verifyEmailPage(page: PageContext, options: { token: string; email: string }): Html {
  const { t } = page;
  return layout({
    ...page,
    title: t('emailVerify.title'),
    body: html`<h1>${t('emailVerify.title')}</h1>
<p>${rich(t, 'emailVerify.lead', { email: options.email, product: page.productName })}</p>
${tokenForm(page, urlFor('emailVerify'), options.token, t('emailVerify.submit'))}`,
  });
}

export interface DonePageOptions {
  title: MessageKey;
  /** Each a catalog key with its values ({email} is set in bold). */
  lines: Array<{ key: MessageKey; params?: Record<string, string> }>;
  action: { href: string; label: MessageKey };
}

/** The end of a flow: what happened, and where to go next. */
export function donePage(page: PageContext, options: DonePageOptions): Html {
  const { t } = page;
  return layout({
    ...page,
    title: t(options.title),
    body: html`<h1>${t(options.title)}</h1>
${options.lines.map((line) => html`<p>${rich(t, line.key, line.params ?? {})}</p>`)}
<p><a class="button primary" href="${options.action.href}">${t(options.action.label)}</a></p>`,
  });
}

const LINK_ACTIONS: Record<Exclude<TokenPurpose, 'sign_in'>, { href: string; label: MessageKey }> = {
  password_reset: { href: urlFor('passwordForgotPage'), label: 'linkProblem.newReset' },
  email_verify: { href: urlFor('account'), label: 'done.toAccount' },
  email_change: { href: urlFor('account'), label: 'done.toAccount' },
  email_change_cancel: { href: urlFor('signIn'), label: 'done.signIn' },
};

/** An emailed link of these flows that cannot be used (unknown, expired, used, replaced): what it was for, and what to do now. */
export function linkProblemPage(page: PageContext, options: { code: ErrorCode; purpose: Exclude<TokenPurpose, 'sign_in'> }): Html {
  const { t } = page;
  const action = LINK_ACTIONS[options.purpose];
  return layout({
    ...page,
    title: t(`error.${options.code}.title`),
    body: html`<h1>${t(`error.${options.code}.title`)}</h1>
<p>${t(`linkProblem.why.${options.purpose}`)}</p>
<p><a class="button primary" href="${action.href}">${t(action.label)}</a></p>`,
  });
}
