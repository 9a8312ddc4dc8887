// Recovery codes, shown once: right after TOTP is switched on, or after new
// codes were made. Only their HMACs are stored, so this page cannot be shown again.
// Issue #12: one code per line that never wraps, and Copy / Download buttons
// (assets/recovery-codes.js, from the codes on this page: nothing goes back to
// the server). Without JavaScript the buttons stay hidden and the list is the copy.
import { html } from 'hono/html';
import { layout, type Html } from './layout.ts';
import type { PageContext } from './context.ts';
import { urlFor } from '../route-table.ts';

/** "latchkey-recovery-codes.txt" for the product "Latchkey": a file name every system accepts. */
function fileName(productName: string): string {
  const slug = productName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return `${slug || 'latchkey'}-recovery-codes.txt`;
}

export function recoveryCodesPage(page: PageContext, options: { codes: string[]; reason: 'enabled' | 'replaced' }): Html {
  const { t } = page;
  return layout({
    ...page,
    title: t('recoveryCodes.title'),
    scripts: [urlFor('asset', { name: 'recovery-codes.js' })],
    body: html`<h1>${t('recoveryCodes.title')}</h1>
<p role="status"><strong>${options.reason === 'enabled' ? t('recoveryCodes.enabled') : t('recoveryCodes.replaced')}</strong></p>
<p>${t('recoveryCodes.lead')}</p>
<ol class="recovery-codes" data-testid="recovery-codes">
${options.codes.map((code) => html`<li><code>${code}</code></li>`)}
</ol>
<div class="recovery-actions" id="recovery-actions" hidden aria-live="polite" data-filename="${fileName(page.productName)}" data-heading="${t('recoveryCodes.fileHeading', { product: page.productName })}" data-copied="${t('recoveryCodes.copied')}" data-copy-failed="${t('recoveryCodes.copyFailed')}">
<button type="button" class="secondary" id="recovery-copy" hidden>${t('recoveryCodes.copy')}</button>
<button type="button" class="secondary" id="recovery-download">${t('recoveryCodes.download')}</button>
</div>
<p><a class="button primary" href="${urlFor('account')}">${t('recoveryCodes.done')}</a></p>`,
  });
}
