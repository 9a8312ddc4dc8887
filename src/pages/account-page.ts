import { html } from 'hono/html';
import { layout, type Html } from './layout.ts';
import type { PageContext } from './context.ts';
import { rich } from './text.ts';
import { twoFactorSection, type TwoFactorView } from './two-factor-section.ts';
import { emailSection, passwordSection, type EmailView, type PasswordView } from './account-security-section.ts';
import { csrfField } from './csrf-field.ts';
import { PASSKEY_SCRIPTS, passkeyOffer, passkeySection, type PasskeySectionView } from './passkey-section.ts';
import { urlFor } from '../route-table.ts';
import { appsSection, type AppsSectionView } from './apps-section.ts';

export interface AccountSessionView {
  id: string;
  /** "Chrome on macOS", from the parsed user agent. */
  device: string;
  ip: string | null;
  createdAt: string;
  lastSeenAt: string;
  current: boolean;
}

export function accountPage(
  page: PageContext,
  options: {
    email: string;
    sessions: AccountSessionView[];
    twoFactor?: TwoFactorView;
    emailView?: EmailView;
    password?: PasswordView;
    /** Absent when passkeys are unavailable (an IP-address base URL): no passkey control at all. */
    passkeys?: PasskeySectionView;
    apps?: AppsSectionView;
  },
): Html {
  const { t } = page;
  // This device first, then the most recently seen.
  const sessions = [...options.sessions].sort((a, b) => Number(b.current) - Number(a.current));
  const others = sessions.filter((s) => !s.current).length;
  return layout({
    ...page,
    title: t('account.title'),
    scripts: options.passkeys ? PASSKEY_SCRIPTS : [],
    body: html`<h1>${t('account.title')}</h1>
<p>${rich(t, 'account.signedInAs', { email: options.email }, { testId: 'account-email' })}</p>
${options.passkeys?.offer ? passkeyOffer(page) : ''}
<h2>${t('account.sessions')}</h2>
<ul class="sessions">
${sessions.map(
  (session) => html`<li data-session-id="${session.id}"${session.current ? html` class="current"` : ''}>
  <div class="device"><strong>${session.device}</strong>${session.current ? html` <span class="badge">${t('account.thisDevice')}</span>` : ''}</div>
  <small>${session.ip ? t('account.ip', { ip: session.ip }) : t('account.unknownIp')} · ${t('account.created', { time: session.createdAt })} · ${t('account.lastSeen', { time: session.lastSeenAt })}</small>
  ${session.current
    ? ''
    : html`<form method="post" action="${urlFor('sessionRevoke', { id: session.id })}">${csrfField(page)}<button type="submit" class="secondary small" aria-label="${`${t('account.revoke')}: ${session.device}, ${session.createdAt}`}">${t('account.revoke')}</button></form>`}
</li>`,
)}
</ul>
${options.apps ? appsSection(page, options.apps) : ''}
${options.emailView ? emailSection(page, options.emailView) : ''}
${options.password ? passwordSection(page, options.password) : ''}
${options.passkeys ? passkeySection(page, options.passkeys) : ''}
${options.twoFactor ? twoFactorSection(page, options.twoFactor) : ''}
<div class="actions">
${others > 0 ? html`<form method="post" action="${urlFor('otherSessionsRevoke')}">${csrfField(page)}<button type="submit" class="secondary">${t('account.revokeOthers')}</button></form>` : ''}
<form method="post" action="${urlFor('signOut')}">${csrfField(page)}<button type="submit" class="primary">${t('account.signOut')}</button></form>
</div>`,
  });
}
