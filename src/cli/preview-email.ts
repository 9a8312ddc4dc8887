// `latchkey preview-email [--out DIR] [--locale en|de]`: every email template
// (mail/templates.ts) rendered with its sample data, in every catalog or the
// one asked for, as the HTML part, the plain-text part and an index page, so a
// designer can open them in a browser. The branding is the configured one
// (LATCHKEY_PRODUCT_NAME, _LOGO_URL, _ACCENT_COLOR, _SUPPORT_EMAIL). Nothing is
// sent and no database is opened.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { html } from 'hono/html';
import { brandFromConfig } from '../branding.ts';
import { parseEnv } from '../config.ts';
import { LOCALES, type Locale } from '../i18n/catalog.ts';
import { MAIL_TEMPLATES } from '../mail/templates.ts';

export const PREVIEW_EMAIL_USAGE = `Usage: latchkey preview-email [--out DIR] [--locale ${LOCALES.join('|')}]

Renders every email template with sample data into DIR (default ./mail-preview):
NAME.LOCALE.html, NAME.LOCALE.txt and index.html. Without --locale, every language.`;

interface Rendered {
  template: string;
  description: string;
  locale: Locale;
  subject: string;
  htmlFile: string;
  textFile: string;
}

export function previewEmail(argv: string[], env: Record<string, string | undefined>, out: (line: string) => void): number {
  let values: { out?: string; locale?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { out: { type: 'string' }, locale: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (error) {
    out(`latchkey preview-email: ${(error as Error).message}\n\n${PREVIEW_EMAIL_USAGE}`);
    return 2;
  }
  if (values.help) {
    out(PREVIEW_EMAIL_USAGE);
    return 0;
  }
  if (values.locale !== undefined && !(LOCALES as readonly string[]).includes(values.locale)) {
    out(`latchkey preview-email: unknown locale "${values.locale}" (known: ${LOCALES.join(', ')})\n\n${PREVIEW_EMAIL_USAGE}`);
    return 2;
  }
  const locales = values.locale === undefined ? LOCALES : [values.locale as Locale];
  const raw = parseEnv(env);
  const brand = brandFromConfig({
    productName: raw.LATCHKEY_PRODUCT_NAME,
    logoUrl: raw.LATCHKEY_LOGO_URL,
    accentColor: raw.LATCHKEY_ACCENT_COLOR.toLowerCase(),
    supportEmail: raw.LATCHKEY_SUPPORT_EMAIL,
  });
  const dir = resolve(values.out ?? 'mail-preview');
  mkdirSync(dir, { recursive: true });

  const rendered: Rendered[] = [];
  for (const template of MAIL_TEMPLATES) {
    for (const locale of locales) {
      const message = template.sample({ locale, brand, baseUrl: raw.LATCHKEY_BASE_URL });
      const base = `${template.name}.${locale}`;
      writeFileSync(join(dir, `${base}.html`), message.html);
      writeFileSync(join(dir, `${base}.txt`), `Subject: ${message.subject}\n\n${message.text}`);
      rendered.push({ template: template.name, description: template.description, locale, subject: message.subject, htmlFile: `${base}.html`, textFile: `${base}.txt` });
    }
  }
  writeFileSync(join(dir, 'index.html'), indexPage(rendered, brand.productName));
  out(`latchkey preview-email: ${rendered.length} message(s) from ${MAIL_TEMPLATES.length} template(s) in ${dir}`);
  for (const r of rendered) out(`  ${r.htmlFile}  ${r.textFile}  "${r.subject}"`);
  out(`  open ${join(dir, 'index.html')}`);
  return 0;
}

function indexPage(rendered: Rendered[], productName: string): string {
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${productName}: email preview</title></head>
<body style="font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;line-height:1.5">
<h1>${productName}: email preview</h1>
<p>Every template with sample data. Each message has an HTML part and a plain-text part with the same content.</p>
<table style="border-collapse:collapse;width:100%">
<thead><tr><th align="left">Template</th><th align="left">Language</th><th align="left">Subject</th><th align="left">Parts</th></tr></thead>
<tbody>
${rendered.map(
  (r) => html`<tr style="border-top:1px solid #e4e4e7"><td><strong>${r.template}</strong><br><small>${r.description}</small></td><td>${r.locale}</td><td>${r.subject}</td><td><a href="${r.htmlFile}">HTML</a> · <a href="${r.textFile}">text</a></td></tr>`,
)}
</tbody>
</table>
</body>
</html>
`.toString();
}
