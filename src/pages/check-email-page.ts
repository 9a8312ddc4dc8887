// After asking: where the mail went, the code field, a resend button whose
// countdown matches the server's interval between mails, and the inbox buttons.
import { html } from 'hono/html';
import { durationInWords } from '../i18n/catalog.ts';
import { layout, type Html } from './layout.ts';
import type { PageContext } from './context.ts';
import { resendForm } from './resend-form.ts';
import { rich } from './text.ts';
import { webmailFor } from './webmail.ts';
import { csrfField } from './csrf-field.ts';
import { approvalWaitSection } from './approval-pages.ts';
import { urlFor } from '../route-table.ts';

export interface CheckEmailPageOptions {
  /** The address this browser asked for (flow cookie), if known. */
  email: string | null;
  expiresInSeconds: number;
  /** Seconds until the server accepts another mail to this address (0: now). */
  resendInSeconds: number;
  /** The server's interval between two mails to one address. */
  resendIntervalSeconds: number;
  /** Kept for the resend: the checked redirect of the latest request. */
  redirectTo?: string | null;
  error?: string | null;
  /**
   * This browser asked again but the policy sent nothing (it is told, nobody
   * else is): within the resend interval, or over the address's cap.
   */
  notSent?: boolean;
  /** After "Send a new email": says a new one is on its way (issue #12), unless `notSent` says otherwise. */
  sentAgain?: boolean;
  /** Cross-device approval: the number to pick on the device that opens the link (while pending). */
  approvalNumber?: number | null;
}

export function checkEmailPage(page: PageContext, options: CheckEmailPageOptions): Html {
  const { t } = page;
  const email = options.email;
  const webmail = email ? webmailFor(email) : null;
  const differentEmail = urlFor('signIn', undefined, { redirectTo: options.redirectTo || null });
  const invalid = options.error ? html` aria-invalid="true"` : '';
  const notSent = options.notSent
    ? options.resendInSeconds > 0
      ? t('checkEmail.notSentWait', { interval: durationInWords(t, options.resendIntervalSeconds) })
      : t('checkEmail.notSentLimit')
    : null;
  return layout({
    ...page,
    title: t('checkEmail.title'),
    scripts: [urlFor('asset', { name: 'check-email.js' }), urlFor('asset', { name: 'resend.js' }), ...(options.approvalNumber ? [urlFor('asset', { name: 'approval.js' })] : [])],
    body: html`<h1>${t('checkEmail.title')}</h1>
${notSent ? html`<p class="notice" role="status" data-testid="not-sent">${notSent}</p>` : ''}
${options.sentAgain && !notSent && email ? html`<p class="notice" role="status" data-testid="sent-again">${rich(t, 'checkEmail.sentAgain', { email })}</p>` : ''}
<p data-testid="sent-to">${email ? rich(t, 'checkEmail.sentTo', { email }) : t('checkEmail.sentToUnknown')}
${t('checkEmail.expires', { duration: durationInWords(t, options.expiresInSeconds) })}</p>
${webmail ? html`<p><a class="button secondary" href="${webmail.url}" target="_blank" rel="noopener noreferrer">${t('checkEmail.openInbox', { provider: webmail.name })}</a></p>` : ''}
<form id="code-form" method="post" action="${urlFor('signInCode')}" novalidate>${csrfField(page)}
  ${email ? html`<input type="hidden" name="email" value="${email}">` : html`<label for="email">${t('signIn.emailLabel')}</label>
  <input id="email" name="email" type="email" autocomplete="email" autocapitalize="none" spellcheck="false" required>`}
  <label for="code">${t('checkEmail.codeLabel')}</label>
  <input id="code" name="code" class="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 \\-]*" required
    autofocus aria-describedby="code-hint code-error"${invalid}>
  <p id="code-hint" class="hint">${t('checkEmail.codeHint')}</p>
  <p id="code-error" class="error" role="alert">${options.error ?? ''}</p>
  <button type="submit" class="primary">${t('checkEmail.submitCode')}</button>
</form>
${options.approvalNumber ? approvalWaitSection(page, options.approvalNumber) : ''}
${email
  ? resendForm(page, {
      email,
      redirectTo: options.redirectTo,
      waitSeconds: options.resendInSeconds,
      waitText: t('checkEmail.resendWait'),
      readyText: t('checkEmail.resendReady'),
      // Over the address's cap the notice says to wait; "you can ask now" would contradict it.
      quietWhenReady: Boolean(options.notSent),
      buttonLabel: t('checkEmail.resend'),
      lead: t('checkEmail.notArrived'),
    })
  : ''}
<p><a href="${differentEmail}">${t('checkEmail.differentEmail')}</a></p>`,
  });
}
