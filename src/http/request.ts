// Reading requests: who is asking, and what they sent (JSON or a form).
import type { Context } from 'hono';
import { z } from 'zod';
import type { RequestContext } from '../core/audit.ts';
import { normalizeIp } from '../core/client-ip.ts';
import type { AppEnv } from './env.ts';
import { parseStrictJson } from './strict-json.ts';

export function requestContext(c: Context<AppEnv>): RequestContext {
  // Set by the client-IP middleware (http/client-ip.ts): the socket, or X-Forwarded-For from a trusted proxy.
  const fallback = c.env?.incoming?.socket?.remoteAddress ?? null;
  return {
    requestId: c.get('requestId') ?? null,
    ip: c.get('clientIp') ?? (fallback ? normalizeIp(fallback) : null),
    userAgent: c.req.header('user-agent')?.slice(0, 512) ?? null,
  };
}

const FORBIDDEN_FIELDS = new Set(['__proto__', 'constructor', 'prototype']);

export function isFormRequest(c: Context<AppEnv>): boolean {
  const type = c.req.header('content-type') ?? '';
  return type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data');
}

/** The body as a plain object, or null when it is not JSON or a form. */
export async function readBody(c: Context<AppEnv>): Promise<Record<string, unknown> | null> {
  try {
    if (isFormRequest(c)) {
      // Repeated fields are refused like duplicate JSON keys (parsers disagree on which one wins).
      const form = await c.req.parseBody({ all: true });
      const entries = Object.entries(form);
      if (entries.some(([key, value]) => Array.isArray(value) || FORBIDDEN_FIELDS.has(key))) return null;
      return Object.fromEntries(entries);
    }
    if ((c.req.header('content-type') ?? '').startsWith('application/json')) {
      const body = parseStrictJson(await c.req.text());
      return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
    }
  } catch {
    return null;
  }
  return null;
}

// Bodies are validated at the boundary; email values are left `unknown` on
// purpose: core/email.ts refuses non-strings with invalid_email, not a 500.
export const signInEmailBody = z.object({ email: z.unknown(), redirectTo: z.string().max(2048).optional() });
export const verifyBody = z.object({ token: z.string().max(256) });
/** The other device's pick: a number (form fields are strings), or refuse. */
export const approvalBody = z.object({
  token: z.string().max(256),
  number: z.union([z.number().int(), z.string().regex(/^[0-9]{1,3}$/).transform(Number)]).optional(),
  refuse: z.union([z.literal('1'), z.boolean()]).optional(),
});
export const codeBody = z.object({ email: z.unknown(), code: z.string().max(32) });
