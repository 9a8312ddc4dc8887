// The account page's "Apps with access" (issue #15 item 5): each app the
// account signed in to with Latchkey, what it sees, since when, and a button
// that revokes its access (its grant and tokens). Shown when the OpenID
// Connect provider is on.
import { html } from 'hono/html';
import type { MessageKey } from '../i18n/catalog.ts';
import type { PageContext } from './context.ts';
import { csrfField } from './csrf-field.ts';
import { urlFor } from '../route-table.ts';

export interface AppsSectionView {
  apps: Array<{ clientId: string; name: string; scopes: string[]; /** "2026-11-22 13:45 UTC" */ grantedAt: string | null }>;
}

const SCOPE_WORDS: Record<string, MessageKey> = {
  openid: 'apps.scope.openid',
  email: 'apps.scope.email',
  offline_access: 'apps.scope.offline_access',
};

export function appsSection(page: PageContext, view: AppsSectionView) {
  const { t } = page;
  const scopes = (list: string[]) => list.flatMap((scope) => (SCOPE_WORDS[scope] ? [t(SCOPE_WORDS[scope])] : [])).join(', ');
  return html`<h2>${t('apps.title')}</h2>
${view.apps.length === 0
  ? html`<p class="hint" data-testid="apps-none">${t('apps.none')}</p>`
  : html`<ul class="sessions apps">
${view.apps.map(
  (app) => html`<li data-client-id="${app.clientId}">
  <div class="device"><strong>${app.name}</strong></div>
  <small>${t('apps.scopes', { scopes: scopes(app.scopes) })}${app.grantedAt ? html` · ${t('apps.since', { time: app.grantedAt })}` : ''}</small>
  <form method="post" action="${urlFor('appRevoke', { clientId: app.clientId })}">${csrfField(page)}<button type="submit" class="secondary small" aria-label="${`${t('apps.revoke')}: ${app.name}`}">${t('apps.revoke')}</button></form>
</li>`,
)}
</ul>`}`;
}
