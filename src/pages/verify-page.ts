// The GET on an emailed link. It never consumes the token (mail scanners
// prefetch links); it completes by POST. Only the browser holding the flow
// cookie of the request continues by itself; anywhere else it names the account
// and the request, and waits for a click.

import { html } from 'hono/html';
import { layout, type Html } from './layout.ts';
import type { PageContext } from './context.ts';
import { rich } from './text.ts';
import { csrfField } from './csrf-field.ts';
import { urlFor } from '../route-table.ts';

export interface VerifyPageOptions {
  token: string;
  maskedEmail: string;
  sameBrowser: boolean;
  /** "Chrome on macOS (IP 203.0.113.7)" */
  requestedFrom: string;
  requestedAt: string;
}

export function verifyPage(page: PageContext, options: VerifyPageOptions): Html {
  const { t } = page;
  return layout({
    ...page,
    title: t('verify.title'),
    scripts: options.sameBrowser ? [urlFor('asset', { name: 'verify.js' })] : [],
    body: html`<h1>${rich(t, 'verify.heading', { email: options.maskedEmail }, { strong: false, breakable: false })}</h1>
<p>${rich(t, 'verify.requested', { device: options.requestedFrom, time: options.requestedAt })}</p>
<form id="verify" method="post" action="${urlFor('verify')}"${options.sameBrowser ? html` data-auto-submit="true" data-continuing="${t('verify.continuing')}"` : ''}>${csrfField(page)}
  <input type="hidden" name="token" value="${options.token}">
  ${options.sameBrowser ? html`<p id="verify-status" class="hint" aria-live="polite"></p>` : ''}
  <button type="submit" class="primary">${t('verify.confirm')}</button>
</form>
${options.sameBrowser ? '' : html`<p class="hint">${t('verify.otherDevice')}</p>
<p class="hint">${t('verify.notYou')}</p>`}`,
  });
}
