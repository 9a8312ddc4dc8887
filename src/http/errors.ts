// The HTTP face of the error registry (core/errors.ts): a code's status, and its
// JSON answer in the pages' English (the en catalog's `error.<code>.message`), so
// an API client reads what a browser reads. A leaf (issue #13): the error page,
// which looks up this browser's request in the store and may set the CSRF
// cookie, is http/error-page.ts; an answer in JSON needs none of that.
import type { Context } from 'hono';
import { errorStatus, type ErrorCode } from '../core/errors.ts';
import { errorMessage } from '../i18n/catalog.ts';
import type { AppEnv } from './env.ts';

/** Every error answer: its code for the request metrics and the audit (error-audit.ts), and never cached. */
export function markErrorAnswer(c: Context<AppEnv>, code: ErrorCode): void {
  c.set('errorCode', code);
  c.header('Cache-Control', 'no-store');
}

export function jsonError(c: Context<AppEnv>, code: ErrorCode): Response {
  markErrorAnswer(c, code);
  return c.json({ error: { code, message: errorMessage(code), requestId: c.get('requestId') ?? null } }, errorStatus(code));
}

/** Browsers navigating get a page; everything else gets JSON. */
export function wantsHtml(c: Context<AppEnv>): boolean {
  return acceptsHtml(c.req.header('accept'));
}

/** The Accept header of a browser navigating (the adapters' requireSession asks too). */
export function acceptsHtml(accept: string | null | undefined): boolean {
  return !!accept && accept.includes('text/html') && !accept.startsWith('application/json');
}
