import { html } from 'hono/html';
import { layout, type Html } from './layout.ts';
import type { PageContext } from './context.ts';

export interface AccountSessionView {
  id: string;
  device: string;
  ip: string | null;
  createdAt: string;
  lastSeenAt: string;
  current: boolean;
}

export function accountPage(page: PageContext, options: { email: string; sessions: AccountSessionView[] }): Html {
  return layout({
    ...page,
    title: 'Your account',
    body: html`<h1>Your account</h1>
<p>Signed in as <strong data-testid="account-email">${options.email}</strong>.</p>
<h2>Your sessions</h2>
<ul class="sessions">
${options.sessions.map(
  (session) => html`<li data-session-id="${session.id}">
  <span>${session.device}${session.current ? html` <strong>(this device)</strong>` : ''}</span>
  <small>IP ${session.ip ?? 'unknown'} · signed in ${session.createdAt} · last seen ${session.lastSeenAt}</small>
  ${session.current ? '' : html`<form method="post" action="/auth/sessions/${session.id}/revoke"><button type="submit">Sign out this device</button></form>`}
</li>`,
)}
</ul>
<form method="post" action="/auth/sign-out"><button type="submit">Sign out</button></form>`,
  });
}
