// The one frame every email uses: a message is a subject plus a list of blocks,
// rendered twice from the same list, as table-layout HTML with inline CSS (what
// common mail clients render) and as the plain-text alternative, so both parts
// always say the same. No external image unless a logo URL is configured.
// Every value goes through hono/html, which escapes interpolations.
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { contrastRatio, type Brand } from '../branding.ts';
import type { MessagePart, Translator } from '../i18n/catalog.ts';

export type EmailBlock =
  | { kind: 'heading'; text: string }
  /** Placeholder values (param parts) are shown bold in HTML. `only` limits it to one part. */
  | { kind: 'paragraph'; parts: MessagePart[] | string; only?: 'html' | 'text'; muted?: boolean }
  /** HTML: a button. Text: the bare URL on its own line. */
  | { kind: 'button'; label: string; href: string }
  /** A one-time code: large monospace in HTML, "intro code" on one line in text. */
  | { kind: 'code'; intro: string; code: string }
  /** HTML only: "paste this link" with the raw URL (the text part already has it). */
  | { kind: 'rawLink'; intro: string; href: string }
  /** Small print under a rule: who asked, "didn't ask?", support. */
  | { kind: 'footer'; lines: string[] };

export interface EmailInput {
  t: Translator;
  brand: Brand;
  subject: string;
  blocks: EmailBlock[];
}

export interface RenderedMessage {
  subject: string;
  text: string;
  html: string;
}

/** Control characters (CR/LF above all) must never reach a header such as Subject. */
export function singleLine(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/ {2,}/g, ' ').trim();
}

/** Only http(s) belongs behind a mail button or link. */
export function webUrl(href: string): string {
  const url = new URL(href);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('links in mail must be http(s)');
  return url.href;
}

function sync(value: HtmlEscapedString | Promise<HtmlEscapedString>): string {
  // Only strings are interpolated, so hono renders synchronously.
  if (value instanceof Promise) throw new Error('email rendered asynchronously');
  return value.toString();
}

const FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
const MONO = "ui-monospace,SFMono-Regular,Menlo,Consolas,'Liberation Mono',monospace";
const MUTED = '#52525b';

function partsText(parts: MessagePart[] | string): string {
  return typeof parts === 'string' ? parts : parts.map((p) => p.text).join('');
}

function partsHtml(parts: MessagePart[] | string) {
  if (typeof parts === 'string') return html`${parts}`;
  return parts.map((p) => (p.param ? html`<strong>${p.text}</strong>` : html`${p.text}`));
}

function blockText(block: EmailBlock): string | null {
  switch (block.kind) {
    case 'heading':
      return block.text;
    case 'paragraph':
      return block.only === 'html' ? null : partsText(block.parts);
    case 'button':
      return block.href;
    case 'code':
      return `${block.intro} ${block.code}`;
    case 'rawLink':
      return null;
    case 'footer':
      return block.lines.join('\n\n');
  }
}

function blockHtml(block: EmailBlock, brand: Brand, linkColor: string) {
  switch (block.kind) {
    case 'heading':
      return html`<tr><td style="padding:24px 32px 8px;font-size:20px;font-weight:700;">${block.text}</td></tr>`;
    case 'paragraph':
      if (block.only === 'text') return '';
      return html`<tr><td style="padding:8px 32px;font-size:${block.muted ? '13px' : '15px'};line-height:1.5;${block.muted ? `color:${MUTED};` : ''}">${partsHtml(block.parts)}</td></tr>`;
    case 'button':
      return html`<tr><td style="padding:12px 32px 20px;">
<table role="presentation" cellpadding="0" cellspacing="0" border="0"><tr><td style="border-radius:6px;background:${brand.accentColor};">
<a href="${block.href}" style="display:inline-block;padding:12px 24px;font-size:15px;font-weight:600;color:${brand.accentTextColor};text-decoration:none;border-radius:6px;">${block.label}</a>
</td></tr></table>
</td></tr>`;
    case 'code':
      return html`<tr><td style="padding:8px 32px 4px;font-size:15px;line-height:1.5;">${block.intro}</td></tr>
<tr><td style="padding:4px 32px 20px;font-family:${MONO};font-size:32px;font-weight:700;letter-spacing:6px;">${block.code}</td></tr>`;
    case 'rawLink':
      return html`<tr><td style="padding:0 32px 16px;font-size:13px;line-height:1.5;color:${MUTED};">${block.intro}<br><a href="${block.href}" style="color:${linkColor};word-break:break-all;">${block.href}</a></td></tr>`;
    case 'footer':
      return html`<tr><td style="padding:16px 32px 32px;font-size:13px;line-height:1.5;color:${MUTED};border-top:1px solid #e4e4e7;">${block.lines.map(
        (line, i) => html`${i > 0 ? html`<br>` : ''}${line}`,
      )}</td></tr>`;
  }
}

export function renderEmail(input: EmailInput): RenderedMessage {
  const { t, brand } = input;
  const subject = singleLine(input.subject);
  // The accent is a button background; links need 4.5:1 on white, so fall back to a safe blue.
  const linkColor = contrastRatio(brand.accentColor, '#ffffff') >= 4.5 ? brand.accentColor : '#1d4ed8';
  const text = `${input.blocks
    .map(blockText)
    .filter((line): line is string => line !== null)
    .join('\n\n')}\n`;
  const logo = brand.logoUrl
    ? html`<tr><td style="padding:32px 32px 0;"><img src="${brand.logoUrl}" alt="${brand.productName}" height="32" style="display:block;height:32px;width:auto;border:0;"></td></tr>`
    : '';
  const body = html`<!doctype html>
<html lang="${t.locale}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light"><title>${subject}</title></head>
<body style="margin:0;padding:0;background:#f4f4f5;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f4f4f5;">
<tr><td align="center" style="padding:32px 16px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:480px;background:#ffffff;border:1px solid #e4e4e7;border-radius:8px;font-family:${FONT};color:#18181b;">
${logo}
${input.blocks.map((block) => blockHtml(block, brand, linkColor))}
</table>
</td></tr>
</table>
</body>
</html>
`;
  return { subject, text, html: sync(body) };
}
