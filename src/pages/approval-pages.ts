// Cross-device approval pages (core/cross-device.ts): on the device that opened
// the link, who asked and three numbers to pick from; the result there (never a
// session); and, on the waiting check-your-email page, the number to pick.

import { html } from 'hono/html';
import { layout, type Html } from './layout.ts';
import type { PageContext } from './context.ts';
import { csrfField } from './csrf-field.ts';
import { rich } from './text.ts';
import { urlFor } from '../route-table.ts';

export interface ApprovalPickOptions {
  token: string;
  maskedEmail: string;
  /** "Chrome on macOS (IP 203.0.113.7)" */
  requestedFrom: string;
  requestedAt: string;
  choices: number[];
}

export function approvalPickPage(page: PageContext, options: ApprovalPickOptions): Html {
  const { t } = page;
  return layout({
    ...page,
    title: t('verify.title'),
    body: html`<h1>${rich(t, 'approval.heading', { email: options.maskedEmail }, { strong: false, breakable: false })}</h1>
<p>${rich(t, 'approval.requested', { device: options.requestedFrom, time: options.requestedAt })}</p>
<form id="approval" method="post" action="${urlFor('approve')}">${csrfField(page)}
  <input type="hidden" name="token" value="${options.token}">
  <fieldset class="choices" aria-describedby="approval-hint">
    <legend>${t('approval.question')}</legend>
    ${options.choices.map(
      (number) => html`<button type="submit" class="choice" name="number" value="${number}" aria-label="${t('approval.pick', { number })}">${number}</button>`,
    )}
  </fieldset>
  <p id="approval-hint" class="hint">${t('approval.hint')}</p>
  <button type="submit" class="secondary" name="refuse" value="1">${t('approval.refuse')}</button>
</form>`,
  });
}

export function approvalResultPage(page: PageContext, outcome: 'approved' | 'refused' | 'mismatch'): Html {
  const { t } = page;
  const approved = outcome === 'approved';
  return layout({
    ...page,
    title: approved ? t('approval.approvedTitle') : t('approval.stoppedTitle'),
    body: html`<h1>${approved ? t('approval.approvedTitle') : t('approval.stoppedTitle')}</h1>
<p role="status" data-testid="approval-result" data-outcome="${outcome}">${approved ? t('approval.approved') : outcome === 'mismatch' ? t('approval.mismatch') : t('approval.refused')}</p>`,
  });
}

/** On the waiting page: the number, a poll (approval.js) and, without JavaScript, a button. */
export function approvalWaitSection(page: PageContext, number: number): Html {
  const { t } = page;
  return html`<section class="approval-wait" aria-labelledby="approval-wait-heading">
<h2 id="approval-wait-heading">${t('approval.waitHeading')}</h2>
<p>${t('approval.waitNumber')} <strong class="approval-number" data-testid="approval-number">${number}</strong></p>
<form id="approval-complete" method="post" action="${urlFor('approvalComplete')}" data-poll="${urlFor('approvalState')}">${csrfField(page)}
  <p class="hint" aria-live="polite" id="approval-status">${t('approval.waitHint')}</p>
  <button type="submit" class="secondary">${t('approval.waitContinue')}</button>
</form>
</section>`;
}
