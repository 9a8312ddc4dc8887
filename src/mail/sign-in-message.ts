// The sign-in email: a link, a code, when it expires and who asked. Every value
// that reaches the HTML goes through hono/html, which escapes interpolations;
// the user agent in particular is attacker-controlled.
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { describeUserAgent } from './user-agent.ts';

export interface SignInMessageInput {
  productName: string;
  link: string;
  code: string;
  email: string;
  expiresInSeconds: number;
  /** Epoch ms. */
  requestedAt: number;
  ip: string | null;
  userAgent: string | null;
}

export interface RenderedMessage {
  subject: string;
  text: string;
  html: string;
}

/** "10 minutes", "1 hour", "90 minutes": whole hours when exact, else minutes. */
export function durationInWords(seconds: number): string {
  const minutes = Math.max(1, Math.round(seconds / 60));
  if (minutes % 60 === 0) {
    const hours = minutes / 60;
    return hours === 1 ? '1 hour' : `${hours} hours`;
  }
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

/** "2026-11-22 13:45 UTC": the reader's time zone is unknown, so say which one. */
export function formatUtc(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Control characters (CR/LF above all) must never reach a header such as Subject. */
function singleLine(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/ {2,}/g, ' ').trim();
}

function sync(value: HtmlEscapedString | Promise<HtmlEscapedString>): string {
  // Only strings and numbers are interpolated below, so hono renders synchronously.
  if (value instanceof Promise) throw new Error('sign-in message rendered asynchronously');
  return value.toString();
}

const FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
const MONO = "ui-monospace,SFMono-Regular,Menlo,Consolas,'Liberation Mono',monospace";

export function renderSignInMessage(input: SignInMessageInput): RenderedMessage {
  const link = new URL(input.link);
  // The href is built by the server, but a non-web scheme in a mail button is never right.
  if (link.protocol !== 'https:' && link.protocol !== 'http:') throw new Error('sign-in link must be http(s)');
  const product = singleLine(input.productName);
  const subject = `Sign in to ${product}`;
  const expires = durationInWords(input.expiresInSeconds);
  const who = describeUserAgent(input.userAgent);
  const ip = input.ip ? `, IP ${singleLine(input.ip)}` : '';
  const requested = `Requested from ${who}${ip}, at ${formatUtc(input.requestedAt)}.`;
  const ignore = "If you didn't ask for this, ignore this email — no one can sign in without it.";

  const text = [
    subject,
    '',
    `Use this link to sign in as ${input.email}:`,
    '',
    input.link,
    '',
    `Or enter this code on the sign-in page: ${input.code}`,
    '',
    `The link and the code expire in ${expires} and work only once.`,
    '',
    requested,
    '',
    ignore,
    '',
  ].join('\n');

  const body = html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light"><title>${subject}</title></head>
<body style="margin:0;padding:0;background:#f4f4f5;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f4f4f5;">
<tr><td align="center" style="padding:32px 16px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:480px;background:#ffffff;border:1px solid #e4e4e7;border-radius:8px;font-family:${FONT};color:#18181b;">
<tr><td style="padding:32px 32px 8px;font-size:20px;font-weight:700;">${subject}</td></tr>
<tr><td style="padding:8px 32px;font-size:15px;line-height:1.5;">Use this button to sign in as <strong>${input.email}</strong>:</td></tr>
<tr><td style="padding:12px 32px 20px;">
<table role="presentation" cellpadding="0" cellspacing="0" border="0"><tr><td style="border-radius:6px;background:#18181b;">
<a href="${input.link}" style="display:inline-block;padding:12px 24px;font-size:15px;font-weight:600;color:#ffffff;text-decoration:none;border-radius:6px;">Sign in to ${product}</a>
</td></tr></table>
</td></tr>
<tr><td style="padding:8px 32px 4px;font-size:15px;line-height:1.5;">Or enter this code on the sign-in page:</td></tr>
<tr><td style="padding:4px 32px 20px;font-family:${MONO};font-size:32px;font-weight:700;letter-spacing:6px;">${input.code}</td></tr>
<tr><td style="padding:0 32px 16px;font-size:13px;line-height:1.5;color:#52525b;">The link and the code expire in ${expires} and work only once. If the button does not work, paste this link into your browser:<br><a href="${input.link}" style="color:#2563eb;word-break:break-all;">${input.link}</a></td></tr>
<tr><td style="padding:16px 32px 32px;font-size:13px;line-height:1.5;color:#52525b;border-top:1px solid #e4e4e7;">${requested}<br>${ignore}</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`;

  return { subject, text, html: sync(body) };
}
