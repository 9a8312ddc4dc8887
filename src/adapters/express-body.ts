// A body an Express parser already read (issue #14: a global express.json() or
// express.urlencoded() is common), rebuilt from what it left in req.body in the
// request's own content type, so Latchkey reads the request as it was sent.
import type { ParsedRequest } from './listener.ts';

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** What querystring (extended: false) or qs (extended: true) give for a flat form: strings, or a list of them for a repeated field. */
function isFlatForm(body: unknown): body is Record<string, string | string[]> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  return Object.values(body).every((value) => typeof value === 'string' || (Array.isArray(value) && value.every((item) => typeof item === 'string')));
}

function formEncoded(body: Record<string, string | string[]>): string {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(body)) for (const item of Array.isArray(value) ? value : [value]) form.append(name, item);
  return form.toString();
}

/**
 * The bytes of the body: as is from express.raw() (a Buffer) and express.text()
 * (a string), JSON text from express.json(), form encoding from
 * express.urlencoded(). Null when nothing faithful can be rebuilt (a nested
 * form, multipart, a parser that left no body): Latchkey then answers
 * body_already_parsed, naming the cause and the fix.
 */
export function rebuiltBody(req: ParsedRequest): Buffer | null {
  const { body } = req;
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  const type = mediaType(req.headers['content-type']);
  if ((type === 'application/json' || type.endsWith('+json')) && body !== undefined) return Buffer.from(JSON.stringify(body), 'utf8');
  if (type === 'application/x-www-form-urlencoded' && isFlatForm(body)) return Buffer.from(formEncoded(body), 'utf8');
  return null;
}
