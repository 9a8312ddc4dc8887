// After a sign-in for an app (issue #15): the page between Latchkey's sign-in
// form and the app. Browsers apply a page's CSP form-action to every redirect
// of the form's navigation (CSP3), and the last redirect of a finished
// authorization goes to the app's redirect_uri, on another origin: straight
// 303s would be blocked. This page, of our origin, starts a new navigation
// (a meta refresh, no script) to the provider's resume URL, which then goes to the app.
import { html } from 'hono/html';
import { layout, type Html } from './layout.ts';
import type { PageContext } from './context.ts';

export function oidcContinuePage(page: PageContext, options: { location: string }): Html {
  const { t } = page;
  return layout({
    ...page,
    title: t('oidcContinue.title'),
    head: html`<meta http-equiv="refresh" content="0;url=${options.location}">`,
    body: html`<h1>${t('oidcContinue.title')}</h1>
<p>${t('oidcContinue.body')}</p>
<p><a class="button primary" href="${options.location}">${t('oidcContinue.action')}</a></p>`,
  });
}
