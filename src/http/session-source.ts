// What getSession reads the session cookie from (issue #14): whatever a host
// framework hands its handlers. A fetch Request and Hono's carry Headers; Node's
// IncomingMessage, Express's and Fastify's requests carry a plain object of
// lower-cased names; a caller may also pass either of those alone.
import type { IncomingMessage } from 'node:http';

/** A plain headers object, as Node gives it (`req.headers`): a repeated header is an array. */
export type HeaderRecord = Record<string, string | string[] | undefined>;

/** Anything getSession accepts: a Request, a Headers, a Node IncomingMessage (an Express or Fastify request too), or a headers object. */
export type SessionSource = Request | Headers | IncomingMessage | { readonly headers: Headers | HeaderRecord } | HeaderRecord;

interface HeadersLike {
  get(name: string): string | null;
}

function isHeadersLike(value: unknown): value is HeadersLike {
  // Duck-typed: @hono/node-server's lightweight Request carries a Headers look-alike.
  return typeof value === 'object' && value !== null && typeof (value as { get?: unknown }).get === 'function';
}

function fromRecord(headers: HeaderRecord): string | null {
  // Node lower-cases names; a hand-written object may not.
  const value = headers.cookie ?? Object.entries(headers).find(([name]) => name.toLowerCase() === 'cookie')?.[1];
  if (typeof value === 'string') return value;
  // RFC 6265 5.4: one Cookie header; were there several, they read as one list.
  return Array.isArray(value) ? value.join('; ') : null;
}

/** The Cookie header of a request in any of its shapes, or null. */
export function cookieHeaderOf(source: SessionSource): string | null {
  // A request's headers (a Headers or an object); else the source is the headers (where `headers` would be a string).
  const inner: unknown = (source as { headers?: unknown }).headers;
  const headers = typeof inner === 'object' && inner !== null ? inner : source;
  return isHeadersLike(headers) ? (headers.get('cookie') ?? null) : fromRecord(headers as HeaderRecord);
}
