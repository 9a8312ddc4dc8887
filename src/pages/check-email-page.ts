import { html } from 'hono/html';
import { layout, type Html } from './layout.ts';
import type { PageContext } from './context.ts';

export function checkEmailPage(
  page: PageContext,
  options: { email: string | null; expiresInMinutes: number; error?: string | null },
): Html {
  return layout({
    ...page,
    title: 'Check your email',
    body: html`<h1>Check your email</h1>
<p>${
      options.email
        ? html`We sent a sign-in link and a code to <strong>${options.email}</strong>.`
        : 'We sent a sign-in link and a code to your email.'
    } They expire in ${options.expiresInMinutes} minutes.</p>
<form method="post" action="/auth/sign-in/code" novalidate>
  ${options.email ? html`<input type="hidden" name="email" value="${options.email}">` : html`<label for="email">Email</label>
  <input id="email" name="email" type="email" autocomplete="email" required>`}
  <label for="code">Or enter the 6-digit code</label>
  <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required autofocus${
    options.error ? html` aria-invalid="true" aria-describedby="code-error"` : ''
  }>
  <p id="code-error" class="error" role="alert" aria-live="polite">${options.error ?? ''}</p>
  <button type="submit">Sign in</button>
</form>
<p><a href="/auth/sign-in">Use a different email</a></p>`,
  });
}
