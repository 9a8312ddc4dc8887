// The GET on an emailed link. It never consumes the token (mail scanners
// prefetch links); it completes by POST. Only the browser holding the flow
// cookie of the request continues by itself.

import { html } from 'hono/html';
import { layout, type Html } from './layout.ts';
import type { PageContext } from './context.ts';

export interface VerifyPageOptions {
  token: string;
  maskedEmail: string;
  sameBrowser: boolean;
  requestedFrom: string;
  requestedAt: string;
}

export function verifyPage(page: PageContext, options: VerifyPageOptions): Html {
  return layout({
    ...page,
    title: 'Confirm sign-in',
    scripts: options.sameBrowser ? ['/auth/assets/verify.js'] : [],
    body: html`<h1>Sign in as ${options.maskedEmail}?</h1>
<p>This link was requested from ${options.requestedFrom} at ${options.requestedAt}.</p>
<form id="verify" method="post" action="/auth/verify"${options.sameBrowser ? html` data-auto-submit="true"` : ''}>
  <input type="hidden" name="token" value="${options.token}">
  <button type="submit">Sign in on this device</button>
</form>
<p class="hint">Not on the device where you asked? Enter the 6-digit code from the email there instead.</p>`,
  });
}
