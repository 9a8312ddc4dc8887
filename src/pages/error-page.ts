import { html } from 'hono/html';
import { layout, type Html } from './layout.ts';
import type { PageContext } from './context.ts';

export function errorPage(page: PageContext, options: { code: string; message: string }): Html {
  return layout({
    ...page,
    title: 'Something went wrong',
    body: html`<h1>That didn't work</h1>
<p class="error" role="alert" data-error-code="${options.code}">${options.message}</p>
<p><a href="/auth/sign-in">Send a new sign-in link</a></p>`,
  });
}
