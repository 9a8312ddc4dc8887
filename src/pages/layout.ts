// The shared page frame. No inline script or style, so the strict CSP in
// http/security.ts holds; hono/html escapes every interpolation.

import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export interface PageFrame {
  title: string;
  productName: string;
  version: string;
  requestId?: string | null;
  body: Html;
  scripts?: string[];
}

export function layout(frame: PageFrame): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${frame.title} · ${frame.productName}</title>
<link rel="stylesheet" href="/auth/assets/style.css">
${(frame.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`)}
</head>
<body>
<main class="card">
${frame.body}
</main>
<footer>${frame.productName} · Latchkey ${frame.version}${
    frame.requestId ? html` · <span class="request-id">Request ID <code>${frame.requestId}</code></span>` : ''
  }</footer>
</body>
</html>`;
}
