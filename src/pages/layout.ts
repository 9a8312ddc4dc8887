// The shared page frame. No inline script or style, so the strict CSP in
// http/security.ts holds (the accent colour comes from /auth/assets/brand.css);
// hono/html escapes every interpolation.

import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { PageContext } from './context.ts';
import { messageParts } from '../i18n/catalog.ts';
import { PRODUCT } from '../version.ts';
import { urlFor } from '../route-table.ts';

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export interface PageFrame extends PageContext {
  title: string;
  body: Html;
  /** Same-origin script URLs, loaded deferred. */
  scripts?: string[];
  /** More of <head> (the OpenID Connect continue page's meta refresh). */
  head?: Html;
}

function supportLine({ t, brand }: PageContext) {
  return messageParts(t, 'page.help', { email: brand.supportEmail ?? '' }).map((part) =>
    part.param ? html`<a href="mailto:${part.text}">${part.text}</a>` : html`${part.text}`,
  );
}

export function layout(frame: PageFrame): Html {
  const { t, brand } = frame;
  return html`<!doctype html>
<html lang="${t.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<meta name="color-scheme" content="light dark">
<title>${frame.title} · ${frame.productName}</title>
<link rel="icon" href="${urlFor('asset', { name: 'icon.svg' })}" type="image/svg+xml">
<link rel="stylesheet" href="${urlFor('asset', { name: 'style.css' })}">
<link rel="stylesheet" href="${urlFor('asset', { name: 'brand.css' })}">
${(frame.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`)}
${frame.head ?? ''}
</head>
<body>
<header class="brand">${
    brand.logoUrl
      ? html`<img src="${brand.logoUrl}" alt="${t('page.logoAlt', { product: frame.productName })}" height="40">`
      : html`<span class="brand-name">${frame.productName}</span>`
  }</header>
<main class="card">
${frame.body}
</main>
<footer>
<p class="product">${frame.productName === PRODUCT ? '' : `${frame.productName} · `}${PRODUCT} ${frame.version}</p>
${brand.supportEmail ? html`<p>${supportLine(frame)}</p>` : ''}
${frame.requestId ? html`<p class="request-id">${t('page.requestId')} <code>${frame.requestId}</code></p>` : ''}
</footer>
</body>
</html>`;
}
