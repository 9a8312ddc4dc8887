// The hidden CSRF field every POST form carries (http/csrf.ts checks it). Every
// `<form method="post">` in src/pages renders csrfField(page) as its first
// child; test/security/login-csrf.test.ts fails for a form without it.
import { html } from 'hono/html';
import type { PageContext } from './context.ts';

export function csrfField(page: PageContext) {
  return html`<input type="hidden" name="csrf" value="${page.csrfToken ?? ''}">`;
}
