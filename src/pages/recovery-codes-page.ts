// Recovery codes, shown once: right after TOTP is switched on, or after new
// codes were made. Only their HMACs are stored, so this page cannot be shown again.
import { html } from 'hono/html';
import { layout, type Html } from './layout.ts';
import type { PageContext } from './context.ts';

export function recoveryCodesPage(page: PageContext, options: { codes: string[]; reason: 'enabled' | 'replaced' }): Html {
  const { t } = page;
  return layout({
    ...page,
    title: t('recoveryCodes.title'),
    body: html`<h1>${t('recoveryCodes.title')}</h1>
<p role="status"><strong>${options.reason === 'enabled' ? t('recoveryCodes.enabled') : t('recoveryCodes.replaced')}</strong></p>
<p>${t('recoveryCodes.lead')}</p>
<ol class="recovery-codes" data-testid="recovery-codes">
${options.codes.map((code) => html`<li><code>${code}</code></li>`)}
</ol>
<p><a class="button primary" href="/auth/account">${t('recoveryCodes.done')}</a></p>`,
  });
}
