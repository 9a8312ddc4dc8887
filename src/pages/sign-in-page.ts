import { html } from 'hono/html';
import { layout, type Html } from './layout.ts';
import type { PageContext } from './context.ts';

export function signInPage(page: PageContext, options: { redirectTo?: string | null; email?: string; error?: string | null }): Html {
  return layout({
    ...page,
    title: 'Sign in',
    body: html`<h1>Sign in to ${page.productName}</h1>
<p>Enter your email. We will send you a link and a code.</p>
<form method="post" action="/auth/sign-in/email" novalidate>
  <label for="email">Email</label>
  <input id="email" name="email" type="email" autocomplete="email" autofocus required value="${options.email ?? ''}"${
    options.error ? html` aria-invalid="true" aria-describedby="email-error"` : ''
  }>
  <p id="email-error" class="error" role="alert" aria-live="polite">${options.error ?? ''}</p>
  ${options.redirectTo ? html`<input type="hidden" name="redirectTo" value="${options.redirectTo}">` : ''}
  <button type="submit">Email me a sign-in link</button>
</form>`,
  });
}
